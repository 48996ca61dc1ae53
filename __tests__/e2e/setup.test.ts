/**
 * `setup --non-interactive` end to end: a real OpenID provider set up like Casdoor over HTTPS on
 * 127.0.0.1, a token-checking API server, and the real kubectl reading and using what we write.
 */
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { beforeEach, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { DIST_BIN, runCli, type CliRun } from '../helpers/cli.js';
import { allKubectlBinaries, kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { runSetup, setupArgs, useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const hasKubectl = requireKubectl();
const itKubectl = hasKubectl ? it : it.skip;

const PASSWORD = 'correct-horse';
const CLIENT_SECRET = 'casdoor-test-client-secret-value';

let env: DemoEnvironment;
let home: TempHome;

useDemoEnvironment({ provider: { clientSecret: CLIENT_SECRET } }, (e, h) => {
  env = e;
  home = h;
});

const baseArgs = (extra: string[] = []): string[] => setupArgs(env, home, extra, { clientSecret: CLIENT_SECRET });

const setup = (extra: string[] = [], options: { password?: string; env?: Record<string, string | undefined> } = {}): Promise<CliRun> =>
  runSetup(env, home, extra, { clientSecret: CLIENT_SECRET, password: options.password ?? PASSWORD, env: options.env });

function expectNoSecrets(run: CliRun, extra: string[] = []): void {
  for (const secret of [PASSWORD, CLIENT_SECRET, ...extra]) expect(run.all).not.toContain(secret);
  expect(run.all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
}

async function readDoc(file = home.kubeconfig): Promise<Record<string, any>> {
  return yaml.load(await readFile(file, 'utf8')) as Record<string, any>;
}

const contextName = (): string => `alice@${new URL(env.apiserver.url).host}`;

describe('setup --non-interactive, happy path', () => {
  it('writes a cluster, an oidc user and a context that kubectl reads and the API server accepts', async () => {
    const run = await setup();
    expect(run.stderr).toContain('The API server will see');
    expect(run.stderr).toMatch(/username\s+alice/);
    expect(run.stderr).toContain('k8s-org/admins');
    expect(run.code).toBe(0);
    expectNoSecrets(run);
    // The next step names the file we wrote, since it is not kubectl's default here.
    expect(run.stderr).toContain(`kubectl --kubeconfig ${home.kubeconfig} auth whoami`);

    const doc = await readDoc();
    expect(doc['current-context']).toBe(contextName());
    const user = doc.users.find((u: { name: string }) => u.name === `alice@${new URL(env.provider.issuer).host}/${env.provider.clientId}`);
    expect(user.user['auth-provider'].name).toBe('oidc');
    expect(user.user['auth-provider'].config).toMatchObject({
      'client-id': env.provider.clientId,
      'idp-issuer-url': env.provider.issuer,
      'idp-certificate-authority-data': Buffer.from(env.caPem).toString('base64'),
    });
    // The client secret is a Casdoor admin credential: checked, never written (nowhere in the file).
    expect(user.user['auth-provider'].config).not.toHaveProperty('client-secret');
    expect(await readFile(home.kubeconfig, 'utf8')).not.toContain(CLIENT_SECRET);
    expect(user.user['auth-provider'].config['id-token']).toMatch(/^eyJ/);
    expect(user.user['auth-provider'].config['refresh-token']).toBeTruthy();
    expect((await stat(home.kubeconfig)).mode & 0o777).toBe(0o600);
    expect(env.provider.stats.passwordGrants).toBe(1);
    // The refresh was proven once before writing (with the secret), and the rotated tokens written.
    expect(env.provider.stats.refreshGrants).toBe(1);
    expect(run.stderr).toContain('Casdoor renewed the token once and accepted the client secret: kubectl can renew it without the client secret.');
    expect(run.stderr).toMatch(/renewal\s+until .*\(refresh token; checked with Casdoor, and the client secret with it\)/);
  });

  itKubectl('every installed kubectl version reads the file and authenticates as alice', async () => {
    expect((await setup()).code).toBe(0);
    const bins = allKubectlBinaries();
    expect(bins.length).toBeGreaterThan(0);
    for (const bin of bins) {
      const view = await runKubectl(bin.path, ['config', 'view', '-o', 'json'], { kubeconfig: home.kubeconfig });
      expect(view.code).toBe(0);
      expect(JSON.parse(view.stdout)['current-context']).toBe(contextName());
      const who = await runKubectl(bin.path, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig });
      expect({ bin: bin.path, code: who.code, stderr: who.stderr }).toMatchObject({ code: 0 });
      const info = JSON.parse(who.stdout).status.userInfo;
      expect(info.username).toBe('alice');
      expect(info.groups).toEqual(expect.arrayContaining(['k8s-org/admins', 'system:authenticated']));
    }
  });

  itKubectl("kubectl's own oidc refresh works with what we wrote and persists the rotated tokens", async () => {
    const saved = env.provider.settings.idTokenTtl;
    env.provider.settings.idTokenTtl = 5; // kubectl refreshes when exp - now <= 10 s
    try {
      expect((await setup()).code).toBe(0);
      const before = (await readDoc()).users[0].user['auth-provider'].config;
      env.provider.settings.idTokenTtl = 3600;
      const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig });
      expect(who.stderr).toBe('');
      expect(who.code).toBe(0);
      expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
      // One refresh proven by setup, one by kubectl itself, from an entry without any client secret.
      expect(before).not.toHaveProperty('client-secret');
      expect(env.provider.stats.refreshGrants).toBe(2);
      const after = (await readDoc()).users[0].user['auth-provider'].config;
      expect(after['id-token']).not.toBe(before['id-token']);
      expect(after['refresh-token']).not.toBe(before['refresh-token']);
      expect((await stat(home.kubeconfig)).mode & 0o777).toBe(0o600);
    } finally {
      env.provider.settings.idTokenTtl = saved;
    }
  });

  it('merges into an existing kubeconfig, keeping other entries, preferences and mode, and backs it up', async () => {
    const existing = [
      'apiVersion: v1',
      'kind: Config',
      'preferences: {colors: true}',
      'clusters:',
      '- name: other',
      '  cluster: {server: "https://other.example:6443"}',
      'users:',
      '- name: other-user',
      '  user: {token: keep-me-token}',
      'contexts:',
      '- name: other',
      '  context: {cluster: other, user: other-user}',
      'current-context: other',
      'x-unknown-key: stays',
      '',
    ].join('\n');
    await writeFile(home.kubeconfig, existing, { mode: 0o640 });
    const run = await setup(['--no-set-current-context', '--namespace', 'team-a']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/previous version saved as/);
    expectNoSecrets(run, ['keep-me-token']);
    const doc = await readDoc();
    expect(doc['current-context']).toBe('other');
    expect(doc.preferences).toEqual({ colors: true });
    expect(doc['x-unknown-key']).toBe('stays');
    expect(doc.users.map((u: { name: string }) => u.name)).toContain('other-user');
    expect(doc.contexts.find((c: { name: string }) => c.name === contextName()).context.namespace).toBe('team-a');
    expect((await stat(home.kubeconfig)).mode & 0o777).toBe(0o640);
  });

  it('--dry-run prints a redacted diff and writes nothing', async () => {
    const run = await setup(['--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('auth-provider');
    expect(run.stdout).toContain('<redacted>');
    expectNoSecrets(run);
    await expect(stat(home.kubeconfig)).rejects.toThrow();
  });

  it('--dry-run over an existing user of the same name shows none of its credentials', async () => {
    const secrets = ['ADMIN-CLIENT-KEY-DATA-SECRET', 'ADMIN-CLIENT-CERT-DATA', 'ADMIN-STATIC-TOKEN', 'ADMIN-ENV-VALUE-SECRET', 'ADMIN-ARG-CLIENT-SECRET'];
    const existing = [
      'apiVersion: v1',
      'kind: Config',
      'users:',
      '- name: admin',
      '  user:',
      `    client-certificate-data: ${secrets[1]}`,
      `    client-key-data: ${secrets[0]}`,
      `    token: ${secrets[2]}`,
      '    exec:',
      '      apiVersion: client.authentication.k8s.io/v1',
      '      command: vendor-plugin',
      `      args: [get-token, --client-secret, ${secrets[4]}]`,
      `      env: [{name: VENDOR_SECRET, value: ${secrets[3]}}]`,
      '      interactiveMode: Never',
      '',
    ].join('\n');
    await writeFile(home.kubeconfig, existing, { mode: 0o600 });
    const run = await setup(['--user', 'admin', '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('@@ user "admin": replaced @@');
    expect(run.stdout).toContain('client-key-data: <redacted>');
    expect(run.stdout).toContain('name: VENDOR_SECRET');
    expectNoSecrets(run, secrets);
    expect(await readFile(home.kubeconfig, 'utf8')).toBe(existing);
  });

  it('--output FILE over an existing world-readable kubeconfig leaves it 0600, as it says', async () => {
    const file = home.path('teammate.kubeconfig');
    await writeFile(file, 'apiVersion: v1\nkind: Config\n', { mode: 0o644 });
    await chmod(file, 0o644);
    const run = await runCli(
      baseArgs(['--output', file]).filter((a, i, all) => a !== '--kubeconfig' && all[i - 1] !== '--kubeconfig'),
      { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('(mode 0600)');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readDoc(file)).users[0].user['auth-provider'].config['id-token']).toMatch(/^eyJ/);
  });

  itKubectl('--output FILE writes a standalone 0600 kubeconfig that works on its own', async () => {
    const file = home.path('for-bob.yaml');
    const run = await runCli(
      baseArgs(['--output', file]).filter((a, i, all) => a !== '--kubeconfig' && all[i - 1] !== '--kubeconfig'),
      { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } },
    );
    expect(run.code).toBe(0);
    expectNoSecrets(run);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await expect(stat(home.kubeconfig)).rejects.toThrow();
    const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: file });
    expect(who.code).toBe(0);
  });

  it('--output - prints the kubeconfig on stdout and nothing else there', async () => {
    const args = baseArgs(['--output', '-']).filter((a, i, all) => a !== '--kubeconfig' && all[i - 1] !== '--kubeconfig');
    const run = await runCli(args, { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    expect(run.code).toBe(0);
    const doc = yaml.load(run.stdout) as Record<string, any>;
    expect(doc.kind).toBe('Config');
    expect(doc.users[0].user['auth-provider'].config['id-token']).toMatch(/^eyJ/);
    expect(run.stderr).not.toContain(PASSWORD);
    // The standalone output carries the tokens, never the client secret.
    expect(run.stdout).not.toContain(CLIENT_SECRET);
    expect(doc.users[0].user['auth-provider'].config).not.toHaveProperty('client-secret');
  });

  it('--json reports the refresh proof: until when the token can be renewed, the format and the username claim', async () => {
    const run = await setup(['--json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as Record<string, any>;
    expect(summary.refresh).toEqual({ status: 'proven', expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), clientSecretChecked: true });
    expect(Date.parse(summary.refresh.expiresAt)).toBeGreaterThan(Date.parse(summary.expiresAt));
    expect(summary.usernameClaim).toBe('name');
    expect(typeof summary.tokenFormat).toBe('string');
    expect(run.stdout).not.toContain(CLIENT_SECRET);
  });

  it('reads the password from --password-stdin', async () => {
    const run = await runCli([...baseArgs(), '--password-stdin'], { home: home.home, stdin: `${PASSWORD}\n`, env: {} });
    expect(run.code).toBe(0);
    expectNoSecrets(run);
  });
});

describe('setup --non-interactive, bad input: clear error, exit code, file unchanged, no secret', () => {
  const ORIGINAL = 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\ncurrent-context: ""\n# a comment we keep\n';

  async function expectFailure(run: CliRun, code: number, message: RegExp): Promise<void> {
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code });
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at .*\(/); // no stack trace
    expectNoSecrets(run);
    expect(await readFile(home.kubeconfig, 'utf8')).toBe(ORIGINAL);
  }

  beforeEach(async () => {
    await writeFile(home.kubeconfig, ORIGINAL, { mode: 0o600 });
  });

  it('missing flags: usage error naming each (exit 2)', async () => {
    const run = await runCli(['setup', '--non-interactive', '--casdoor-url', env.provider.issuer, '--kubeconfig', home.kubeconfig], { home: home.home });
    await expectFailure(run, 2, /missing --client-id, --username, --password-stdin \(or CASDOOR_PASSWORD\), --server/);
  });

  it('an http Casdoor URL: usage error saying Kubernetes needs https (exit 2)', async () => {
    const run = await runCli(baseArgs().map((a) => (a === env.provider.issuer ? a.replace('https:', 'http:') : a)), { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    await expectFailure(run, 2, /must use https: Kubernetes accepts only https issuers/);
  });

  it('a trailing slash on the Casdoor URL: explained issuer mismatch (exit 5)', async () => {
    const run = await runCli(baseArgs().map((a) => (a === env.provider.issuer ? `${a}/` : a)), { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    await expectFailure(run, 5, /with a trailing slash, but Casdoor's issuer is .* without one/);
  });

  it("Casdoor's CA not trusted: TLS error with the fix (exit 5)", async () => {
    const run = await runCli(baseArgs().filter((a, i, all) => a !== '--casdoor-ca' && all[i - 1] !== '--casdoor-ca'), { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    await expectFailure(run, 5, /not trusted[\s\S]*--casdoor-ca/);
  });

  it('nothing listening: connection refused (exit 5)', async () => {
    const run = await runCli(baseArgs().map((a) => (a === env.provider.issuer ? 'https://127.0.0.1:9' : a)), { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    await expectFailure(run, 5, /Connection refused/);
  });

  it('a wrong client secret: exit 3 naming the client secret, after the login and before any write (file byte-identical)', async () => {
    const run = await runSetup(env, home, [], { clientSecret: 'not-the-secret-0123456789', password: PASSWORD });
    await expectFailure(run, 3, /^error: Casdoor refused the client secret \(invalid_client: "client_secret is invalid"\); nothing was written\.\n\s+Check --client-secret/m);
    expect(run.all).not.toContain('not-the-secret-0123456789');
    // Casdoor let the password grant through (it never checks the secret there); the refresh caught it.
    expect(env.provider.stats.passwordGrants).toBe(1);
  });

  it("wrong password: Casdoor's words quoted (exit 3)", async () => {
    const run = await setup([], { password: 'wrong-password-123' });
    await expectFailure(run, 3, /password or code is incorrect/);
    expect(run.all).not.toContain('wrong-password-123');
  });

  it('unknown user (exit 3)', async () => {
    const run = await runCli(baseArgs().map((a) => (a === 'alice' ? 'mallory' : a)), { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    await expectFailure(run, 3, /the user does not exist/);
  });

  it('the application name given as client id (exit 3, says why)', async () => {
    const args = baseArgs(['--application', 'Kubernetes']).map((a) => (a === env.provider.clientId ? 'Kubernetes' : a));
    const run = await runCli(args, { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    await expectFailure(run, 3, /client_id is invalid[\s\S]*not its name/);
  });

  it("older Casdoor's HTTP-200 error shape (exit 3)", async () => {
    env.provider.settings.legacyErrors = true;
    try {
      const run = await setup([], { password: 'wrong-password-123' });
      // Casdoor < v1.62.5: HTTP 200, the error text in the token wrapper (object/token.go GetOAuthToken of v1.62.0).
      await expectFailure(run, 3, /Casdoor refused the request \(error: invalid username or password\)/);
    } finally {
      env.provider.settings.legacyErrors = false;
    }
  });

  it('an expired id_token fails verification and nothing is written (exit 4)', async () => {
    const saved = env.provider.settings.idTokenTtl;
    env.provider.settings.idTokenTtl = -300;
    try {
      await expectFailure(await setup(), 4, /failed verification: it has already expired/);
    } finally {
      env.provider.settings.idTokenTtl = saved;
    }
  });

  it('a malformed kubeconfig is refused and left untouched (exit 6)', async () => {
    const bad = 'apiVersion: v1\nkind: Config\nusers: [\n';
    await writeFile(home.kubeconfig, bad);
    const run = await setup();
    expect(run.code).toBe(6);
    expect(run.stderr).toContain(home.kubeconfig);
    expectNoSecrets(run);
    expect(await readFile(home.kubeconfig, 'utf8')).toBe(bad);
  });

  it('a file of another kind is refused (exit 6)', async () => {
    const other = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n';
    await writeFile(home.kubeconfig, other);
    const run = await setup();
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/apiVersion is "apps\/v1"/);
    expect(await readFile(home.kubeconfig, 'utf8')).toBe(other);
  });

  it('a held lock: waits, then exit 6 naming the lock file; the lock is not ours to delete', async () => {
    const lock = `${home.kubeconfig}.lock`;
    await writeFile(lock, '');
    const run = await setup();
    await expectFailure(run, 6, new RegExp(lock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await expect(stat(lock)).resolves.toBeTruthy();
  });

  it('CA file that is not a certificate: usage error (exit 2)', async () => {
    const notPem = await home.write('not-a-cert.pem', 'hello');
    const run = await runCli(baseArgs().map((a) => (a === env.caFile ? notPem : a)), { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    await expectFailure(run, 2, /holds no PEM certificate/);
  });

  it('a bad namespace and conflicting TLS flags: usage errors (exit 2)', async () => {
    await expectFailure(await setup(['--namespace', 'Bad_NS']), 2, /not a valid namespace/);
    await expectFailure(await setup(['--insecure-skip-tls-verify']), 2, /cannot both be given/);
  });
});

describe('setup --non-interactive: flags checked in a useful order, optional username, prefix semantics', () => {
  it('an http --casdoor-url is explained even when other flags are missing too', async () => {
    const run = await runCli(['setup', '--non-interactive', '--casdoor-url', env.provider.issuer.replace('https:', 'http:')], { home: home.home });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/must use https: Kubernetes accepts only https issuers/);
    expect(run.stderr).not.toContain('missing');
  });

  it('a bad --server or --namespace is named before the missing flags', async () => {
    const server = await runCli(['setup', '--non-interactive', '--server', 'api.example:6443'], { home: home.home });
    expect(server.code).toBe(2);
    expect(server.stderr).toContain('--server: "api.example:6443" has no scheme (use https://api.example:6443).');
    const ns = await runCli(['setup', '--non-interactive', '--namespace', 'a'.repeat(64)], { home: home.home });
    expect(ns.code).toBe(2);
    expect(ns.stderr).toMatch(/--namespace: "a{64}" is not a valid namespace name \(.*at most 63/);
  });

  it('--grant browser or device needs no --username (nor a password)', async () => {
    for (const grant of ['browser', 'device']) {
      const run = await runCli(['setup', '--non-interactive', '--grant', grant, '--casdoor-url', env.provider.issuer], { home: home.home });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('missing --client-id, --server.');
    }
  });

  it('--mode exec --skip-login --grant device without --username: no --username in the exec args, names from "casdoor"', async () => {
    const run = await runCli(
      ['setup', '--non-interactive', '--mode', 'exec', '--exec-command', DIST_BIN, '--skip-login', '--grant', 'device', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId,
        '--server', env.apiserver.url, '--certificate-authority', env.caFile, '--kubeconfig', home.kubeconfig, '--json'],
      { home: home.home },
    );
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    const doc = await readDoc();
    const casdoorHost = new URL(env.provider.issuer).host;
    expect(doc.users[0].name).toBe(`casdoor@${casdoorHost}/${env.provider.clientId}`);
    expect(doc.contexts[0].name).toBe(`casdoor@${new URL(env.apiserver.url).host}`);
    // What `token` then runs with: its cache key has the empty username, as setup's would.
    expect(doc.users[0].user.exec.args).toEqual(['token', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--grant', 'device']);
    expect(JSON.parse(run.stdout)).toMatchObject({ context: doc.contexts[0].name, loggedIn: false });
  });

  it('without --username the entry names come from the token of a browser or device login', async () => {
    const { buildSetupEntries } = await import('../../src/usecases/setup.js');
    const login = { tokens: { idToken: 'x.y.z' }, verified: { claims: { name: 'bob', sub: 'id-1' }, header: { alg: 'RS256' } } } as unknown as Parameters<typeof buildSetupEntries>[1];
    const input = {
      casdoorUrl: 'https://door.example.com', clientId: 'cid', username: '', password: '', server: 'https://api.example:6443', insecureSkipTlsVerify: false,
      names: {}, setCurrentContext: true, dryRun: false, usernameClaim: 'name', groupsClaim: 'groups', mode: 'exec' as const, grant: 'browser' as const,
    };
    const { names, entries } = buildSetupEntries(input, login);
    expect(names).toEqual({ cluster: 'api.example:6443', user: 'bob@door.example.com/cid', context: 'bob@api.example:6443' });
    expect((entries.user.user.exec as { args: string[] }).args).not.toContain('--username');
  });

  it("--username-prefix '' leaves the API server's flag unset, as in apiserver-config: usernames become <issuer>#name", async () => {
    const run = await setup(['--username-prefix', '', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('no --oidc-username-prefix');
    expect(JSON.parse(run.stdout).username).toBe(`${env.provider.issuer}#alice`);
    const dash = await setup(['--json']);
    expect(JSON.parse(dash.stdout).username).toBe('alice');
  });
});
