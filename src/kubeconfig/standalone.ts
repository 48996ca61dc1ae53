/**
 * `--output FILE|-`: a kubeconfig holding only the given entries, for handing to another machine or
 * a CI secret. Never merged into what the file held before; an existing file is overwritten only if it
 * is a kubeconfig (or empty), so a typo in the path cannot destroy an unrelated file.
 *
 * Unlike kubectl's rule for a kubeconfig it edits (keep the file's mode), a standalone file is always
 * 0600: it is made to be handed to someone, usually holds their tokens, and an old 0644 file at the same
 * path must not leave them readable by everyone on the machine.
 */
import { CliError } from '../errors.js';
import { pruneBackups } from './backup.js';
import { NEW_FILE_MODE, commitFile, ensureFolder } from './commit.js';
import { readKubeconfigFile } from './io.js';
import { checkOutFile } from './out-dir.js';
import { DEFAULT_LOCK_WAIT_MS, withLocks } from './lock.js';
import type { KubeconfigEntries } from './merge.js';
import { mergeEntries } from './merge.js';
import { newKubeconfig, serializeKubeconfig } from './model.js';

export interface StandaloneResult {
  /** The path written, or '-'. */
  file: string;
  /** The YAML (for '-', the caller prints it). Holds secrets: never log it. */
  text: string;
  /** False for '-' and when the file already held exactly this text. */
  written: boolean;
  created: boolean;
  backup?: string;
}

export async function writeStandalone(
  target: string,
  entries: KubeconfigEntries,
  opts: { lockWaitMs?: number; now?: () => Date; refuseLinks?: boolean } = {},
): Promise<StandaloneResult> {
  const text = serializeKubeconfig(mergeEntries(newKubeconfig(), entries).doc);
  if (target === '-') return { file: '-', text, written: false, created: false };

  await ensureFolder(target);
  const result = await withLocks([target], opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, async (): Promise<StandaloneResult> => {
    if (opts.refuseLinks) await checkOutFile(target);
    const loaded = await readKubeconfigFile(target).catch((err: unknown) => {
      if (err instanceof CliError) {
        throw new CliError('kubeconfig', `refusing to overwrite ${target}: ${err.message}`, {
          hint: 'Choose another --output path, or move that file away first.',
          cause: err,
        });
      }
      throw err;
    });
    const base = { file: target, text, created: !loaded.exists };
    const now = (opts.now ?? (() => new Date()))();
    if (loaded.exists && loaded.raw.toString('utf8') === text) {
      if (loaded.mode === NEW_FILE_MODE) return { ...base, written: false };
      // Same content, looser mode: written again 0600 (atomically; no backup of identical bytes).
      await commitFile(loaded, text, now, { mode: NEW_FILE_MODE, backup: false });
      return { ...base, written: true };
    }
    const backup = await commitFile(loaded, text, now, { mode: NEW_FILE_MODE });
    return backup ? { ...base, written: true, backup } : { ...base, written: true };
  });
  if (result.backup) await pruneBackups(target);
  return result;
}
