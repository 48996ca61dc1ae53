/**
 * `generate` end to end: a roster with a bad row in the middle, in exec mode (no secrets, no login)
 * and in auth-provider mode (one real password login per teammate against the Casdoor-like provider).
 * The files must be standalone, 0600, in a 0700 folder, read by the real kubectl, and the bad row must
 * not stop the others.
 */
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { DEFAULT_USERS, type DemoEnvironment } from '../../src/demo/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { allKubectlBinaries, kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;

const PASSWORDS = { alice: 'correct-horse', bob: 'battery-staple', carol: 'carol-secret-pw' };
let env: DemoEnvironment;
let home: TempHome;

useDemoEnvironment(
  { provider: { users: [...DEFAULT_USERS, { username: 'carol', password: PASSWORDS.carol, groups: ['k8s-org/devs'], email: 'carol@example.com', emailVerified: true }] } },
  (e, h) => {
    env = e;
    home = h;
  },
);

const common = (): string[] => [
  '--casdoor-url', env.provider.issuer,
  '--client-id', env.provider.clientId,
  '--casdoor-ca', env.caFile,
  '--server', env.apiserver.url,
  '--certificate-authority', env.caFile,
];

const generate = (args: string[]): Promise<CliRun> => runCli(['generate', ...args], { home: home.home, env: { KUBECONFIG: undefined } });

