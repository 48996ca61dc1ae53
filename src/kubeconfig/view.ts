/**
 * The kubeconfig as kubectl sees it across all files of KUBECONFIG, for look-ups by other commands
 * (refresh, logout, whoami). Read-only: writes go through the store, which re-reads under a lock.
 */
import type { EntryKind, KubeconfigDoc, NamedCluster, NamedContext, NamedUser } from './model.js';
import { findCluster, findContext, findUser } from './merge.js';
import { readKubeconfigFile } from './io.js';
import type { KubeconfigChain } from './target.js';
import { resolveKubeconfigChain } from './target.js';

export interface Found<T> {
  /** The file that defines the entry (the one a change to it must be written to). */
  file: string;
  entry: T;
}

export interface MergedView {
  chain: KubeconfigChain;
  /** The files of the chain that exist, parsed, in precedence order. */
  files: Array<{ file: string; doc: KubeconfigDoc }>;
  /** The first non-empty current-context of the chain, '' if none. */
  currentContext: string;
  definedIn(kind: EntryKind, name: string): string | undefined;
  findCluster(name: string): Found<NamedCluster> | undefined;
  findUser(name: string): Found<NamedUser> | undefined;
  findContext(name: string): Found<NamedContext> | undefined;
}

export interface ViewOptions {
  kubeconfigFlag?: string | undefined;
  env: NodeJS.ProcessEnv;
  homeDir: string;
}

const FINDERS = { cluster: findCluster, user: findUser, context: findContext };

/** Builds a view from already-parsed documents (chain order); pure, so tests and the store can use it. */
export function mergedViewOf(chain: KubeconfigChain, files: Array<{ file: string; doc: KubeconfigDoc }>): MergedView {
  // kubectl: for each name the first file that defines it wins; same for current-context.
  const first = <T>(kind: EntryKind, name: string): Found<T> | undefined => {
    for (const { file, doc } of files) {
      const entry = FINDERS[kind](doc, name);
      if (entry) return { file, entry: entry as T };
    }
    return undefined;
  };
  return {
    chain,
    files,
    currentContext: files.map((f) => f.doc['current-context']).find((c) => typeof c === 'string' && c !== '') ?? '',
    definedIn: (kind, name) => first(kind, name)?.file,
    findCluster: (name) => first<NamedCluster>('cluster', name),
    findUser: (name) => first<NamedUser>('user', name),
    findContext: (name) => first<NamedContext>('context', name),
  };
}

/** Reads every existing file of the chain; missing files are skipped, unreadable or malformed ones fail. */
export async function loadMergedView(opts: ViewOptions): Promise<MergedView> {
  const chain = resolveKubeconfigChain({ flag: opts.kubeconfigFlag, envValue: opts.env.KUBECONFIG, home: opts.homeDir });
  const loaded = await Promise.all(chain.files.map((f) => readKubeconfigFile(f)));
  return mergedViewOf(
    chain,
    loaded.filter((l) => l.exists).map((l) => ({ file: l.file, doc: l.doc })),
  );
}
