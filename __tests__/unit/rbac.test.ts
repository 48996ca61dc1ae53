import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import yaml from 'js-yaml';

import type { Io } from '../../src/ports/io.js';
import { Output } from '../../src/ports/output.js';
import { registerRbac } from '../../src/cli/rbac.js';
import { mapGroups, mapUsername } from '../../src/oidc/preflight.js';
import { buildRbacBinding, defaultBindingName, rbacNameProblem, rbacSubjects, toDnsName, type RbacBinding, type RbacInput } from '../../src/usecases/rbac.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';
import { caught, rejected } from '../helpers/errors.js';

const ISSUER = 'https://door.example.com';
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function input(over: Partial<RbacInput> = {}): RbacInput {
  return { users: [], groups: [], roleRef: { kind: 'ClusterRole', name: 'view' }, usernameClaim: 'name', usernamePrefix: '-', ...over };
}

const names = (i: RbacInput) => buildRbacBinding(i).object.subjects.map((s) => `${s.kind}:${s.name}`);

describe('RBAC subjects as the API server sees them', () => {
  it('users: no prefix by default, a custom prefix, "<issuer>#" when the prefix is unset, none for email', () => {
    expect(names(input({ users: ['alice'] }))).toEqual(['User:alice']);
    expect(names(input({ users: ['alice'], usernamePrefix: 'oidc:' }))).toEqual(['User:oidc:alice']);
    expect(names(input({ users: ['alice'], usernamePrefix: undefined, issuer: ISSUER }))).toEqual([`User:${ISSUER}#alice`]);
    expect(names(input({ users: ['alice@example.com'], usernamePrefix: undefined, usernameClaim: 'email' }))).toEqual(['User:alice@example.com']);
  });

  it('agrees with mapUsername/mapGroups, the functions the login preflight uses', () => {
    for (const usernamePrefix of ['-', 'oidc:', undefined]) {
      for (const groupsPrefix of [undefined, 'casdoor:']) {
        const i = input({ users: ['bob'], groups: ['k8s-org/devs'], issuer: ISSUER, ...(usernamePrefix !== undefined ? { usernamePrefix } : { usernamePrefix: undefined }), ...(groupsPrefix ? { groupsPrefix } : {}) });
        const subjects = buildRbacBinding(i).object.subjects;
        expect(subjects[0]?.name).toBe(mapUsername('bob', { issuer: ISSUER, usernameClaim: 'name', ...(usernamePrefix !== undefined ? { usernamePrefix } : {}) }));
        expect(subjects[1]?.name).toBe(mapGroups(['k8s-org/devs'], groupsPrefix)[0]);
      }
    }
  });

  it('groups: "<org>/<group>" from --organization, as given when it has an organization, then the groups prefix', () => {
    expect(names(input({ groups: ['admins'], organization: 'k8s-org' }))).toEqual(['Group:k8s-org/admins']);
    expect(names(input({ groups: ['k8s-org/admins'] }))).toEqual(['Group:k8s-org/admins']);
    expect(names(input({ groups: ['admins', 'other/devs'], organization: 'k8s-org', groupsPrefix: 'oidc:' }))).toEqual(['Group:oidc:k8s-org/admins', 'Group:oidc:other/devs']);
  });

  it('several users and groups in one binding, every subject in the rbac API group', () => {
    const { object } = buildRbacBinding(input({ users: ['alice', 'bob'], groups: ['admins'], organization: 'k8s-org' }));
    expect(object.subjects).toEqual([
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' },
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' },
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'k8s-org/admins' },
    ]);
  });

  it('warns about likely mistakes without refusing', () => {
    expect(rbacSubjects(input({ groups: ['admins'] })).warnings.join('\n')).toMatch(/without --organization .* will not match/);
    expect(rbacSubjects(input({ users: ['k8s-org/alice'] })).warnings.join('\n')).toMatch(/bare username/);
    expect(rbacSubjects(input({ groups: ['oidc:k8s-org/a'], groupsPrefix: 'oidc:' })).warnings.join('\n')).toMatch(/prepended again/);
    expect(rbacSubjects(input({ groups: ['other/a'], organization: 'k8s-org' })).warnings.join('\n')).toMatch(/not applied/);
    expect(rbacSubjects(input({ groups: ['admins'], organization: 'k8s-org' })).warnings).toEqual([]);
  });
});