function expectNoSecrets(run: CliRun): void {
  for (const pw of [...Object.values(PASSWORDS), 'wrong-password-1']) expect(run.all).not.toContain(pw);
  expect(run.all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
}

type Doc = Record<string, any>;
const load = async (file: string): Promise<Doc> => yaml.load(await readFile(file, 'utf8')) as Doc;
const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

describe('generate, exec mode (default): no secrets, no login', () => {
  it('writes a file per good row, reports the bad one, exits with its code', async () => {
    const roster = await home.write('team.yaml', ['users:', '- alice', '- username: ""', '  namespace: team-x', '- username: bob', '  namespace: team-b', '  context: bob@prod', ''].join('\n'));
    const outDir = home.path('out', 'kubeconfigs');
    const run = await generate(['--roster', roster, '--out-dir', outDir, ...common()]);
    expect(run.code).toBe(2);
    expectNoSecrets(run);
    // The summary names every row, the failure with its place and reason.
    expect(run.stdout).toMatch(/^USER\s+FILE\s+STATUS\s+DETAIL$/m);
    expect(run.stdout).toMatch(/^alice\s+\S+\/alice\.kubeconfig\s+written\s+exec plugin/m);
    expect(run.stdout).toMatch(/^\(users\[1\]\)\s+-\s+failed\s+users\[1\]: username is empty$/m);
    expect(run.stdout).toMatch(/^bob\s+\S+\/bob\.kubeconfig\s+written/m);
    expect(run.stderr).toMatch(/1 of 3 users failed \(see the summary\); the other files were written/);
    expect(env.provider.stats.tokenRequests).toBe(0);
    expect(env.provider.stats.discoveryRequests).toBe(1);

    expect((await readdir(outDir)).sort()).toEqual(['alice.kubeconfig', 'bob.kubeconfig']);
    expect(await mode(outDir)).toBe(0o700);
    for (const f of ['alice', 'bob']) expect(await mode(`${outDir}/${f}.kubeconfig`)).toBe(0o600);

    const bob = await load(`${outDir}/bob.kubeconfig`);
    expect(bob['current-context']).toBe('bob@prod');
    expect(bob.contexts).toEqual([{ name: 'bob@prod', context: { cluster: new URL(env.apiserver.url).host, user: `bob@${new URL(env.provider.issuer).host}/${env.provider.clientId}`, namespace: 'team-b' } }]);
    const exec = bob.users[0].user.exec;
    expect(exec).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1', command: 'casdoor-kubeconfig', interactiveMode: 'IfAvailable' });
    expect(exec.args).toEqual(['token', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--casdoor-ca', env.caFile, '--username', 'bob']);
    expect(bob.clusters[0].cluster['certificate-authority-data']).toBe(Buffer.from(env.caPem).toString('base64'));
    expect(JSON.stringify(bob)).not.toMatch(/id-token|refresh-token|client-secret/);
  });

  itKubectl('every kubectl version reads the generated files', async () => {
    const roster = await home.write('team.csv', 'username,namespace\nalice,team-a\nbob,\n');
    const outDir = home.path('out');
    expect((await generate(['--roster', roster, '--out-dir', outDir, ...common(), '--exec-command', '/opt/bin/casdoor-kubeconfig', '--casdoor-ca-path', '/etc/casdoor/ca.pem'])).code).toBe(0);
    for (const bin of allKubectlBinaries()) {
      const view = await runKubectl(bin.path, ['config', 'view', '-o', 'json'], { kubeconfig: `${outDir}/alice.kubeconfig` });
      expect({ bin: bin.path, code: view.code, stderr: view.stderr }).toMatchObject({ code: 0 });
      const doc = JSON.parse(view.stdout);
      expect(doc['current-context']).toBe(`alice@${new URL(env.apiserver.url).host}`);
      expect(doc.contexts[0].context.namespace).toBe('team-a');
      expect(doc.users[0].user.exec.command).toBe('/opt/bin/casdoor-kubeconfig');
      expect(doc.users[0].user.exec.args).toContain('/etc/casdoor/ca.pem');
    }
  });

  it('-o json summary; a re-run leaves identical files unchanged', async () => {
    const roster = await home.write('team.txt', 'alice\n');
    const outDir = home.path('out');
    expect((await generate(['--roster', roster, '--out-dir', outDir, ...common(), '--offline'])).code).toBe(0);
    const before = await readFile(`${outDir}/alice.kubeconfig`, 'utf8');
    const run = await generate(['--roster', roster, '--out-dir', outDir, ...common(), '--offline', '-o', 'json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ mode: 'exec', written: 1, failed: 0, outDir });
    expect(summary.rows[0]).toMatchObject({ row: 'line 1', username: 'alice', status: 'unchanged', file: `${outDir}/alice.kubeconfig` });
    expect(await readFile(`${outDir}/alice.kubeconfig`, 'utf8')).toBe(before);
    expect(env.provider.stats.discoveryRequests).toBe(0);
  });
});

describe('generate --mode auth-provider --passwords FILE', () => {
  async function passwordsFile(content: Record<string, string>, fileMode = 0o600): Promise<string> {
    return home.write('pw.yaml', yaml.dump(content), fileMode);
  }

  it('logs each teammate in; a wrong password in the middle fails only that row (exit 3)', async () => {
    const roster = await home.write('team.csv', 'username,namespace\nalice,team-a\nbob,team-b\ncarol,\n');
    const pw = await passwordsFile({ alice: PASSWORDS.alice, bob: 'wrong-password-1', carol: PASSWORDS.carol });
    const outDir = home.path('out');
    const run = await generate(['--roster', roster, '--out-dir', outDir, ...common(), '--mode', 'auth-provider', '--passwords', pw]);
    expect(run.code).toBe(3);
    expectNoSecrets(run);
    expect(run.stdout).toMatch(/^alice\s+\S+alice\.kubeconfig\s+written\s+API server sees alice \(k8s-org\/admins\) \(claim name, JWT\); token expires .*; renewal until .* \(refresh token; checked with Casdoor\)$/m);
    expect(run.stdout).toMatch(/^bob\s+\S+bob\.kubeconfig\s+failed\s+line 3: .*password or code is incorrect/m);
    expect(run.stdout).toMatch(/^carol\s+\S+carol\.kubeconfig\s+written\s+API server sees carol \(k8s-org\/devs\)/m);
    // 3 password grants, and one refresh proven (and rotated) per written file before writing it.
    expect(env.provider.stats.tokenRequests).toBe(5);
    expect(env.provider.stats.refreshGrants).toBe(2);
    expect(env.provider.stats.failedTokenRequests).toBe(1);
    expect((await readdir(outDir)).sort()).toEqual(['alice.kubeconfig', 'carol.kubeconfig']);

    const alice = await load(`${outDir}/alice.kubeconfig`);
    const config = alice.users[0].user['auth-provider'].config;
    expect(config).toMatchObject({ 'client-id': env.provider.clientId, 'idp-issuer-url': env.provider.issuer, 'idp-certificate-authority-data': Buffer.from(env.caPem).toString('base64') });
    expect(config['id-token']).toMatch(/^eyJ/);
    expect(config['refresh-token']).toBeTruthy();
    expect(await mode(`${outDir}/alice.kubeconfig`)).toBe(0o600);
  });

  itKubectl('the files work with the real kubectl: each teammate is who the API server sees', async () => {
    const roster = await home.write('team.yaml', '- alice\n- carol\n');
    const outDir = home.path('out');
    const run = await generate(['--roster', roster, '--out-dir', outDir, ...common(), '--mode', 'auth-provider', '--passwords', await passwordsFile(PASSWORDS), '-o', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).rows.map((r: { apiServerUsername: string }) => r.apiServerUsername)).toEqual(['alice', 'carol']);
    for (const user of ['alice', 'carol']) {
      const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: `${outDir}/${user}.kubeconfig` });
      expect({ user, code: who.code, stderr: who.stderr }).toMatchObject({ code: 0 });
      expect(JSON.parse(who.stdout).status.userInfo.username).toBe(user);
    }
  });

  it('--client-secret is checked with Casdoor and never written into a file; a wrong one fails each row (exit 3)', async () => {
    const roster = await home.write('team.yaml', '- alice\n');
    const outDir = home.path('out');
    const ok = await generate(['--roster', roster, '--out-dir', outDir, ...common(), '--client-secret', env.provider.clientSecret, '--mode', 'auth-provider', '--passwords', await passwordsFile(PASSWORDS)]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('(refresh token; checked with Casdoor, and the client secret with it)');
    const text = await readFile(`${outDir}/alice.kubeconfig`, 'utf8');
    expect(text).not.toContain(env.provider.clientSecret);
    expect(text).not.toContain('client-secret');
    expect(ok.all).not.toContain(env.provider.clientSecret);

    const wrong = await generate(['--roster', roster, '--out-dir', home.path('out2'), ...common(), '--client-secret', 'not-the-secret-0123', '--mode', 'auth-provider', '--passwords', await passwordsFile(PASSWORDS)]);
    expect(wrong.code).toBe(3);
    expect(wrong.stdout).toMatch(/^alice\s+\S+\s+failed\s+item 1: Casdoor refused the client secret \(invalid_client: "client_secret is invalid"\); nothing was written\.$/m);
    expect(wrong.all).not.toContain('not-the-secret-0123');
    await expect(readdir(home.path('out2'))).resolves.toEqual([]);
  });

  it('a user missing from the password file fails alone (exit 2)', async () => {
    const roster = await home.write('team.yaml', '- alice\n- dave\n');
    const run = await generate(['--roster', roster, '--out-dir', home.path('out'), ...common(), '--mode', 'auth-provider', '--passwords', await passwordsFile({ alice: PASSWORDS.alice })]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^dave\s+\S+\s+failed\s+item 2: no password for this user in --passwords$/m);
    expect(run.stdout).toMatch(/^alice\s+\S+\s+written/m);
  });

  it('refuses a password file readable by group or others, before any login or write', async () => {
    const roster = await home.write('team.yaml', '- alice\n');
    const pw = await passwordsFile({ alice: PASSWORDS.alice }, 0o640);
    const run = await generate(['--roster', roster, '--out-dir', home.path('out'), ...common(), '--mode', 'auth-provider', '--passwords', pw]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/accessible to its group \(mode 0640\); it holds passwords[\s\S]*chmod 600/);
    expectNoSecrets(run);
    expect(env.provider.stats.tokenRequests).toBe(0);
    await expect(stat(home.path('out'))).rejects.toThrow();
  });

  it('usage errors: auth-provider without passwords, passwords in exec mode, missing flags', async () => {
    const roster = await home.write('team.yaml', '- alice\n');
    const pw = await passwordsFile({ alice: PASSWORDS.alice });
    const a = await generate(['--roster', roster, '--out-dir', home.path('out'), ...common(), '--mode', 'auth-provider']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--mode auth-provider needs --passwords FILE');
    const b = await generate(['--roster', roster, '--out-dir', home.path('out'), ...common(), '--passwords', pw]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--passwords only applies with --mode auth-provider');
    const c = await generate(['--roster', roster]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('missing --out-dir, --casdoor-url, --client-id, --server');
  });

  it('a wrong Casdoor URL fails the whole run before anything is written (exit 5)', async () => {
    const roster = await home.write('team.yaml', '- alice\n');
    const args = common().map((a) => (a === env.provider.issuer ? `${a}/` : a));
    const run = await generate(['--roster', roster, '--out-dir', home.path('out'), ...args]);
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/trailing slash/);
    await expect(stat(home.path('out'))).rejects.toThrow();
  });
});

it('a non-kubeconfig file in the way fails that row only (exit 6)', async () => {
  const outDir = home.path('out');
  await home.write('out/alice.kubeconfig', 'not: a\nkind: Deployment\napiVersion: apps/v1\n');
  await writeFile(home.path('team.yaml'), '- alice\n- bob\n');
  const run = await generate(['--roster', home.path('team.yaml'), '--out-dir', outDir, ...common(), '--offline']);
  expect(run.code).toBe(6);
  expect(run.stdout).toMatch(/^alice\s+\S+\s+failed\s+item 1: refusing to overwrite/m);
  expect(run.stdout).toMatch(/^bob\s+\S+\s+written/m);
});
