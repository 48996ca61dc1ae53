import { describe, expect, it } from '@jest/globals';
import { lineDiff, renderKubeconfigDiff } from '../../src/kubeconfig/diff.js';
import { mergeEntries, removeEntries } from '../../src/kubeconfig/merge.js';
import { parseKubeconfig } from '../../src/kubeconfig/model.js';
import { registerSecret } from '../../src/redact.js';
import { mulberry32, randomEntries, randomKubeconfig } from '../helpers/kubeconfig-gen.js';

describe('lineDiff', () => {
  it.each([
    [[], [], []],
    [['a'], ['a'], [' a']],
    [[], ['a', 'b'], ['+a', '+b']],
    [['a', 'b'], [], ['-a', '-b']],
    [['a', 'b', 'c'], ['a', 'x', 'c'], [' a', '-b', '+x', ' c']],
    [['a', 'b', 'c', 'd'], ['a', 'c', 'd', 'e'], [' a', '-b', ' c', ' d', '+e']],
    [['k:', '  x: 1', '  y: 2'], ['k:', '  y: 2', '  z: 3'], [' k:', '-  x: 1', '   y: 2', '+  z: 3']],
  ])('%j → %j', (before, after, expected) => {
    expect(lineDiff(before, after)).toEqual(expected);
  });

  it.each(Array.from({ length: 200 }, (_, i) => i + 1))('seed %i: applying the diff rebuilds both sides', (seed) => {
    const rng = mulberry32(seed);
    const line = () => 'abcde'[Math.floor(rng() * 5)] as string;
    const a = Array.from({ length: Math.floor(rng() * 12) }, line);
    const b = Array.from({ length: Math.floor(rng() * 12) }, line);
    const d = lineDiff(a, b);
    expect(d.filter((l) => !l.startsWith('+')).map((l) => l.slice(1))).toEqual(a);
    expect(d.filter((l) => !l.startsWith('-')).map((l) => l.slice(1))).toEqual(b);
  });
});

describe('renderKubeconfigDiff', () => {
  const before = parseKubeconfig(
    `users:
- name: alice
  user:
    auth-provider:
      name: oidc
      config: {client-id: k, idp-issuer-url: 'https://i', client-secret: OLD-SECRET-1, id-token: OLD-ID-TOKEN-1, refresh-token: OLD-REFRESH-1}
current-context: a
`,
    'f',
  );

  it('shows only the changed entries, secrets redacted on both sides', () => {
    const { doc, changes } = mergeEntries(before, {
      user: {
        name: 'alice',
        user: {
          'auth-provider': {
            name: 'oidc',
            config: { 'client-id': 'k2', 'idp-issuer-url': 'https://i', 'client-secret': 'NEW-SECRET-2', 'id-token': 'NEW-ID-TOKEN-2', 'refresh-token': 'NEW-REFRESH-2' },
          },
        },
      },
      context: { name: 'b', context: { cluster: 'c', user: 'alice' } },
      currentContext: 'b',
    });
    const diff = renderKubeconfigDiff('/k/config', before, doc, changes);
    expect(diff).toBe(
      [
        '--- /k/config',
        '+++ /k/config',
        '@@ user "alice": replaced @@',
        ' users:',
        ' - name: alice',
        '   user:',
        '     auth-provider:',
        '       name: oidc',
        '       config:',
        '-        client-id: k',
        '+        client-id: k2',
        '         idp-issuer-url: https://i',
        '         client-secret: <redacted>',
        '         id-token: <redacted>',
        '         refresh-token: <redacted>',
        '@@ context "b": added @@',
        '+contexts:',
        '+- name: b',
        '+  context:',
        '+    cluster: c',
        '+    user: alice',
        '@@ current-context: replaced @@',
        '-current-context: a',
        '+current-context: b',
        '',
      ].join('\n'),
    );
  });

  it('says so when only secret values changed', () => {
    const rotated = structuredClone(before.users?.[0]);
    if (!rotated?.user['auth-provider']?.config) throw new Error('fixture');
    rotated.user['auth-provider'].config['id-token'] = 'ROTATED-ID-TOKEN';
    const { doc, changes } = mergeEntries(before, { user: rotated });
    const diff = renderKubeconfigDiff('f', before, doc, changes);
    expect(diff).toContain('# secret values changed (not shown)');
    expect(diff).not.toMatch(/OLD-|ROTATED/);
  });

  it('redacts registered secrets and JWTs outside the known keys (exec args, unknown keys)', () => {
    registerSecret('s3cr3t-in-args');
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4eXoifQ.abcdefghijklmnop';
    const { doc, changes } = mergeEntries(before, {
      user: { name: 'bob', user: { exec: { command: 'x', args: ['--secret=s3cr3t-in-args'] }, 'x-note': jwt } },
    });
    const diff = renderKubeconfigDiff('f', before, doc, changes);
    expect(diff).not.toContain('s3cr3t-in-args');
    expect(diff).not.toContain(jwt);
  });

  it('shows removals', () => {
    const { doc, changes } = removeEntries(before, { user: 'alice' });
    const diff = renderKubeconfigDiff('f', before, doc, changes);
    expect(diff).toContain('@@ user "alice": removed @@\n-users:\n-- name: alice');
    expect(diff).not.toMatch(/OLD-/);
  });

  it('is empty when nothing changed', () => {
    const { doc, changes } = mergeEntries(before, { currentContext: 'a' });
    expect(renderKubeconfigDiff('f', before, doc, changes)).toBe('');
  });

  it.each(Array.from({ length: 100 }, (_, i) => i + 1))('seed %i: no secret of a generated kubeconfig leaks', (seed) => {
    const rng = mulberry32(seed);
    const doc = randomKubeconfig(rng);
    const entries = randomEntries(rng, doc);
    const merged = mergeEntries(doc, entries);
    const diff = renderKubeconfigDiff('f', doc, merged.doc, merged.changes);
    for (const u of [...(doc.users ?? []), ...(merged.doc.users ?? [])]) {
      const config = u.user['auth-provider']?.config ?? {};
      for (const key of ['client-secret', 'id-token', 'refresh-token']) {
        const secret = config[key];
        if (secret) expect(diff).not.toContain(secret);
      }
    }
  });
});