describe('the binding', () => {
  it('ClusterRoleBinding to ClusterRole view by default; YAML that parses to the object, with the mapping explained on top', () => {
    const { text, object } = buildRbacBinding(input({ groups: ['admins'], organization: 'k8s-org', groupsPrefix: 'oidc:' }));
    expect(yaml.load(text)).toEqual(object);
    expect(object).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'casdoor-k8s-org-admins-view-a4859a66' }, // '/' lost: a hash of the subjects keeps it distinct
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'oidc:k8s-org/admins' }],
    });
    const header = text.split('\n').filter((l) => l.startsWith('#'));
    expect(header[0]).toMatch(/^# ClusterRoleBinding "casdoor-k8s-org-admins-view-a4859a66": ClusterRole "view" in every namespace/);
    expect(text).toContain('#   Group "oidc:k8s-org/admins" ← Casdoor group "admins" of organization "k8s-org" (claim value "k8s-org/admins"), --oidc-groups-prefix: prefix "oidc:"');
    expect(text).not.toContain('Template notes');
    expect(text).not.toContain('{{');
  });

  it('RoleBinding with --namespace, to a ClusterRole or a Role', () => {
    const toCluster = buildRbacBinding(input({ users: ['alice'], namespace: 'team-a', roleRef: { kind: 'ClusterRole', name: 'edit' } })).object;
    expect(toCluster).toMatchObject({ kind: 'RoleBinding', metadata: { name: 'casdoor-alice-edit', namespace: 'team-a' }, roleRef: { kind: 'ClusterRole', name: 'edit' } });
    const toRole = buildRbacBinding(input({ users: ['alice'], namespace: 'team-a', roleRef: { kind: 'Role', name: 'deployer' }, name: 'alice-deploys' })).object;
    expect(toRole).toMatchObject({ kind: 'RoleBinding', metadata: { name: 'alice-deploys', namespace: 'team-a' }, roleRef: { kind: 'Role', name: 'deployer' } });
  });

  it('derives valid DNS-1123 names', () => {
    expect(defaultBindingName('k8s-org/admins', 'cluster-admin')).toBe('casdoor-k8s-org-admins-cluster-admin-aded9bec');
    expect(defaultBindingName('Alice_Smith', 'view', 2)).toBe('casdoor-alice-smith-and-2-more-view-0a1c0399');
    for (const raw of ['https://door.example.com#alice', '--weird__Name--', 'ü', 'x'.repeat(300), '..', 'a..b']) {
      const n = toDnsName(raw);
      expect(n).toMatch(DNS1123_SUBDOMAIN);
      expect(n.length).toBeLessThanOrEqual(63);
    }
    // Shortened names stay distinct.
    expect(toDnsName(`${'x'.repeat(80)}a`)).not.toBe(toDnsName(`${'x'.repeat(80)}b`));
    expect(rbacNameProblem('system:casdoor:admins')).toBeUndefined();
    expect(rbacNameProblem('a/b')).toMatch(/"\/"/);
  });

  it('refuses bad input with usage errors that say what to do', () => {
    const cases: Array<[Partial<RbacInput>, RegExp]> = [
      [{}, /at least one --user, --group or --application/],
      [{ users: ['alice'], usernamePrefix: undefined }, /give --casdoor-url/],
      [{ users: ['alice'], namespace: 'Team_A' }, /not a valid namespace/],
      [{ users: ['alice'], roleRef: { kind: 'Role', name: 'deployer' } }, /--role names a namespaced Role: give --namespace/],
      [{ users: ['alice'], name: 'a/b' }, /--name: the binding name may not contain "\/"/],
      [{ users: ['a\nb'] }, /not a valid name/],
      [{ groups: ['admins'], organization: 'k8s org' }, /not a Casdoor organization name/],
    ];
    for (const [over, message] of cases) {
      const err = caught(() => buildRbacBinding(input(over)));
      expect(err.code).toBe('usage');
      expect(err.message).toMatch(message);
    }
  });
});

// --- the command through commander ---------------------------------------------------------------

