/**
 * The hot path of `casdoor-kubeconfig token`: kubectl runs the plugin on every command, so when the
 * cache holds a fresh token we print it using node built-ins only and never load the CLI, the HTTP
 * stack or jose. Anything else (no cache, expiring token, --help, a bad flag) goes to the full
 * command in src/cli/token.ts, which re-checks everything under a lock.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDir, cacheFile, isFresh, keyText, readCacheEntry, type CacheKey } from './cache.js';
import { kubeHomeDir } from '../platform.js';
import { renderToken } from './exec-credential.js';

export const TOKEN_OPTIONS = {
  'casdoor-url': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'casdoor-ca': { type: 'string' },
  grant: { type: 'string' },
  username: { type: 'string' },
  scope: { type: 'string' },
  resource: { type: 'string' },
  raw: { type: 'boolean' },
  'browser-command': { type: 'string' },
  'no-browser': { type: 'boolean' },
  'listen-address': { type: 'string', multiple: true },
  verbose: { type: 'boolean', short: 'v' },
  'token-cache-storage': { type: 'string' },
} as const;

/** The exec args' values that make up the cache key (scope/resource: when those flags exist). */
export interface KeyArgs {
  'casdoor-url'?: string;
  'client-id'?: string;
  username?: string;
  grant?: string;
  'casdoor-ca'?: string;
  scope?: string | string[];
  resource?: string;
}

/** Scopes as given: repeated flags and/or space- or comma-separated lists. */
export function scopesOf(value: string | readonly string[] | undefined): string[] {
  const list = typeof value === 'string' ? [value] : (value ?? []);
  return list.flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '');
}

/**
 * The cache key the exec args name; the slow path builds the same one (keyOf in usecases/token.ts).
 * A relative --casdoor-ca is resolved against the working directory, as the file itself is opened.
 */
export function cacheKeyFromArgs(values: KeyArgs, cwd?: string): CacheKey | undefined {
  if (!values['casdoor-url'] || !values['client-id']) return undefined;
  return {
    issuer: values['casdoor-url'],
    clientId: values['client-id'],
    username: values.username ?? '',
    grant: values.grant ?? 'password',
    scopes: scopesOf(values.scope),
    resource: values.resource ?? '',
    ca: values['casdoor-ca'] ? (cwd === undefined ? resolve(values['casdoor-ca']) : resolve(cwd, values['casdoor-ca'])) : '',
  };
}

/** Returns true when it answered from the cache; false means "take the full path". */
export function tryCachedToken(
  argv: string[],
  env: NodeJS.ProcessEnv,
  write: (s: string) => void,
  nowMs = Date.now(),
  home: () => string = () => kubeHomeDir({ env }),
): boolean {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: TOKEN_OPTIONS, strict: true, allowPositionals: false }));
  } catch {
    return false;
  }
  // none: nothing is kept, so a file left by another storage must not answer (keyring: the id_token is
  // in the file as with disk; only the refresh token, which this path never needs, is elsewhere).
  if (values['token-cache-storage'] === 'none') return false;
  const key = cacheKeyFromArgs(values as KeyArgs);
  if (!key) return false;
  const wanted = keyText(key); // once: it names the file and is checked against the entry read
  const entry = readCacheEntry(cacheFile(cacheDir(home(), env), wanted), wanted);
  if (!entry || !isFresh(entry, nowMs)) return false;
  write(renderToken(entry, { raw: Boolean(values.raw), execInfo: env.KUBERNETES_EXEC_INFO }));
  return true;
}
