import { describe, expect, it } from '@jest/globals';
import type { Change } from '../../src/kubeconfig/merge.js';
import { findContext, findUser, mergeEntries, removeEntries } from '../../src/kubeconfig/merge.js';
import type { EntryKind, KubeconfigDoc } from '../../src/kubeconfig/model.js';
import { LIST_KEY, newKubeconfig, parseKubeconfig, serializeKubeconfig } from '../../src/kubeconfig/model.js';
import { mulberry32, randomEntries, randomKubeconfig } from '../helpers/kubeconfig-gen.js';

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);
const KINDS: EntryKind[] = ['cluster', 'user', 'context'];
const LISTS = new Set(['clusters', 'users', 'contexts', 'current-context']);

function listOf(doc: KubeconfigDoc, kind: EntryKind): Array<{ name: string }> {
  const list = doc[LIST_KEY[kind]];
  return Array.isArray(list) ? list : [];
}

type Obj = Record<string, any>;
/** The keys of a payload this tool writes as a set; everything else of an existing entry is carried over. */
const OWNED: Record<EntryKind, string[]> = {
  cluster: ['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify'],
  user: ['token', 'tokenFile', 'username', 'password', 'auth-provider', 'exec', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data'],
  context: ['cluster', 'user', 'namespace'],
};
function expectReplacedKeepingExtras(kind: EntryKind, after: Obj, given: Obj, before: Obj): void {
  expect(after.name).toBe(given.name);
  for (const [k, v] of Object.entries(given[kind] as Obj)) {
    if (k === 'auth-provider' || k === 'exec') expect(after[kind][k]).toMatchObject(v as Obj);
    else expect(after[kind][k]).toEqual(v);
  }
  for (const [k, v] of Object.entries(before)) if (k !== 'name' && k !== kind && !(k in given)) expect(after[k]).toEqual(v);
  for (const [k, v] of Object.entries(before[kind] as Obj)) if (!OWNED[kind].includes(k) && !(k in given[kind])) expect(after[kind][k]).toEqual(v);
  for (const k of OWNED[kind]) if (!(k in given[kind])) expect(after[kind]).not.toHaveProperty([k]);
}

describe('mergeEntries (generated kubeconfigs)', () => {
  it.each(SEEDS)('seed %i: only the given entries change, in place or appended', (seed) => {
    const rng = mulberry32(seed);
    const doc = randomKubeconfig(rng);
    const entries = randomEntries(rng, doc);
    const snapshot = structuredClone(doc);

    const { doc: out, changes } = mergeEntries(doc, entries);

    expect(doc).toEqual(snapshot); // the input is never mutated
    for (const [key, value] of Object.entries(doc)) {
      // preferences, extensions, apiVersion/kind and unknown top-level keys: the very same values.
      if (!LISTS.has(key)) expect(out[key]).toBe(value);
    }
    for (const kind of KINDS) {
      const given = entries[kind];
      const before = listOf(doc, kind);
      const after = listOf(out, kind);
      if (!given) {
        expect(out[LIST_KEY[kind]]).toBe(doc[LIST_KEY[kind]]);
        continue;
      }
      const index = before.findIndex((e) => e.name === given.name);
      const change = changes.find((c) => c.kind === kind) as Change;
      expect(change.name).toBe(given.name);
      if (index >= 0) {
        expect(after).toHaveLength(before.length);
        // Replaced where it was: our fields as given, the old entry's unknown keys kept (kubectl's set-* keep them).
        expectReplacedKeepingExtras(kind, after[index] as Obj, given as unknown as Obj, before[index] as Obj);
        expect(change.action).toBe('replaced');
      } else {
        expect(after).toHaveLength(before.length + 1);
        expect(after[after.length - 1]).toEqual(given); // appended
        expect(change.action).toBe('added');
      }
      // Every other entry: same object, same relative order.
      expect(after.filter((e) => e.name !== given.name)).toEqual(before.filter((e) => e.name !== given.name));
      after.filter((e) => e.name !== given.name).forEach((e, i) => expect(e).toBe(before.filter((b) => b.name !== given.name)[i]));
    }
    if (entries.currentContext !== undefined) expect(out['current-context']).toBe(entries.currentContext);
    else expect(out['current-context']).toBe(doc['current-context']);
  });

  it.each(SEEDS)('seed %i: a second run is a no-op, also after a round trip through the file', (seed) => {
    const rng = mulberry32(seed);
    const first = mergeEntries(randomKubeconfig(rng), randomEntries(mulberry32(seed + 1e6), {}));
    const entries = randomEntries(rng, first.doc);
    const once = mergeEntries(first.doc, entries).doc;

    const again = mergeEntries(once, entries);
    expect(again.changes.every((c) => c.action === 'unchanged')).toBe(true);
    expect(again.doc).toBe(once);

    // What was written reads back equal, and merging the same entries into it changes nothing.
    const reread = parseKubeconfig(serializeKubeconfig(once), 'generated');
    expect(reread).toEqual(once);
    expect(mergeEntries(reread, entries).changes.every((c) => c.action === 'unchanged')).toBe(true);
  });

  it('ignores key order and optional fields left undefined when deciding "unchanged"', () => {
    const doc = parseKubeconfig('users:\n- user: {token: t}\n  name: a\n', 'f');
    const { changes, doc: out } = mergeEntries(doc, { user: { name: 'a', user: { token: 't', exec: undefined } } });
    expect(changes).toEqual([{ kind: 'user', name: 'a', action: 'unchanged' }]);
    expect(out).toBe(doc);
  });

  it('does not let later edits of the given entries reach the returned document', () => {
    const user = { name: 'a', user: { token: 't' } };
    const { doc } = mergeEntries(newKubeconfig(), { user });
    user.user.token = 'changed';
    expect(findUser(doc, 'a')?.user.token).toBe('t');
  });

  it('reports current-context as added, replaced or unchanged', () => {
    const empty = newKubeconfig();
    expect(mergeEntries(empty, { currentContext: 'a' }).changes).toEqual([{ kind: 'current-context', name: 'a', action: 'added' }]);
    const withA = mergeEntries(empty, { currentContext: 'a' }).doc;
    expect(mergeEntries(withA, { currentContext: 'b' }).changes[0]?.action).toBe('replaced');
    expect(mergeEntries(withA, { currentContext: 'a' }).changes[0]?.action).toBe('unchanged');
  });

  it('creates a list that was absent or null', () => {
    const { doc } = mergeEntries({ users: null }, { user: { name: 'u', user: {} }, context: { name: 'c', context: {} } });
    expect(doc.users).toEqual([{ name: 'u', user: {} }]);
    expect(doc.contexts).toEqual([{ name: 'c', context: {} }]);
  });
});

describe('removeEntries', () => {
  it.each(SEEDS.slice(0, 100))('seed %i: removes exactly the named entries', (seed) => {
    const rng = mulberry32(seed);
    const doc = randomKubeconfig(rng);
    const names = {
      user: listOf(doc, 'user')[0]?.name ?? 'absent-user',
      context: listOf(doc, 'context')[0]?.name ?? 'absent-context',
    };
    const snapshot = structuredClone(doc);
    const { doc: out, changes } = removeEntries(doc, names);
    expect(doc).toEqual(snapshot);
    expect(listOf(out, 'user')).toEqual(listOf(doc, 'user').filter((u) => u.name !== names.user));
    expect(listOf(out, 'context')).toEqual(listOf(doc, 'context').filter((c) => c.name !== names.context));
    expect(out.clusters).toBe(doc.clusters);
    expect(changes.find((c) => c.kind === 'user')?.action).toBe(findUser(doc, names.user) ? 'removed' : 'unchanged');
    expect(removeEntries(out, names).changes.every((c) => c.action === 'unchanged')).toBe(true);
  });

  it('clears current-context when it named the removed context', () => {
    const doc = parseKubeconfig('contexts:\n- name: c\n  context: {cluster: x, user: u}\ncurrent-context: c\n', 'f');
    const { doc: out, changes } = removeEntries(doc, { context: 'c' });
    expect(out['current-context']).toBe('');
    expect(findContext(out, 'c')).toBeUndefined();
    expect(changes).toContainEqual({ kind: 'current-context', name: '', action: 'removed' });
  });

  it('leaves current-context alone when another context is removed', () => {
    const doc = parseKubeconfig('contexts:\n- name: c\n  context: {}\n- name: d\n  context: {}\ncurrent-context: d\n', 'f');
    expect(removeEntries(doc, { context: 'c' }).doc['current-context']).toBe('d');
  });
});
