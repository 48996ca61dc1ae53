/**
 * Writing the plugin's cache (the slow path only; reading is in cache.ts for the hot path). Entries are
 * replaced atomically (temp file in the same 0700 folder, fsync, rename), created 0600, and changed only
 * under the entry's lock `<entry>.lock` (lock.ts: names its holder, waits for a live one, takes over a
 * dead one's), so concurrent kubectl commands cannot lose a rotated refresh token.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, unlinkSync } from 'node:fs';
import path from 'node:path';
import { registerCleanup } from '../cleanup.js';
import { CliError, errnoOf } from '../errors.js';
import { acquireCacheLock, LockBusyError, type CacheLock } from './lock.js';
import { untrustedReason, type CacheEntry, type CacheKey } from './cache.js';

export const CACHE_DIR_MODE = 0o700;
export const CACHE_FILE_MODE = 0o600;
/**
 * How long a token run waits for another one holding the same entry (a refresh takes well under a
 * second; an interactive login in another terminal may take longer, and then this run gives up).
 */
export const CACHE_LOCK_WAIT_MS = 60_000;

function cacheError(err: unknown, doing: string, file: string): CliError {
  if (err instanceof CliError) return err;
  const code = errnoOf(err);
  return new CliError('kubeconfig', `cannot ${doing} ${file}${code ? ` (${code})` : ''}.`, {
    hint: 'Check the permissions of ~/.kube/cache/casdoor-kubeconfig (or CASDOOR_KUBECONFIG_CACHE_DIR).',
    cause: err,
  });
}

/**
 * Creates the cache folder 0700. An existing folder is never chmod-ed (it may be shared on purpose, or
 * someone else's): one that another user owns or can write to is refused, as the hot path ignores it.
 */
export async function ensureCacheDir(dir: string): Promise<void> {
  let created: string | undefined;
  try {
    created = await fs.mkdir(dir, { recursive: true, mode: CACHE_DIR_MODE });
  } catch (err) {
    throw cacheError(err, 'create the token cache folder', dir);
  }
  const why = created === undefined ? untrustedReason(dir, 'folder') : undefined;
  if (why !== undefined) {
    throw new CliError('kubeconfig', `the token cache folder ${dir} is ${why}: a token found there could have been put there by someone else. casdoor-kubeconfig does not change the mode of a folder it did not create.`, {
      hint: `Make it yours and private (chmod 700 '${dir}'), or set CASDOOR_KUBECONFIG_CACHE_DIR to another folder.`,
    });
  }
}

/** Atomic replace: readers (the hot path) see the old entry or the new one, never half a file. */
export async function writeCacheEntry(file: string, entry: CacheEntry): Promise<void> {
  return writePrivateJson(file, entry, 'write the token cache entry');
}

/** `value` as JSON in `file` (in the 0700 cache folder), 0600, replaced atomically (temp file, fsync, rename). */
export async function writePrivateJson(file: string, value: unknown, doing = 'write'): Promise<void> {
  const entry = value;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const unregister = registerCleanup(() => {
    if (existsSync(tmp)) unlinkSync(tmp);
  });
  try {
    const handle = await fs.open(tmp, 'wx', CACHE_FILE_MODE);
    try {
      await handle.writeFile(`${JSON.stringify(entry)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.unlink(tmp).catch(() => undefined);
    throw cacheError(err, doing, file);
  } finally {
    unregister();
  }
}

/** Returns whether an entry was there. */
export async function deleteCacheEntry(file: string): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false;
    throw cacheError(err, 'delete the token cache entry', file);
  }
}

function releaseError(err: unknown, lockPath: string, who: string): CliError {
  // A CliError (a lock module that wraps fs errors) carries the errno in its cause.
  const code = errnoOf(err instanceof CliError ? err.cause : err);
  return new CliError('kubeconfig', `could not remove the token cache lock ${lockPath}${code ? ` (${code})` : ''}.`, {
    hint: `Delete ${lockPath} by hand: until then every refresh or login for ${who} waits for it and fails.`,
    cause: err,
  });
}

/**
 * Runs `fn` holding the entry's lock; a lock that stays taken becomes a token-cache message, not a
 * kubeconfig one. A lock that cannot be removed afterwards is never silent, since it blocks every later
 * refresh of the entry: with `warn` it is reported there and `fn`'s outcome stands (the token command
 * still hands kubectl its token); without, it is thrown when `fn` succeeded (as withLocks does). A
 * failure of `fn` wins over a failure to release.
 */
export async function withCacheLock<T>(
  file: string,
  key: CacheKey,
  waitMs: number,
  fn: () => Promise<T>,
  options: { warn?: (line: string) => void; /** Told when a dead holder's lock was taken over. */ onTakeover?: (reason: string) => void } = {},
): Promise<T> {
  const lockPath = `${file}.lock`;
  const who = `${key.username || '(any user)'} at ${key.issuer}`;
  let lock: CacheLock;
  try {
    lock = await acquireCacheLock(file, waitMs, options.onTakeover ? { onTakeover: options.onTakeover } : {});
  } catch (err) {
    if (err instanceof LockBusyError) {
      const holder = err.owner ? `process ${err.owner.pid} on ${err.owner.host} has held ${lockPath} since ${new Date(err.owner.since).toISOString()}` : `${lockPath} has been held`;
      throw new CliError('kubeconfig', `the token cache entry of ${who} is locked: ${holder}, and this run waited ${Math.round(waitMs / 1000)} s.`, {
        hint: `Another casdoor-kubeconfig is refreshing or logging in for this entry (finish that login; a lock whose process has died is taken over by itself). If none is running, delete ${lockPath}.`,
        cause: err,
      });
    }
    throw new CliError('kubeconfig', `cannot lock the token cache entry ${file}: ${err instanceof Error ? err.message : String(err)}`, {
      hint: 'Check the permissions of ~/.kube/cache/casdoor-kubeconfig (or CASDOOR_KUBECONFIG_CACHE_DIR).',
      cause: err,
    });
  }
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await fn() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  let released: CliError | undefined;
  await lock.release().catch((err: unknown) => {
    released = releaseError(err, lockPath, who);
  });
  if (released && options.warn) options.warn(`${released.message} ${released.hint ?? ''}`.trim());
  if (!outcome.ok) throw outcome.error;
  if (released && !options.warn) throw released;
  return outcome.value;
}