function program() {
  let out = '';
  let err = '';
  const io: Io = {
    env: {},
    stdin: Readable.from([]),
    stdout: { write: (s: string) => { out += s; return true; } },
    stderr: { write: (s: string) => { err += s; return true; } },
    homeDir: tmpdir(),
    cwd: tmpdir(),
    now: () => new Date(),
  };
  const p = new Command('casdoor-kubeconfig');
  p.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  registerRbac(p, { io, output: () => new Output(io), program: () => p });
  return { stdout: () => out, stderr: () => err, run: (args: string[]) => p.parseAsync(['rbac', ...args], { from: 'user' }) };
}

describe('rbac command', () => {
  it('--group admins --organization k8s-org: the YAML on stdout, nothing on stderr', async () => {
    const p = program();
    await p.run(['--group', 'admins', '--organization', 'k8s-org']);
    const doc = yaml.load(p.stdout()) as RbacBinding;
    expect(doc.kind).toBe('ClusterRoleBinding');
    expect(doc.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    expect(doc.subjects).toEqual([{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'k8s-org/admins' }]);
    expect(p.stderr()).toBe('');
  });

  it('repeatable --user/--group, prefixes, --cluster-role, --name', async () => {
    const p = program();
    await p.run(['--user', 'alice', '--user', 'bob', '--group', 'k8s-org/ops', '--username-prefix', 'oidc:', '--groups-prefix', 'oidc:', '--cluster-role', 'cluster-admin', '--name', 'casdoor-admins']);
    const doc = yaml.load(p.stdout()) as RbacBinding;
    expect(doc.metadata).toEqual({ name: 'casdoor-admins' });
    expect(doc.subjects.map((s: { name: string }) => s.name)).toEqual(['oidc:alice', 'oidc:bob', 'oidc:k8s-org/ops']);
    expect(doc.roleRef.name).toBe('cluster-admin');
  });

  it("--username-prefix '' with --issuer (or --casdoor-url): users named \"<issuer>#<name>\"", async () => {
    const p = program();
    await p.run(['--user', 'alice', '--username-prefix', '', '--issuer', ISSUER]);
    expect((yaml.load(p.stdout()) as RbacBinding).subjects[0]?.name).toBe(`${ISSUER}#alice`);
  });

  it('a bare group without --organization is printed with a warning on stderr', async () => {
    const p = program();
    await p.run(['--group', 'admins']);
    expect(p.stderr()).toMatch(/Casdoor puts "<organization>\/<group>"/);
    expect(p.stdout()).toContain('name: admins');
  });

  const usageCases: Array<[string, string[], RegExp]> = [
    ['neither --user nor --group', [], /at least one --user, --group or --application/],
    ['--role and --cluster-role', ['--user', 'a', '--role', 'r', '--cluster-role', 'c', '--namespace', 'ns'], /either --cluster-role or --role/],
    ['--role without --namespace', ['--user', 'a', '--role', 'r'], /give --namespace/],
    ['an http issuer', ['--user', 'a', '--username-prefix', '', '--casdoor-url', 'http://door.example.com'], /must use https/],
    ['an unset prefix without issuer', ['--user', 'a', '--username-prefix', ''], /give --casdoor-url/],
    ['--issuer and --casdoor-url differing', ['--user', 'a', '--issuer', ISSUER, '--casdoor-url', 'https://other.example.com'], /differ/],
  ];
  for (const [what, args, message] of usageCases) {
    it(`usage error (exit 2) for ${what}`, async () => {
      const p = program();
      const e = await rejected(p.run(args));
      expect(e.code).toBe('usage');
      expect(e.message).toMatch(message);
      expect(p.stdout()).toBe('');
    });
  }

  it('--help describes the command, every flag and an example', async () => {
    const p = program();
    await expect(p.run(['--help'])).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
    for (const flag of ['--user', '--group', '--organization', '--cluster-role', '--role', '--namespace', '--name', '--username-claim', '--username-prefix', '--groups-prefix', '--casdoor-url', '--issuer']) {
      expect(p.stdout()).toContain(flag);
    }
    expect(p.stdout()).toMatch(/Examples:\n\s+# Read-only access/);
  });
});

// --- the real kubectl ----------------------------------------------------------------------------

const itKubectl = requireKubectl() ? it : it.skip;

/**
 * `kubectl create -f` needs the server's API discovery even with --dry-run=client (to map the kind
 * to a resource), so a loopback stub serves just that: /api, /apis and the rbac group's resources.
 */
function startDiscoveryStub(): Promise<Server> {
  const group = { groupVersion: 'rbac.authorization.k8s.io/v1', version: 'v1' };
  const routes: Record<string, unknown> = {
    '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
    '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [] },
    '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'rbac.authorization.k8s.io', versions: [group], preferredVersion: group }] },
    '/apis/rbac.authorization.k8s.io/v1': {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'rbac.authorization.k8s.io/v1',
      resources: [
        { name: 'clusterrolebindings', singularName: 'clusterrolebinding', namespaced: false, kind: 'ClusterRoleBinding', verbs: ['create', 'get', 'list'] },
        { name: 'rolebindings', singularName: 'rolebinding', namespaced: true, kind: 'RoleBinding', verbs: ['create', 'get', 'list'] },
      ],
    },
  };
  const server = createServer((req, res) => {
    const body = routes[(req.url ?? '').split('?')[0] as string];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404 }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('kubectl accepts the bindings', () => {
  let home: TempHome;
  let stub: Server;
  let server: string;

  beforeAll(async () => {
    home = await makeTempHome();
    stub = await startDiscoveryStub();
    server = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => stub?.close(resolve));
    await home?.cleanup();
  });

  const cases: Array<[string, RbacInput, string[]]> = [
    [
      'ClusterRoleBinding for users and groups with prefixes',
      input({ users: ['alice'], groups: ['admins'], organization: 'k8s-org', usernamePrefix: undefined, issuer: ISSUER, groupsPrefix: 'oidc:', roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } }),
      ['clusterrolebinding', 'casdoor-alice-and-1-more-cluster-admin-bca46248', '--clusterrole=cluster-admin', `--user=${ISSUER}#alice`, '--group=oidc:k8s-org/admins'],
    ],
    [
      'RoleBinding to a Role',
      input({ groups: ['k8s-org/devs'], namespace: 'team-a', roleRef: { kind: 'Role', name: 'deployer' } }),
      ['rolebinding', 'casdoor-k8s-org-devs-deployer-140300b8', '--namespace=team-a', '--role=deployer', '--group=k8s-org/devs'],
    ],
    [
      'RoleBinding to a ClusterRole',
      input({ users: ['yes'], namespace: 'team-a', roleRef: { kind: 'ClusterRole', name: 'view' } }),
      ['rolebinding', 'casdoor-yes-view', '--namespace=team-a', '--clusterrole=view', '--user=yes'],
    ],
  ];

  for (const [what, rbacInput, generatorArgs] of cases) {
    itKubectl(`${what}: kubectl create -f --dry-run=client reads it back unchanged, and it equals kubectl's own generator`, async () => {
      const bin = kubectlBinary() as string;
      const { text, object } = buildRbacBinding(rbacInput);
      const file = await home.write('binding.yaml', text);
      const fromFile = await runKubectl(bin, ['--server', server, 'create', '--dry-run=client', '--validate=false', '-f', file, '-o', 'yaml'], { env: home.env });
      expect(fromFile.stderr).toBe('');
      expect(fromFile.code).toBe(0);
      expect(yaml.load(fromFile.stdout)).toEqual(object);

      const generated = await runKubectl(bin, ['create', ...generatorArgs, '--dry-run=client', '-o', 'yaml'], { env: home.env });
      expect(generated.code).toBe(0);
      const theirs = yaml.load(generated.stdout) as RbacBinding & { metadata: { creationTimestamp?: unknown } };
      delete theirs.metadata.creationTimestamp;
      expect(theirs).toEqual(object);
    });
  }

  itKubectl('the check has teeth: kubectl refuses a kind the API does not have', async () => {
    const bin = kubectlBinary() as string;
    const { text } = buildRbacBinding(input({ users: ['alice'] }));
    const file = await home.write('bad.yaml', text.replace('kind: ClusterRoleBinding', 'kind: ClusterRoleBindingz'));
    const res = await runKubectl(bin, ['--server', server, 'create', '--dry-run=client', '--validate=false', '-f', file, '-o', 'yaml'], { env: home.env });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/no matches for kind "ClusterRoleBindingz"/);
  });
});
