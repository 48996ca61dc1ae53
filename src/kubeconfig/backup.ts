/**
 * A copy of a kubeconfig taken before each change, beside it:
 * `<file>.casdoor-kubeconfig-backup-<UTC yyyymmddThhmmss.mmmZ>` (sorts by time, no ':' for Windows).
 * Only the newest MAX_BACKUPS of ours are kept; files that merely look similar are never deleted.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoOf, fileError } from './io.js';

export const BACKUP_MARK = '.casdoor-kubeconfig-backup-';
export const MAX_BACKUPS = 5;

export function backupStamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, ''); // 2025-01-31T12:00:00.123Z → 20250131T120000.123Z
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Matches exactly the names writeBackup makes for `file`, and nothing else. */
export function backupPattern(file: string): RegExp {
  return new RegExp(`^${escapeRegExp(path.basename(file) + BACKUP_MARK)}\\d{8}T\\d{6}\\.\\d{3}Z(-\\d{3})?$`);
}

/**
 * Writes `raw` (the bytes the change was computed from, read under the lock) to a new backup file.
 * The mode is the original's capped at 0600: a backup holds the same tokens, so it must be no easier to
 * read than the original, and there is no reason for anyone but the owner to read it at all.
 * Not fsynced: the kubeconfig itself is replaced atomically, the backup is a convenience.
 */
export async function writeBackup(file: string, raw: Buffer, originalMode: number, now: Date): Promise<string> {
  const base = `${file}${BACKUP_MARK}${backupStamp(now)}`;
  // Two changes within one millisecond (concurrent runs) get a counter rather than overwrite each other.
  for (let n = 0; n < 1000; n++) {
    const name = n === 0 ? base : `${base}-${String(n).padStart(3, '0')}`;
    try {
      await fs.writeFile(name, raw, { mode: originalMode & 0o600, flag: 'wx' });
      return name;
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') continue;
      // A backup is never left partial (a full disk fails half-way): remove what was written.
      await fs.unlink(name).catch(() => undefined);
      throw fileError(err, 'write the backup', name);
    }
  }
  throw fileError(new Error('too many backups in the same millisecond'), 'write the backup', base);
}

/** Deletes our oldest backups of `file` beyond `keep`; returns the deleted paths. */
export async function pruneBackups(file: string, keep = MAX_BACKUPS): Promise<string[]> {
  const dir = path.dirname(file);
  const pattern = backupPattern(file);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    throw fileError(err, 'list the backups of', file);
  }
  // An empty backup (from an older version, or a file that was empty) saves nothing: it does not count
  // against the kept ones and goes first.
  const sizes = await Promise.all(names.filter((name) => pattern.test(name)).map(async (name) => ({ name, size: (await fs.stat(path.join(dir, name)).catch(() => undefined))?.size ?? 0 })));
  const empty = sizes.filter((b) => b.size === 0).map((b) => b.name);
  const ours = sizes.filter((b) => b.size > 0).map((b) => b.name).sort();
  const doomed = [...empty, ...ours.slice(0, Math.max(0, ours.length - keep))].map((name) => path.join(dir, name));
  for (const victim of doomed) {
    // Another run may have pruned it already; that is fine.
    await fs.unlink(victim).catch((err: unknown) => {
      if (errnoOf(err) !== 'ENOENT') throw fileError(err, 'delete the old backup', victim);
    });
  }
  return doomed;
}
