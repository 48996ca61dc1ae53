/**
 * The one way a kubeconfig file is replaced: backup of the bytes that were read, then an atomic
 * write (temp file in the same folder, fsync, rename) so that kubectl never sees half a file.
 * Callers hold the file's lock.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { writeBackup } from './backup.js';
import type { LoadedFile } from './io.js';
import { fileError } from './io.js';

/** kubectl's modes: new kubeconfig files 0600 (they hold credentials), new folders 0755. */
export const NEW_FILE_MODE = 0o600;
export const NEW_FOLDER_MODE = 0o755;

/** Creates the file's folder if missing (needed before the lock file can be created in it). */
export async function ensureFolder(file: string): Promise<void> {
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: NEW_FOLDER_MODE });
  } catch (err) {
    throw fileError(err, 'create the folder of', file);
  }
}

/** A backup of the bytes read, before they are replaced; none of a missing or empty file (it holds nothing to restore). */
export async function backupOfRead(loaded: LoadedFile, now: Date): Promise<string | undefined> {
  return loaded.exists && loaded.raw.length > 0 ? writeBackup(loaded.file, loaded.raw, loaded.mode ?? NEW_FILE_MODE, now) : undefined;
}

export interface CommitOptions {
  /** Forces this mode, also on an existing file (standalone files are always 0600). Default: kubectl's rule. */
  mode?: number;
  /** False skips the backup (the bytes on disk are the ones being written again). Default true. */
  backup?: boolean;
}

/**
 * Returns the backup's path when the file existed. The existing file's mode is kept, as kubectl does,
 * unless `opts.mode` says otherwise: write-file-atomic then creates the temporary file with that mode,
 * so the new content is never readable with the old, looser one.
 */
export async function commitFile(loaded: LoadedFile, text: string, now: Date, opts: CommitOptions = {}): Promise<string | undefined> {
  const backup = opts.backup !== false ? await backupOfRead(loaded, now) : undefined;
  const mode = opts.mode ?? loaded.mode ?? NEW_FILE_MODE;
  try {
    // The temp file is 0600 whatever the final mode: it holds the tokens while it is being written.
    // The kept mode (kubectl's rule) is set once the new content is in place.
    await writeFileAtomic(loaded.file, text, { mode: NEW_FILE_MODE });
    if ((mode & 0o7777) !== NEW_FILE_MODE) await fs.chmod(loaded.file, mode & 0o7777);
  } catch (err) {
    throw fileError(err, 'write', loaded.file);
  }
  return backup;
}
