/**
 * Changing one user entry from what the file holds now: lock → read → update(current) → backup + atomic
 * write → unlock. Token writes (refresh, logout, the wizard's renewal) go through here rather than through
 * a copy read earlier: Casdoor rotates refresh tokens, so writing back an entry read before another
 * process refreshed it would put a dead refresh token in the file (and drop any other edit made meanwhile).
 *
 * `update` runs while the lock is held, so that a refresh and the write of its result cannot interleave
 * with another refresh. It may make one network round trip and nothing longer (no prompt, no browser):
 * kubectl fails to save the tokens it refreshed itself while `<file>.lock` exists.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { pruneBackups } from './backup.js';
import { backupOfRead, commitFile } from './commit.js';
import { fileError, readKubeconfigFile } from './io.js';
import { DEFAULT_LOCK_WAIT_MS, withLocks } from './lock.js';
import type { Change } from './merge.js';
import { findUser, hasChanges, mergeEntries } from './merge.js';
import type { NamedUser } from './model.js';
import { serializeKubeconfig } from './model.js';
import { cloneYaml } from './yaml11.js';

/** The file and its folder can be written (a read-only file or folder fails here, not after a refresh). */
async function checkWritable(file: string): Promise<void> {
  try {
    await fs.access(path.dirname(file), constants.W_OK);
    await fs.access(file, constants.W_OK).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    });
  } catch (err) {
    throw fileError(err, 'write', file);
  }
}

export interface UserUpdateOptions {
  lockWaitMs?: number;
  /** Clock for backup names (tests). */
  now?: () => Date;
  /** Tests: runs just before the file is replaced (after `update`), e.g. to make the write fail. */
  writeHook?: (file: string) => Promise<void>;
}

export interface UserUpdateResult {
  file: string;
  /** The file defined the user when it was read under the lock. */
  found: boolean;
  changes: Change[];
  backup?: string;
}

/**
 * `update` gets a copy of the entry as the file holds it under the lock (undefined when the file no
 * longer defines it) and returns the entry to write, or undefined to leave the file as it is.
 */
export async function updateUserEntry(
  file: string,
  name: string,
  update: (current: NamedUser | undefined) => Promise<NamedUser | undefined>,
  opts: UserUpdateOptions = {},
): Promise<UserUpdateResult> {
  const now = opts.now ?? (() => new Date());
  const result = await withLocks([file], opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, async (): Promise<UserUpdateResult> => {
    const loaded = await readKubeconfigFile(file);
    const current = findUser(loaded.doc, name);
    // Casdoor rotates the refresh token the moment `update` uses it: whatever can fail on our side must
    // fail before that (issue 10, point 9). So the folder is checked for writing (the atomic write puts a
    // temp file there) and the backup is taken first; a run that cannot write loses no session.
    await checkWritable(file);
    const backup = await backupOfRead(loaded, now());
    const dropBackup = async (): Promise<void> => {
      if (backup) await fs.unlink(backup).catch(() => undefined);
    };
    try {
      // A copy: an update that edited the entry in place would make the merge see no change.
      const next = await update(current === undefined ? undefined : cloneYaml(current));
      const base = { file, found: current !== undefined };
      if (next === undefined) {
        await dropBackup();
        return { ...base, changes: [] };
      }
      if (next.name !== name) throw new Error(`updateUserEntry: the update renamed user "${name}" to "${next.name}"`);
      const { doc, changes } = mergeEntries(loaded.doc, { user: next });
      if (!hasChanges(changes)) {
        await dropBackup();
        return { ...base, changes };
      }
      await opts.writeHook?.(file);
      await commitFile(loaded, serializeKubeconfig(doc), now(), { backup: false });
      return backup ? { ...base, changes, backup } : { ...base, changes };
    } catch (err) {
      // The backup is only worth keeping beside a changed file.
      await dropBackup();
      throw err;
    }
  });
  // Pruning needs no lock: it only deletes our own older backups and tolerates a concurrent prune.
  if (result.backup) await pruneBackups(file);
  return result;
}
