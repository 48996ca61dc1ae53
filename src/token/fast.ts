/**
 * The hot path of `casdoor-kubeconfig token`: kubectl runs the plugin on every command, so when the
 * cache holds a fresh token we print it using node built-ins only and never load the CLI, the HTTP
 * stack or jose. Anything else (no cache, expiring token, --help, a bad flag) goes to the full
 * command in src/cli/token.ts, which re-checks everything under a lock.
 */
import { homedir } from 'node:os';
import { parseArgs } from 'node:util';
import { cacheDir, cacheFile, isFresh, readCacheEntry, type CacheKey } from './cache.js';
import { execCredential, parseExecInfo } from './exec-credential.js';

export const TOKEN_OPTIONS = {
  'casdoor-url': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'casdoor-ca': { type: 'string' },
  grant: { type: 'string' },
  username: { type: 'string' },
  scope: { type: 'string' },
  raw: { type: 'boolean' },
  'browser-command': { type: 'string' },
  'no-browser': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
} as const;

export function cacheKeyFromArgs(values: { 'casdoor-url'?: string; 'client-id'?: string; username?: string }): CacheKey | undefined {
  if (!values['casdoor-url'] || !values['client-id']) return undefined;
  return { issuer: values['casdoor-url'], clientId: values['client-id'], username: values.username ?? '' };
}

/** Returns true when it answered from the cache; false means "take the full path". */
export function tryCachedToken(
  argv: string[],
  env: NodeJS.ProcessEnv,
  write: (s: string) => void,
  nowMs = Date.now(),
  home: () => string = homedir,
): boolean {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: TOKEN_OPTIONS, strict: true, allowPositionals: false }));
  } catch {
    return false;
  }
  const key = cacheKeyFromArgs(values as { 'casdoor-url'?: string; 'client-id'?: string; username?: string });
  if (!key) return false;
  const entry = readCacheEntry(cacheFile(cacheDir(home(), env), key), key);
  if (!entry || !isFresh(entry, nowMs)) return false;
  if (values.raw) write(`${entry.idToken}\n`);
  else write(execCredential(parseExecInfo(env.KUBERNETES_EXEC_INFO).apiVersion, entry.idToken, entry.expiresAt));
  return true;
}
