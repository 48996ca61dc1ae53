/**
 * Tokens Casdoor issued that could not be written into the kubeconfig (issue 10, point 9). Casdoor
 * rotates the refresh token at once (Casdoor object/token_oauth_util.go RefreshToken (token_oauth.go before v2.403.1): AddToken(newToken), then
 * DeleteToken of the old row), so when the kubeconfig write fails after Casdoor answered (a
 * file or folder made read-only after the pre-check, a full disk), the new tokens are the only live
 * session: they go into the private token cache folder (0700, this file 0600, atomic) and the next
 * `casdoor-kubeconfig refresh --context …` writes them into the entry before anything else.
 *
 * Keyed by issuer, client id, kubeconfig file and user entry name. `replaces` is a SHA-256 of the
 * refresh token the entry held when they were issued: if the entry holds another one by the time they
 * are recovered, someone wrote newer tokens meanwhile (a new login), and those win.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, promises as fs, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { registerSecret } from '../redact.js';
import { cacheDir, untrustedReason } from './cache.js';
import { deleteCacheEntry, ensureCacheDir, writePrivateJson } from './store.js';

export interface PendingKey {
  issuer: string;
  clientId: string;
  /** The kubeconfig file that defines the user (absolute). */
  file: string;
  user: string;
}

export interface PendingTokens {
  idToken: string;
  refreshToken?: string;
  /** sha256 hex of the refresh token the entry held when these were issued ('' hashed when none). */
  replaces: string;
  savedAt: string;
}

export const digest = (text: string | undefined): string => createHash('sha256').update(text ?? '').digest('hex');

export function pendingFileOf(key: PendingKey, location: { homeDir: string; env: NodeJS.ProcessEnv }): string {
  const id = digest(JSON.stringify([key.issuer, key.clientId, path.resolve(key.file), key.user])).slice(0, 32);
  return path.join(cacheDir(location.homeDir, location.env), `pending-${id}.json`);
}

/** Saves the tokens (0600, atomic) in the private cache folder; throws a CliError when it cannot. */
export async function savePendingTokens(file: string, key: PendingKey, tokens: PendingTokens): Promise<void> {
  await ensureCacheDir(path.dirname(file));
  await writePrivateJson(file, { version: 1, ...key, file: path.resolve(key.file), ...tokens }, 'keep the new tokens in');
}

/**
 * The same save, synchronously, for the one moment no promise can run: the process is being stopped
 * (SIGINT, SIGTERM, SIGHUP) after Casdoor answered and before the kubeconfig was written (src/cleanup.ts
 * runs registered undos synchronously before exiting). Best effort: a folder that is not the user's
 * own and private is not written to.
 */
export function savePendingTokensSync(file: string, key: PendingKey, tokens: PendingTokens): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (untrustedReason(dir, 'folder') !== undefined) return;
  const tmp = `${file}.${process.pid}.interrupted.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ version: 1, ...key, file: path.resolve(key.file), ...tokens })}\n`, { mode: 0o600, flag: 'w' });
  renameSync(tmp, file);
}

/**
 * The saved tokens for `key`, or undefined when there are none, they are malformed or for another
 * entry, or the folder or file is not the user's own and private (untrustedReason, as the token cache).
 */
export async function readPendingTokens(file: string, key: PendingKey): Promise<PendingTokens | undefined> {
  if (untrustedReason(path.dirname(file), 'folder') !== undefined || untrustedReason(file, 'file') !== undefined) return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object' || doc.version !== 1) return undefined;
  if (doc.issuer !== key.issuer || doc.clientId !== key.clientId || doc.file !== path.resolve(key.file) || doc.user !== key.user) return undefined;
  if (typeof doc.idToken !== 'string' || !doc.idToken || typeof doc.replaces !== 'string') return undefined;
  const refreshToken = typeof doc.refreshToken === 'string' && doc.refreshToken ? doc.refreshToken : undefined;
  registerSecret(doc.idToken);
  registerSecret(refreshToken);
  return { idToken: doc.idToken, ...(refreshToken ? { refreshToken } : {}), replaces: doc.replaces, savedAt: typeof doc.savedAt === 'string' ? doc.savedAt : '' };
}

export const deletePendingTokens = (file: string): Promise<boolean> => deleteCacheEntry(file);
