/**
 * The I/O shell around the pure merge: pick the file(s) like kubectl, then for each one
 * lock → read → merge → backup → atomic write → unlock. The lock is held only for that sequence,
 * and the merge always works on the bytes read under the lock, never on an earlier copy.
 */
import type { Change, KubeconfigEntries } from './merge.js';
import { hasChanges, mergeEntries } from './merge.js';
import type { KubeconfigDoc } from './model.js';
import { serializeKubeconfig } from './model.js';
import type { LoadedFile } from './io.js';
import { readKubeconfigFile } from './io.js';
import { DEFAULT_LOCK_WAIT_MS, withLocks } from './lock.js';
import { pruneBackups } from './backup.js';
import { commitFile, ensureFolder } from './commit.js';
import { renderKubeconfigDiff } from './diff.js';
import type { WritePlan } from './target.js';
import { planTargets, resolveKubeconfigChain } from './target.js';
import { mergedViewOf } from './view.js';
import { contextsOf, repointConflicts, type IdentityOptions, type RepointConflict } from './replace.js';
import { findCluster, findUser } from './merge.js';
import { CliError } from '../errors.js';
import { holdsSecrets, isLooseMode } from './mode.js';

/** Replacing an entry would re-point other contexts; carries the conflicts for callers that ask instead. */
export class RepointError extends CliError {
  readonly conflicts: RepointConflict[];
  constructor(conflicts: RepointConflict[]) {
    const what = conflicts.map((c) => `${c.kind} "${c.name}" (${c.change}) is also used by ${c.contexts.map((n) => `"${n}"`).join(', ')}`).join('; ');
    super('kubeconfig', `Not replacing an entry other contexts use: ${what}. Replacing it would silently change where those contexts connect or who they act as.`, {
      hint: `Give this setup its own entry name (${conflicts.map((c) => `--${c.kind} NAME`).join(', ')}), or re-run with --force to re-point them too.`,
    });
    this.name = 'RepointError';
    this.conflicts = conflicts;
  }
}

/** Refuses (unless forced) edits that re-point contexts other than the one being written. */
function checkRepointing(opts: ApplyOptions, edits: WritePlan['edits'], docs: Map<string, LoadedFile>): void {
  if (opts.force) return;
  const conflicts = findConflicts(opts, edits, docs);
  if (conflicts.length) throw new RepointError(conflicts);
}

function findConflicts(opts: ApplyOptions, edits: WritePlan['edits'], docs: Map<string, LoadedFile>, identity: IdentityOptions = {}): RepointConflict[] {
  return edits.flatMap((e) => {
    const doc = docs.get(e.file)?.doc;
    if (!doc) return [];
    const existing = (kind: 'cluster' | 'user', name: string): Record<string, unknown> | undefined => (kind === 'cluster' ? findCluster(doc, name) : findUser(doc, name));
    const own = opts.entries.context ? { context: opts.entries.context } : {};
    return repointConflicts({ ...e.entries, ...own }, existing, contextsOf([...docs.values()].filter((l) => l.exists).map((l) => l.doc)), identity);
  });
}

/**
 * The re-pointing conflicts `opts.entries` would meet, read without a lock and writing nothing: setup
 * asks this before a login (which Casdoor counts, and a refresh proof rotates), so that a run that
 * would be refused spends none. The write checks again under the lock.
 */
export async function previewRepointConflicts(opts: ApplyOptions, identity: IdentityOptions = {}): Promise<RepointConflict[]> {
  const { plan: writePlan, preread } = await plan(opts);
  const loaded = await Promise.all(writePlan.edits.map(async (e) => preread.get(e.file) ?? (await readKubeconfigFile(e.file))));
  return findConflicts(opts, writePlan.edits, new Map([...preread, ...loaded.map((l) => [l.file, l] as const)]), identity);
}

// writeStandalone (--output) lives in its own module; re-exported so callers find both writers here.
export { writeStandalone } from './standalone.js';
export type { StandaloneResult } from './standalone.js';
export { DEFAULT_LOCK_WAIT_MS } from './lock.js';

export interface ApplyOptions {
  kubeconfigFlag?: string | undefined;
  /** For KUBECONFIG. */
  env: NodeJS.ProcessEnv;
  /** For ~/.kube/config when neither the flag nor KUBECONFIG is set. */
  homeDir: string;
  entries: KubeconfigEntries;
  /** Compute and return the diff; take no lock, write nothing. */
  dryRun?: boolean;
  lockWaitMs?: number;
  /** Clock for backup names (tests). */
  now?: () => Date;
  /** Replace cluster/user entries even when that re-points other contexts (replace.ts repointConflicts). */
  force?: boolean;
}

