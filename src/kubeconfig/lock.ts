/**
 * kubectl's kubeconfig lock: `<file>.lock`, created with O_CREAT|O_EXCL and removed after the write.
 * Using the same convention keeps us and kubectl (token refresh, `config set-*`) from overwriting each
 * other. kubectl fails at once on an existing lock; we retry for a while instead, so that concurrent runs
 * of this tool queue up rather than fail.
 *
 * A lock is removed only by the process that created it, and only if the path still is the very file it
 * created (same device and inode): deleting someone else's lock would let two writers in at once.
 */
import { promises as fs, statSync, unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { undoAtExit } from '../cleanup.js';
import { CliError } from '../errors.js';
import { errnoOf, fileError } from './io.js';

export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

export const lockPathOf = (file: string): string => `${file}.lock`;

/** How long a run waits for another writer before giving up. */
export const DEFAULT_LOCK_WAIT_MS = 5000;

async function describeAge(lockPath: string): Promise<string> {
  try {
    const seconds = Math.max(0, Math.round((Date.now() - (await fs.stat(lockPath)).mtimeMs) / 1000));
    return ` (created ${seconds}s ago)`;
  } catch {
    return '';
  }
}

async function heldLock(lockPath: string, handle: fs.FileHandle): Promise<HeldLock> {
  const { dev, ino } = await handle.stat();
  // Exiting while held (process.exit() after Ctrl-C, an uncaught error): a lock left behind makes kubectl
  // fail to save refreshed tokens after the provider has already rotated the refresh token.
  const forget = undoAtExit(() => {
    const st = statSync(lockPath);
    if (st.dev === dev && st.ino === ino) unlinkSync(lockPath);
  });
  let released = false;
  return {
    path: lockPath,
    async release() {
      if (released) return;
      released = true;
      forget();
      try {
        const current = await fs.stat(lockPath).catch(() => undefined);
        if (current && current.ino === ino && current.dev === dev) await fs.unlink(lockPath);
      } catch (err) {
        if (errnoOf(err) !== 'ENOENT') {
          throw new CliError('kubeconfig', `could not remove the lock file ${lockPath}`, {
            hint: `Delete ${lockPath} by hand: kubectl cannot save refreshed tokens while it exists.`,
            cause: err,
          });
        }
      } finally {
        await handle.close().catch(() => undefined);
      }
    },
  };
}

/** Takes `<file>.lock`, retrying with a growing, jittered delay for up to `waitMs`. The folder must exist. */
export async function acquireLock(file: string, waitMs: number): Promise<HeldLock> {
  const lockPath = lockPathOf(file);
  const deadline = Date.now() + waitMs;
  let delay = 5;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx', 0o600);
      return await heldLock(lockPath, handle).catch(async (err: unknown) => {
        await handle.close().catch(() => undefined);
        await fs.unlink(lockPath).catch(() => undefined); // created a moment ago by us
        throw err;
      });
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw fileError(err, 'create the lock file', lockPath);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new CliError('kubeconfig', `${file} is locked: ${lockPath} exists${await describeAge(lockPath)}`, {
        hint:
          `Another casdoor-kubeconfig or kubectl is writing this kubeconfig. If none is running, the lock is ` +
          `stale: delete ${lockPath} and try again.`,
      });
    }
    // Jitter keeps many waiting processes from retrying in lock-step.
    await sleep(Math.min(left, delay * (0.5 + Math.random())));
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * Runs `fn` holding the locks of all `files`, always releasing them. Locks are taken in sorted order so
 * two of our processes writing the same pair of files cannot deadlock. A failure of `fn` wins over a
 * failure to release (which then only matters if `fn` succeeded).
 */
export async function withLocks<T>(files: readonly string[], waitMs: number, fn: () => Promise<T>): Promise<T> {
  const held: HeldLock[] = [];
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    for (const file of [...new Set(files)].sort()) held.push(await acquireLock(file, waitMs));
    outcome = { ok: true, value: await fn() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const releaseErrors: unknown[] = [];
  for (const lock of held.reverse()) await lock.release().catch((e: unknown) => releaseErrors.push(e));
  if (!outcome.ok) throw outcome.error;
  if (releaseErrors.length > 0) throw releaseErrors[0];
  return outcome.value;
}
