/**
 * Which file(s) a change goes to, decided exactly as `kubectl config set-*` decides it
 * (client-go clientcmd.ModifyConfig / PathOptions.GetDefaultFilename). Pure: the file system is
 * reached only through the `exists` and `definedIn` callbacks, so every rule is testable without I/O.
 */
import path from 'node:path';
import type { EntryKind } from './model.js';
import type { KubeconfigEntries } from './merge.js';

export type ChainSource = 'flag' | 'env' | 'default';

/** The files kubectl reads, in precedence order (the first definition of a name wins). */
export interface KubeconfigChain {
  source: ChainSource;
  files: string[];
}

export interface ChainInput {
  /** --kubeconfig; an empty string counts as not given, like kubectl. */
  flag?: string | undefined;
  /** The KUBECONFIG environment variable. */
  envValue?: string | undefined;
  home: string;
  /** path.delimiter unless a test says otherwise (':' on POSIX, ';' on Windows). */
  delimiter?: string;
}

export function resolveKubeconfigChain(input: ChainInput): KubeconfigChain {
  if (input.flag) return { source: 'flag', files: [input.flag] };
  // kubectl splits, de-duplicates keeping the first occurrence, and skips empty parts ("a::b").
  const parts = (input.envValue ?? '').split(input.delimiter ?? path.delimiter).filter((p) => p !== '');
  const files = [...new Set(parts)];
  if (files.length > 0) return { source: 'env', files };
  return { source: 'default', files: [path.join(input.home, '.kube', 'config')] };
}

export interface TargetInput extends ChainInput {
  exists(file: string): boolean;
  /** The first file of the chain that defines this entry, if any. Only asked when the chain has several files. */
  definedIn(kind: EntryKind, name: string): string | undefined;
  /**
   * The current-context kubectl reads now (the first non-empty one of the chain), when known; and,
   * for clearing it, the first existing file of the chain that sets one. Only asked with several files.
   */
  startingCurrentContext?: string;
  currentContextSetIn?(): string | undefined;
}

export interface FileEdit {
  file: string;
  entries: KubeconfigEntries;
}

export interface WritePlan {
  chain: KubeconfigChain;
  /** Where new entries and current-context go. */
  defaultFile: string;
  /** One edit per file that receives something, in chain order. */
  edits: FileEdit[];
}

/**
 * With several files, kubectl's "default file" is the first that exists, or the last when none does
 * (client-go tools/clientcmd/config.go PathOptions.GetDefaultFilename: "otherwise, return the last one
 * in the list"; the last, not the first, is easy to get wrong).
 */
function defaultFileOf(chain: KubeconfigChain, exists: (file: string) => boolean): string {
  if (chain.files.length === 1) return chain.files[0] as string;
  return chain.files.find((f) => exists(f)) ?? (chain.files[chain.files.length - 1] as string);
}

export function planTargets(input: TargetInput, entries: KubeconfigEntries): WritePlan {
  const chain = resolveKubeconfigChain(input);
  const defaultFile = defaultFileOf(chain, input.exists);
  const single = chain.files.length === 1;
  // An entry that already exists is modified in the file that defines it; a new one goes to the default file.
  const fileFor = (kind: EntryKind, name: string): string => (single ? defaultFile : input.definedIn(kind, name) ?? defaultFile);

  const byFile = new Map<string, KubeconfigEntries>();
  const add = (file: string, patch: KubeconfigEntries): void => {
    byFile.set(file, { ...byFile.get(file), ...patch });
  };
  if (entries.cluster) add(fileFor('cluster', entries.cluster.name), { cluster: entries.cluster });
  if (entries.user) add(fileFor('user', entries.user.name), { user: entries.user });
  if (entries.context) add(fileFor('context', entries.context.name), { context: entries.context });
  // client-go clientcmd/config.go ModifyConfig: `if startingConfig.CurrentContext != newConfig.CurrentContext`
  // → writeCurrentContext: a new non-empty value goes into GetDefaultFilename() (even when another file of
  // the chain sets it); an empty one clears the first file in the chain that sets it. An unchanged value
  // is written nowhere. (One file: the same rules reduce to that file.)
  const next = entries.currentContext;
  if (next !== undefined && (single || next !== (input.startingCurrentContext ?? ''))) {
    if (next !== '' || single) add(defaultFile, { currentContext: next });
    else {
      const setter = input.currentContextSetIn?.();
      if (setter !== undefined) add(setter, { currentContext: next });
    }
  }

  const order = (f: string): number => chain.files.indexOf(f);
  const edits = [...byFile].map(([file, e]) => ({ file, entries: e })).sort((a, b) => order(a.file) - order(b.file));
  return { chain, defaultFile, edits };
}
