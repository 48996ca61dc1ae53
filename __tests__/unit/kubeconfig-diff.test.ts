import { describe, expect, it } from '@jest/globals';
import { lineDiff, redactExecArgs, renderKubeconfigDiff } from '../../src/kubeconfig/diff.js';
import { findUser, mergeEntries, removeEntries } from '../../src/kubeconfig/merge.js';
import { parseKubeconfig, type NamedUser } from '../../src/kubeconfig/model.js';
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

  describe('user entries: every value under user: is redacted except an allowlist', () => {
    const SECRETS = ['CLIENT-KEY-DATA-SECRET', 'CLIENT-CERT-DATA-VALUE', 'STATIC-BEARER-TOKEN', 'ENV-VALUE-SECRET', 'ARG-CLIENT-SECRET', 'ARG-PASSWORD-EQ', 'BASIC-USER', 'BASIC-PASSWORD', 'VENDOR-SECRET', 'TOKEN-FILE-PATH'];
    const existing = parseKubeconfig(
      `users:
- name: admin
  user:
    client-certificate-data: CLIENT-CERT-DATA-VALUE
    client-key-data: CLIENT-KEY-DATA-SECRET
    token: STATIC-BEARER-TOKEN
    tokenFile: TOKEN-FILE-PATH
    username: BASIC-USER
    password: BASIC-PASSWORD
    x-vendor: {nested: [VENDOR-SECRET]}
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: my-plugin
      args: [get-token, --client-secret, ARG-CLIENT-SECRET, --password=ARG-PASSWORD-EQ, --cluster-name, prod]
      env: [{name: PLUGIN_SECRET, value: ENV-VALUE-SECRET}]
      interactiveMode: IfAvailable
      provideClusterInfo: true
`,
      'f',
    );
    const replaceAdmin = () =>
      mergeEntries(existing, {
        user: {
          name: 'admin',
          user: {
            'auth-provider': {
              name: 'oidc',
              config: { 'client-id': 'kubernetes', 'idp-issuer-url': 'https://door.example', 'client-secret': 'NEW-CS-1', 'id-token': 'NEW-ID-1', 'refresh-token': 'NEW-RT-1', 'extra-scopes': 'NEW-EXTRA-1' },
            },
          },
        },
      });

    it('a replaced user shows none of its credentials (client-key-data, tokens, exec env values, secret flag values, basic auth)', () => {
      const { doc, changes } = replaceAdmin();
      const diff = renderKubeconfigDiff('/k/config', existing, doc, changes);
      for (const secret of [...SECRETS, 'NEW-CS-1', 'NEW-ID-1', 'NEW-RT-1', 'NEW-EXTRA-1']) expect(diff).not.toContain(secret);
      // What is safe stays readable, so the diff still says what changes.
      expect(diff).toContain('-    client-key-data: <redacted>');
      expect(diff).toContain("-      - '--client-secret'\n-      - <redacted>\n-      - '--password=<redacted>'\n-      - '--cluster-name'\n-      - prod");
      expect(diff).toContain('-      - name: PLUGIN_SECRET\n-        value: <redacted>');
      expect(diff).toContain('-      command: my-plugin');
      expect(diff).toContain('-      provideClusterInfo: true');
      expect(diff).toContain('+        client-id: kubernetes');
      expect(diff).toContain('+        idp-issuer-url: https://door.example');
      expect(diff).toContain('+      name: oidc');
    });

    it('a removed user, and one written over another, are redacted the same way', () => {
      const removed = removeEntries(existing, { user: 'admin' });
      const diff = renderKubeconfigDiff('f', existing, removed.doc, removed.changes);
      for (const secret of SECRETS) expect(diff).not.toContain(secret);
      const { doc } = replaceAdmin();
      const back = mergeEntries(doc, { user: findUser(existing, 'admin') as NamedUser });
      const added = renderKubeconfigDiff('f', doc, back.doc, back.changes);
      for (const secret of SECRETS) expect(added).not.toContain(secret);
      expect(added).toContain('+    client-key-data: <redacted>');
    });

    it.each([
      [['token', '--casdoor-url', 'https://d', '--client-id', 'k', '--username', 'bob'], ['token', '--casdoor-url', 'https://d', '--client-id', 'k', '--username', 'bob']],
      [['--client-secret', 'X1'], ['--client-secret', '<redacted>']],
      [['--token', '-starts-with-dash'], ['--token', '<redacted>']],
      [['--api-key=K', '--id-token', 'T', '--passwd', 'P', '--name=n'], ['--api-key=<redacted>', '--id-token', '<redacted>', '--passwd', '<redacted>', '--name=n']],
    ])('exec args %j → %j', (args, expected) => {
      expect(redactExecArgs(args)).toEqual(expected);
    });
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
