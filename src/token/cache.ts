/**
 * The exec plugin's token cache: one JSON file per cache key (issuer, client id, username, grant,
 * scopes, resource, CA file) under ~/.kube/cache/casdoor-kubeconfig/ (folder 0700, files 0600). It sits on kubectl's hot path (the
 * plugin runs on every kubectl command), so this module imports only node built-ins.
 *
 * A cached token is trusted without re-checking its signature because it was verified against
 * Casdoor's JWKS before it was written, and the cache is private to the user.
 */
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MAX_CLAIM_SECONDS } from './exec-credential.js';

/**
 * Everything that changes which token is the right one for an exec entry: two entries that differ in
 * any of these must never share a token. The optional parts default to what the exec args mean when
 * they are left out (password grant, no scope or resource asked for, the system CAs).
 */
export interface CacheKey {
  issuer: string;
  clientId: string;
  /** Empty when the login method does not know the username up front (browser/device). */
  username: string;
  /** The exec args' --grant ('password' when absent): a client-credentials token is another identity. */
  grant?: string;
  /** Scopes asked for beyond the default (order and repeats do not matter). */
  scopes?: readonly string[];
  /** RFC 8707 resource: the token's `aud` then names it instead of the client id. */
  resource?: string;
  /** Absolute path of --casdoor-ca ('' = system CAs only): the trust under which the token was verified. */
  ca?: string;
}

export interface CacheEntry extends CacheKey {
  idToken: string;
  refreshToken?: string;
  /** 'keyring': the refresh token is in the OS keychain (token/keyring.ts), not in this file. */
  refreshTokenIn?: 'keyring';
  /** Seconds since the epoch: the id_token's `exp`. */
  expiresAt: number;
}

/** Refresh this many seconds before `exp` (see docs/token-lifecycle.md, "Refresh leeway"). */
export const REFRESH_LEEWAY_SECONDS = 60;

export function cacheDir(homeDir: string, env: NodeJS.ProcessEnv): string {
  return env.CASDOOR_KUBECONFIG_CACHE_DIR || join(homeDir, '.kube', 'cache', 'casdoor-kubeconfig');
}

/**
 * FNV-1a, 64 bits, as 16 hex digits. The file name only spreads entries over files: it need not resist
 * anyone (the folder is the user's own, 0700), and a collision would only be a cache miss, because every
 * entry carries its issuer, client id and username and is checked against them when read. Not using
 * node:crypto here saves its start-up cost (several ms) on kubectl's hot path.
 */
export function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** The key as one string: equal strings ⇔ the same token is valid for both. */
export function keyText(key: CacheKey): string {
  const scopes = [...new Set(key.scopes ?? [])].filter((s) => s !== '').sort();
  // 'v2': the key before it covered grant, scopes, resource and CA was issuer\nclient\nusername.
  return JSON.stringify(['v2', key.issuer, key.clientId, key.username, key.grant || 'password', scopes, key.resource ?? '', key.ca ?? '']);
}

/** `key` may be given as its keyText already (the hot path computes it once for the file name and the check). */
const textOf = (key: CacheKey | string): string => (typeof key === 'string' ? key : keyText(key));

export function cacheFile(dir: string, key: CacheKey | string): string {
  return join(dir, `${fnv1a64(textOf(key))}.json`);
}

/** Parses a cache file's text; anything malformed counts as "no cache" (the slow path logs in again). */
/**
 * An expiry a verified id_token can carry: oidc/claims-sanity.ts refuses any other `exp` before anything is
 * cached, so one outside year 0–9999 (or not a number) is a corrupt or tampered entry, not a token to serve
 * for ever with no expirationTimestamp (issue 10, point 8).
 */
function validExpiry(seconds: unknown): seconds is number {
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_CLAIM_SECONDS;
}

export function parseCacheEntry(text: string, key: CacheKey | string): CacheEntry | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const e = doc as Partial<CacheEntry>;
  if (typeof e.issuer !== 'string' || typeof e.clientId !== 'string' || typeof e.username !== 'string') return undefined;
  if (e.scopes !== undefined && !(Array.isArray(e.scopes) && e.scopes.every((x) => typeof x === 'string'))) return undefined;
  if ([e.grant, e.resource, e.ca].some((v) => v !== undefined && typeof v !== 'string')) return undefined;
  if (keyText(e as CacheKey) !== textOf(key)) return undefined;
  if (typeof e.idToken !== 'string' || !validExpiry(e.expiresAt)) return undefined;
  return e as CacheEntry;
}

/**
 * Why a cache folder or file is not to be trusted, or undefined when it is: it must belong to this user
 * and be writable by nobody else, and the file must be a regular file (a symbolic link is not followed).
 * Otherwise someone else could have put a token there that kubectl would then present as ours. The same
 * rule on the hot path and the full path (ssh's for ~/.ssh); without POSIX owners (Windows) it is skipped.
 */
export function untrustedReason(path: string, kind: 'folder' | 'file', uid: number | undefined = process.getuid?.()): string | undefined {
  if (uid === undefined) return undefined;
  let st;
  try {
    st = kind === 'folder' ? statSync(path) : lstatSync(path);
  } catch {
    return 'missing';
  }
  if (kind === 'folder' ? !st.isDirectory() : !st.isFile()) return kind === 'folder' ? 'not a folder' : 'not a regular file';
  if (st.uid !== uid) return `owned by another user (uid ${st.uid})`;
  if ((st.mode & 0o022) !== 0) return `writable by ${(st.mode & 0o002) !== 0 ? 'everyone' : 'its group'} (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`;
  return undefined;
}

/** The entry for `key`, or undefined when there is none, it is malformed, or it cannot be trusted (untrustedReason). */
export function readCacheEntry(file: string, key: CacheKey | string): CacheEntry | undefined {
  if (untrustedReason(dirname(file), 'folder') !== undefined || untrustedReason(file, 'file') !== undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseCacheEntry(text, key);
}

export function isFresh(entry: CacheEntry, nowMs: number, leewaySeconds = REFRESH_LEEWAY_SECONDS): boolean {
  return entry.expiresAt - leewaySeconds > nowMs / 1000;
}

/** Reads `exp` from a JWT payload without verifying it: for tokens we verified ourselves, or (prove-refresh.ts) only to tell the user when one expires. */
export function jwtExp(token: string): number | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}
