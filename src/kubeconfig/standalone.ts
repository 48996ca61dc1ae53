/**
 * `--output FILE|-`: a kubeconfig holding only the given entries, for handing to another machine or
 * a CI secret. Never merged into what the file held before; an existing file is overwritten only if it
 * is a kubeconfig (or empty), so a typo in the path cannot destroy an unrelated file.
 */
import { CliError } from '../errors.js';
import { pruneBackups } from './backup.js';
import { commitFile, ensureFolder } from './commit.js';
import { readKubeconfigFile } from './io.js';
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
  opts: { lockWaitMs?: number; now?: () => Date } = {},
): Promise<StandaloneResult> {
  const text = serializeKubeconfig(mergeEntries(newKubeconfig(), entries).doc);
  if (target === '-') return { file: '-', text, written: false, created: false };

  await ensureFolder(target);
  const result = await withLocks([target], opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, async (): Promise<StandaloneResult> => {
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
    if (loaded.exists && loaded.raw.toString('utf8') === text) return { ...base, written: false };
    // A new file gets 0600; an existing kubeconfig keeps its mode, as kubectl does.
    const backup = await commitFile(loaded, text, (opts.now ?? (() => new Date()))());
    return backup ? { ...base, written: true, backup } : { ...base, written: true };
  });
  if (result.backup) await pruneBackups(target);
  return result;
}
