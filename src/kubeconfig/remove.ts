/**
 * Removing a context and what only it used (logout --remove), from the same pieces as the store:
 * lock → read → pure edit (removeEntries) → backup + atomic write → unlock. Every decision ("is this
 * cluster still used?", "which file defines this user?") is made on the bytes read under the locks.
 *
 * A user or cluster that another context still references is kept, and reported as kept: removing it
 * would break that context. A current-context naming the removed context is cleared in every file of
 * the chain (kubectl config delete-context leaves it dangling, and every later kubectl command fails).
 */
import { pruneBackups } from './backup.js';
import { commitFile } from './commit.js';
import type { LoadedFile } from './io.js';
import { readKubeconfigFile } from './io.js';
import { DEFAULT_LOCK_WAIT_MS, withLocks } from './lock.js';
import type { Change } from './merge.js';
import { hasChanges, removeEntries } from './merge.js';
import type { KubeconfigDoc, NamedContext } from './model.js';
import { serializeKubeconfig } from './model.js';
import { resolveKubeconfigChain } from './target.js';
import { mergedViewOf } from './view.js';

export interface RemoveOptions {
  kubeconfigFlag?: string | undefined;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  /** The context to remove. */
  context: string;
  /** Its user and cluster: removed too unless another context still uses them. */
  user?: string | undefined;
  cluster?: string | undefined;
  lockWaitMs?: number;
  now?: () => Date;
}

export interface RemovedFile {
  file: string;
  changes: Change[];
  backup?: string;
}

export interface KeptEntry {
  kind: 'user' | 'cluster';
  name: string;
  /** The contexts that still use it. */
  usedBy: string[];
}

export interface RemoveResult {
  files: RemovedFile[];
  kept: KeptEntry[];
}

function contextsOf(doc: KubeconfigDoc): NamedContext[] {
  return Array.isArray(doc.contexts) ? doc.contexts : [];
}

/** Pure: what to remove from each file, given every file of the chain as read under the locks. */
export function planRemoval(
  chainFiles: readonly string[],
  loaded: ReadonlyArray<{ file: string; doc: KubeconfigDoc }>,
  target: { context: string; user?: string | undefined; cluster?: string | undefined },
): { perFile: Map<string, { context?: string; user?: string; cluster?: string; clearCurrent: boolean }>; kept: KeptEntry[] } {
  const view = mergedViewOf({ source: 'flag', files: [...chainFiles] }, [...loaded]);
  const contextFile = view.definedIn('context', target.context);
  // Every other context anywhere in the chain counts as a user of an entry (even one shadowed by an
  // earlier file: it becomes visible again once the first definition is gone).
  const others = loaded.flatMap(({ file, doc }) =>
    contextsOf(doc).filter((c) => !(file === contextFile && c.name === target.context)).map((c) => ({ name: c.name, info: c.context ?? {} })),
  );
  const perFile = new Map<string, { context?: string; user?: string; cluster?: string; clearCurrent: boolean }>();
  const at = (file: string) => {
    let e = perFile.get(file);
    if (!e) perFile.set(file, (e = { clearCurrent: false }));
    return e;
  };
  if (contextFile) at(contextFile).context = target.context;
  const kept: KeptEntry[] = [];
  for (const kind of ['user', 'cluster'] as const) {
    const name = target[kind];
    if (name === undefined || name === '') continue;
    const usedBy = others.filter((c) => c.info[kind] === name).map((c) => c.name);
    if (usedBy.length) {
      kept.push({ kind, name, usedBy });
      continue;
    }
    const file = view.definedIn(kind, name);
    if (file) at(file)[kind] = name;
  }
  for (const { file, doc } of loaded) if (doc['current-context'] === target.context) at(file).clearCurrent = true;
  return { perFile, kept };
}

export async function removeFromKubeconfig(opts: RemoveOptions): Promise<RemoveResult> {
  const chain = resolveKubeconfigChain({ flag: opts.kubeconfigFlag, envValue: opts.env.KUBECONFIG, home: opts.homeDir });
  // Lock every existing file of the chain: the usage checks read them all, and any may be written.
  const existing = (await Promise.all(chain.files.map((f) => readKubeconfigFile(f)))).filter((l) => l.exists).map((l) => l.file);
  const now = opts.now ?? (() => new Date());
  const result = await withLocks(existing, opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, async () => {
    const loaded: LoadedFile[] = (await Promise.all(existing.map((f) => readKubeconfigFile(f)))).filter((l) => l.exists);
    const { perFile, kept } = planRemoval(chain.files, loaded.map((l) => ({ file: l.file, doc: l.doc })), opts);
    const edits = loaded.flatMap((l) => {
      const what = perFile.get(l.file);
      if (!what) return [];
      const { doc, changes } = removeEntries(l.doc, { ...(what.context ? { context: what.context } : {}), ...(what.user ? { user: what.user } : {}), ...(what.cluster ? { cluster: what.cluster } : {}) });
      let out = doc;
      if (what.clearCurrent && out['current-context'] === opts.context) {
        out = { ...out, 'current-context': '' };
        changes.push({ kind: 'current-context', name: '', action: 'removed' });
      }
      return [{ loaded: l, doc: out, changes }];
    });
    // Everything is computed before anything is written: a failure leaves every file as it was.
    const files: RemovedFile[] = [];
    for (const e of edits) {
      if (!hasChanges(e.changes)) continue;
      const backup = await commitFile(e.loaded, serializeKubeconfig(e.doc), now());
      files.push({ file: e.loaded.file, changes: e.changes, ...(backup ? { backup } : {}) });
    }
    return { files, kept };
  });
  for (const f of result.files) if (f.backup) await pruneBackups(f.file);
  return result;
}