export interface FileResult {
  file: string;
  changes: Change[];
  /** Only the changed entries, secrets redacted; '' when nothing changed. */
  diff: string;
  backup?: string;
  /** The file did not exist (and was created, unless dry run). */
  created: boolean;
  /** The mode kept, when group or others can read the file and it now holds tokens (mode.ts). */
  looseMode?: number;
}

export interface ApplyResult {
  files: FileResult[];
}

/** With several KUBECONFIG files, which file gets an entry depends on which files define it (read without a lock: it only picks the target). */
async function plan(opts: ApplyOptions): Promise<{ plan: WritePlan; preread: Map<string, LoadedFile> }> {
  const input = { flag: opts.kubeconfigFlag, envValue: opts.env.KUBECONFIG, home: opts.homeDir };
  const chain = resolveKubeconfigChain(input);
  const preread = new Map<string, LoadedFile>();
  if (chain.files.length > 1) {
    for (const loaded of await Promise.all(chain.files.map((f) => readKubeconfigFile(f)))) preread.set(loaded.file, loaded);
  }
  const view = mergedViewOf(
    chain,
    [...preread.values()].filter((l) => l.exists).map((l) => ({ file: l.file, doc: l.doc })),
  );
  const exists = (file: string): boolean => preread.get(file)?.exists ?? false;
  const currentContextSetIn = (): string | undefined =>
    chain.files.find((f) => {
      const c = preread.get(f);
      return c?.exists === true && typeof c.doc['current-context'] === 'string' && c.doc['current-context'] !== '';
    });
  return {
    plan: planTargets({ ...input, exists, definedIn: view.definedIn, startingCurrentContext: view.currentContext, currentContextSetIn }, opts.entries),
    preread,
  };
}

interface Merged {
  loaded: LoadedFile;
  doc: KubeconfigDoc;
  changes: Change[];
  /** The new file content; absent when nothing changed. */
  text?: string;
  backup?: string;
}

function mergeInto(loaded: LoadedFile, entries: KubeconfigEntries): Merged {
  const { doc, changes } = mergeEntries(loaded.doc, entries);
  return hasChanges(changes) ? { loaded, doc, changes, text: serializeKubeconfig(doc) } : { loaded, doc, changes };
}

/** Rendered after the lock is released: the diff is for people, not part of the critical section. */
function report(m: Merged): FileResult {
  const result: FileResult = {
    file: m.loaded.file,
    changes: m.changes,
    diff: m.text === undefined ? '' : renderKubeconfigDiff(m.loaded.file, m.loaded.doc, m.doc, m.changes),
    created: !m.loaded.exists,
  };
  if (m.backup) result.backup = m.backup;
  if (m.text !== undefined && isLooseMode(m.loaded.mode) && holdsSecrets(m.doc)) result.looseMode = m.loaded.mode;
  return result;
}

export async function applyKubeconfigChange(opts: ApplyOptions): Promise<ApplyResult> {
  const { plan: writePlan, preread } = await plan(opts);
  const edits = writePlan.edits;

  if (opts.dryRun) {
    const loaded = await Promise.all(edits.map(async (e) => preread.get(e.file) ?? (await readKubeconfigFile(e.file))));
    checkRepointing(opts, edits, new Map([...preread, ...loaded.map((l) => [l.file, l] as const)]));
    return { files: loaded.map((l, i) => report(mergeInto(l, edits[i]!.entries))) };
  }

  for (const e of edits) await ensureFolder(e.file);
  const now = opts.now ?? (() => new Date());
  const merged = await withLocks(
    edits.map((e) => e.file),
    opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
    async () => {
      // Read and merge every file before writing any, so a malformed second file leaves the first untouched.
      const loaded = await Promise.all(edits.map((e) => readKubeconfigFile(e.file)));
      checkRepointing(opts, edits, new Map([...preread, ...loaded.map((l) => [l.file, l] as const)]));
      const results = loaded.map((l, i) => mergeInto(l, edits[i]!.entries));
      for (const r of results) {
        if (r.text !== undefined) r.backup = await commitFile(r.loaded, r.text, now());
      }
      return results;
    },
  );
  // Pruning needs no lock: it only deletes our own older backups and tolerates a concurrent prune.
  for (const r of merged) if (r.backup) await pruneBackups(r.loaded.file);
  return { files: merged.map(report) };
}
