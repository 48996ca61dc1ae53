/**
 * Pure edits of a kubeconfig document: no I/O, inputs never mutated. Only the named entries change;
 * every other entry keeps its object identity and position, so `preferences`, `extensions`, unknown
 * keys and the order of the file survive, and a re-run with the same input is a no-op.
 *
 * The input document is not deep-cloned: only the top-level object and the lists that change are
 * copied (a 15,000-entry kubeconfig must stay cheap), which is why nothing here may mutate in place.
 */
import type { EntryKind, KubeconfigDoc, NamedCluster, NamedContext, NamedUser } from './model.js';
import { LIST_KEY } from './model.js';
import { carryOver } from './replace.js';

export interface KubeconfigEntries {
  cluster?: NamedCluster;
  user?: NamedUser;
  context?: NamedContext;
  currentContext?: string;
}

export type ChangeKind = EntryKind | 'current-context';
export type ChangeAction = 'added' | 'replaced' | 'unchanged' | 'removed';

export interface Change {
  kind: ChangeKind;
  /** The entry name; for current-context, the context it now names ('' once removed). */
  name: string;
  action: ChangeAction;
}

export interface EditResult {
  doc: KubeconfigDoc;
  changes: Change[];
}

type Named = NamedCluster | NamedUser | NamedContext;

/** Structural equality of plain YAML data; key order does not matter (YAML mappings are unordered). */
export function deepEqual(a: unknown, b: unknown): boolean {
  // `.nan` in an extension reads back as NaN, which is not === itself; it is the same value to kubectl.
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  if (keys.length !== Object.keys(rb).length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && deepEqual(ra[k], rb[k]));
}

function listOf(doc: KubeconfigDoc, kind: EntryKind): Named[] {
  const list = doc[LIST_KEY[kind]];
  return Array.isArray(list) ? (list as Named[]) : [];
}

function find<T extends Named>(doc: KubeconfigDoc, kind: EntryKind, name: string): T | undefined {
  return listOf(doc, kind).find((e) => e.name === name) as T | undefined;
}

export const findCluster = (doc: KubeconfigDoc, name: string): NamedCluster | undefined => find(doc, 'cluster', name);
export const findUser = (doc: KubeconfigDoc, name: string): NamedUser | undefined => find(doc, 'user', name);
export const findContext = (doc: KubeconfigDoc, name: string): NamedContext | undefined => find(doc, 'context', name);

/** True when applying these changes would alter the file. */
export const hasChanges = (changes: readonly Change[]): boolean => changes.some((c) => c.action !== 'unchanged');

/**
 * A copy holding only what YAML can hold. Keys set to `undefined` (an optional field the caller left
 * empty) are dropped: js-yaml cannot write them, and keeping them would make an entry read back from
 * the file never equal the one given, so a re-run would never be a no-op.
 */
function toPlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => toPlain(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toPlain(v);
    return out as T;
  }
  return value;
}

function upsert(doc: KubeconfigDoc, kind: EntryKind, given: Named): Change {
  // Cloned so that later edits to the caller's object cannot reach into the returned document.
  const fresh = toPlain(given);
  const list = listOf(doc, kind);
  const index = list.findIndex((e) => e.name === fresh.name);
  // What the existing entry holds beyond what we own (extensions, unknown keys) is kept, as kubectl's set-* keep it.
  const entry = index >= 0 ? carryOver(kind, list[index] as Record<string, unknown>, fresh as Named) : fresh;
  if (index >= 0 && deepEqual(list[index], entry)) return { kind, name: entry.name, action: 'unchanged' };
  const copy = [...list];
  if (index >= 0) copy[index] = entry;
  else copy.push(entry);
  (doc as Record<string, unknown>)[LIST_KEY[kind]] = copy;
  return { kind, name: entry.name, action: index >= 0 ? 'replaced' : 'added' };
}

/**
 * Adds or replaces (in place, keeping the position) the given entries and sets current-context.
 * A replaced entry gets our connection and credential fields as a set; its other keys (extensions,
 * proxy-url, keys kubectl does not know) are kept (replace.ts carryOver).
 */
export function mergeEntries(doc: KubeconfigDoc, entries: KubeconfigEntries): EditResult {
  const out: KubeconfigDoc = { ...doc };
  const changes: Change[] = [];
  if (entries.cluster) changes.push(upsert(out, 'cluster', entries.cluster));
  if (entries.user) changes.push(upsert(out, 'user', entries.user));
  if (entries.context) changes.push(upsert(out, 'context', entries.context));
  if (entries.currentContext !== undefined) {
    const before = doc['current-context'];
    const name = entries.currentContext;
    const action = before === name ? 'unchanged' : before ? 'replaced' : 'added';
    if (action !== 'unchanged') out['current-context'] = name;
    changes.push({ kind: 'current-context', name, action });
  }
  return { doc: hasChanges(changes) ? out : doc, changes };
}

/**
 * Removes the named entries (absent ones are reported 'unchanged'). Unlike `kubectl config
 * delete-context`, which leaves current-context pointing at nothing (and every later kubectl command
 * failing with "context was not found"), removing the current context also clears current-context.
 */
export function removeEntries(doc: KubeconfigDoc, names: { cluster?: string; user?: string; context?: string }): EditResult {
  const out: KubeconfigDoc = { ...doc };
  const changes: Change[] = [];
  for (const kind of ['cluster', 'user', 'context'] as const) {
    const name = names[kind];
    if (name === undefined) continue;
    const list = listOf(doc, kind);
    const kept = list.filter((e) => e.name !== name);
    const removed = kept.length !== list.length;
    if (removed) (out as Record<string, unknown>)[LIST_KEY[kind]] = kept;
    changes.push({ kind, name, action: removed ? 'removed' : 'unchanged' });
  }
  const removedContext = changes.some((c) => c.kind === 'context' && c.action === 'removed');
  if (removedContext && doc['current-context'] === names.context) {
    out['current-context'] = '';
    changes.push({ kind: 'current-context', name: '', action: 'removed' });
  }
  return { doc: hasChanges(changes) ? out : doc, changes };
}
