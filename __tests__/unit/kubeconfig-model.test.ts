import { describe, expect, it } from '@jest/globals';
import { CliError } from '../../src/errors.js';
import { newKubeconfig, parseKubeconfig, serializeKubeconfig } from '../../src/kubeconfig/model.js';

function parseError(text: string): CliError {
  try {
    parseKubeconfig(text, '/k/config');
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return err as CliError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseKubeconfig accepts what kubectl accepts', () => {
  it.each([
    ['an empty file', ''],
    ['a comment-only file', '# nothing here\n'],
    ['no apiVersion and no kind', 'users: []\n'],
    ['only apiVersion', 'apiVersion: v1\n'],
    ['only kind', 'kind: Config\n'],
    ['empty apiVersion and kind', 'apiVersion: ""\nkind: ""\n'],
    ['null lists', 'clusters: null\nusers:\ncontexts: ~\n'],
    ['unknown keys everywhere', 'x-top: 1\nusers:\n- name: a\n  x-entry: [1]\n  user: {x-user: {deep: true}}\n'],
    ['a repeated key (the last wins)', 'current-context: a\ncurrent-context: b\n'],
    ['YAML merge keys', 'base: &b {server: https://x}\nclusters:\n- name: c\n  cluster:\n    <<: *b\n'],
  ])('%s', (_label, text) => {
    expect(() => parseKubeconfig(text, 'f')).not.toThrow();
  });

  it('gives an empty file the shape kubectl writes', () => {
    expect(parseKubeconfig('', 'f')).toEqual(newKubeconfig());
    expect(newKubeconfig()).toEqual({
      apiVersion: 'v1',
      clusters: [],
      contexts: [],
      'current-context': '',
      kind: 'Config',
      preferences: {},
      users: [],
    });
  });

  it('keeps dates and octal-looking values as the strings they are', () => {
    const doc = parseKubeconfig('users:\n- name: a\n  user:\n    token: 2024-01-01\n', 'f');
    expect(doc.users?.[0]?.user.token).toBe('2024-01-01');
  });
});

describe('parseKubeconfig rejects what kubectl rejects, naming the entry', () => {
  it.each([
    ['malformed YAML', 'users: [\n', /\/k\/config is not valid YAML \(line \d+, column \d+/],
    ['another kind', 'kind: Pod\n', /kind is "Pod", expected "Config"/],
    ['another apiVersion', 'apiVersion: v2\n', /apiVersion is "v2", expected "v1"/],
    ['a top-level list', '- a\n', /the top level must be a mapping/],
    ['a scalar document', 'hello\n', /the top level must be a mapping/],
    ['users not a list', 'users: 5\n', /users must be a list/],
    ['a user that is not a mapping', 'users:\n- {name: a, user: {}}\n- {name: b, user: {}}\n- {name: c, user: {}}\n- {name: d, user: 5}\n', /users\[3\]\.user must be a mapping/],
    ['a user without user', 'users:\n- name: a\n', /users\[0\]\.user is missing/],
    ['an entry without name', 'contexts:\n- context: {}\n', /contexts\[0\]\.name is missing/],
    ['a numeric name', 'clusters:\n- name: 5\n  cluster: {}\n', /clusters\[0\]\.name must be a string/],
    ['a duplicate name', 'users:\n- {name: a, user: {}}\n- {name: a, user: {}}\n', /users\[1\] repeats the name "a"/],
    ['a numeric server', 'clusters:\n- name: c\n  cluster: {server: 5}\n', /clusters\[0\]\.cluster\.server must be a string/],
    ['a string where a boolean belongs', 'clusters:\n- name: c\n  cluster: {insecure-skip-tls-verify: "yes"}\n', /insecure-skip-tls-verify must be true or false/],
    ['a numeric token', 'users:\n- name: a\n  user: {token: 5}\n', /users\[0\]\.user\.token must be a string/],
    ['a bad auth-provider config', 'users:\n- name: a\n  user:\n    auth-provider: {name: oidc, config: {id-token: [1]}}\n', /users\[0\]\.user\.auth-provider\.config must be a mapping of strings/],
    ['bad exec args', 'users:\n- name: a\n  user:\n    exec: {command: x, args: [1]}\n', /users\[0\]\.user\.exec\.args must be a list of strings/],
    ['a bad exec env item', 'users:\n- name: a\n  user:\n    exec: {command: x, env: [{name: a, value: 1}]}\n', /users\[0\]\.user\.exec\.env\[0\]\.value must be a string/],
    ['a numeric current-context', 'current-context: 5\n', /current-context must be a string/],
    ['scalar preferences', 'preferences: 5\n', /preferences must be a mapping/],
    ['a null list item', 'users:\n- null\n', /users\[0\] must be a mapping/],
    ['two documents', 'kind: Config\n---\nkind: Config\n', /not valid YAML/],
  ])('%s', (_label, text, message) => {
    const err = parseError(text);
    expect(err.code).toBe('kubeconfig');
    expect(err.message).toMatch(message);
    expect(err.message).toContain('/k/config');
  });
});

describe('serializeKubeconfig', () => {
  it('writes kubectl-style YAML without folding long tokens', () => {
    const token = 'x'.repeat(500);
    const text = serializeKubeconfig({ users: [{ name: 'a', user: { token } }] });
    expect(text).toBe(`users:\n- name: a\n  user:\n    token: ${token}\n`);
  });

  it('quotes strings that Go YAML 1.1 would read as booleans or numbers', () => {
    const values = ['yes', 'on', 'n', '0755', '1e3', '1_000', '0x_1F', '0o17', '+12', '12:30', '2024-01-01', ''];
    const text = serializeKubeconfig({ contexts: values.map((v, i) => ({ name: `c${i}`, context: { namespace: v } })) });
    for (const v of values) expect(text).toContain(`namespace: '${v}'`);
    expect(parseKubeconfig(text, 'f').contexts?.map((c) => c.context.namespace)).toEqual(values);
  });

  it('writes no anchors for shared objects', () => {
    const shared = { server: 'https://x' };
    const text = serializeKubeconfig({ clusters: [{ name: 'a', cluster: shared }, { name: 'b', cluster: shared }] });
    expect(text).not.toMatch(/[&*]ref/);
  });
});
