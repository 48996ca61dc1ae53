/**
 * Hostile and unlucky inputs through the whole CLI (issue 10), against the Casdoor-like provider and the
 * API server over HTTPS on 127.0.0.1: exit code, message, the user's files byte-identical, no secret in
 * stdout/stderr/files/backups, and no login spent on a run that cannot succeed.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { DIST_BIN, runCli, type CliRun } from '../helpers/cli.js';
import { runSetup, setupArgs, useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const PASSWORD = 'correct-horse';
const CLIENT_SECRET = 'casdoor-hostile-client-secret-value';

let env: DemoEnvironment;
let home: TempHome;
useDemoEnvironment({ provider: { clientSecret: CLIENT_SECRET } }, (e, h) => {
  env = e;
  home = h;
});

const setup = (extra: string[], options: { env?: Record<string, string | undefined> } = {}): Promise<CliRun> =>
  runSetup(env, home, extra, { clientSecret: CLIENT_SECRET, password: PASSWORD, ...(options.env ? { env: options.env } : {}) });

/** No password, client secret, token, private key or JWT in the output, in any file of HOME, or in a backup. */
async function expectNoSecrets(run: CliRun, ...extra: string[]): Promise<void> {
  const secrets = [PASSWORD, CLIENT_SECRET, ...extra];
  for (const s of secrets) expect(run.all).not.toContain(s);
  expect(run.all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  expect(run.all).not.toContain('PRIVATE KEY');
  for (const f of await fs.readdir(home.kubeDir)) {
    const text = await fs.readFile(path.join(home.kubeDir, f), 'utf8').catch(() => '');
    expect(text).not.toContain('PRIVATE KEY');
  }
}

const EXISTING = `apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster:
    server: https://k8s.other.example:6443
    extensions:
    - name: vendor.example/x
      extension: {mode: 0644, enabled: yes}
users:
- name: ci-robot
  user: {token: static-ci-token-0000}
contexts:
- name: ci
  context: {cluster: shared, user: ci-robot}
current-context: ci
`;

async function existing(text = EXISTING): Promise<Buffer> {
  await fs.writeFile(home.kubeconfig, text, { mode: 0o600 });
  return fs.readFile(home.kubeconfig);
}

describe('1. CA files holding a private key', () => {
  it.each(['--casdoor-ca', '--certificate-authority'])('setup %s bundle: exit 2 before any login, kubeconfig byte-identical, key never copied', async (flag) => {
    const before = await existing();
    const bundle = await home.write('bundle.pem', env.caPem + env.tls.keyPem);
    const args = setupArgs(env, home, [], { clientSecret: CLIENT_SECRET }).map((a, i, all) => (all[i - 1] === flag ? bundle : a));
    const run = await runCli(args, { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${flag}: ${bundle} also holds a private key`);
    expect(env.provider.stats.passwordGrants).toBe(0);
    expect((await fs.readFile(home.kubeconfig)).equals(before)).toBe(true);
    await expectNoSecrets(run, env.tls.keyPem.split('\n')[1] ?? 'x');
  });

  it('generate and apiserver-config refuse the bundle too (exit 2); no file written', async () => {
    const bundle = await home.write('bundle.pem', env.tls.keyPem + env.caPem);
    const roster = await home.write('team.csv', 'alice\n');
    const out = home.path('out');
    const gen = await runCli(['generate', '--roster', roster, '--out-dir', out, '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--server', env.apiserver.url, '--casdoor-ca', bundle, '--offline'], { home: home.home });
    expect(gen.code).toBe(2);
    expect(gen.stderr).toContain('also holds a private key');
    expect(existsSync(out)).toBe(false);
    const cfg = await runCli(['apiserver-config', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--casdoor-ca', bundle, '--offline'], { home: home.home });
    expect(cfg.code).toBe(2);
    expect(cfg.all).not.toContain('PRIVATE KEY');
    await expectNoSecrets(gen);
  });

  it('token --casdoor-ca bundle (the exec plugin): exit 2 before any login, no credential printed, nothing cached', async () => {
    const bundle = await home.write('bundle.pem', env.caPem + env.tls.keyPem);
    const run = await runCli(['token', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--username', 'alice', '--casdoor-ca', bundle], { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--casdoor-ca: ${bundle} also holds a private key`);
    expect(run.stdout).toBe('');
    expect(env.provider.stats.tokenRequests).toBe(0);
    expect((await fs.readdir(home.home, { recursive: true })).filter((f) => !['bundle.pem', '.kube'].includes(f))).toEqual([]);
    await expectNoSecrets(run, env.tls.keyPem.split('\n')[1] ?? 'x');
  });
});

describe('3. no silent re-pointing', () => {
  it('setup --cluster shared with another server: exit 6 naming context "ci"; byte-identical; --force then re-points and keeps the extension', async () => {
    const before = await existing();
    const run = await setup(['--cluster', 'shared']);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain(`cluster "shared" (server https://k8s.other.example:6443 → ${env.apiserver.url}) is also used by "ci"`);
    expect(run.stderr).toContain('--force');
    // Refused before the login: Casdoor was not asked for anything (no attempt counted, no token rotated).
    expect(env.provider.stats.tokenRequests).toBe(0);
    expect((await fs.readFile(home.kubeconfig)).equals(before)).toBe(true);
    expect((await fs.readdir(home.kubeDir)).sort()).toEqual(['config']);
    await expectNoSecrets(run, 'static-ci-token-0000');

    const forced = await setup(['--cluster', 'shared', '--force']);
    expect(forced.code).toBe(0);
    const text = await fs.readFile(home.kubeconfig, 'utf8');
    expect(text).toContain(`server: ${env.apiserver.url}`);
    expect(text).toContain('extension:\n        mode: 420\n        enabled: true'); // kubectl's reading of `0644`/`yes`, kept
    const backups = (await fs.readdir(home.kubeDir)).filter((f) => f.includes('backup'));
    expect(backups).toHaveLength(1);
    expect((await fs.readFile(path.join(home.kubeDir, backups[0]!))).equals(before)).toBe(true);
    await expectNoSecrets(forced, 'static-ci-token-0000');
  });
});

describe('3. re-pointing refused before the login', () => {
  const SHARED_USER = `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: https://k8s.other.example:6443}
users:
- name: shared-user
  user:
    auth-provider:
      name: oidc
      config: {idp-issuer-url: https://other-casdoor.example, client-id: other-app}
contexts:
- name: other-ctx
  context: {cluster: other, user: shared-user}
current-context: other-ctx
`;

  it('a user entry another context uses, given another issuer and client id: exit 6 naming it, no token request', async () => {
    const before = await existing(SHARED_USER);
    const run = await setup(['--user', 'shared-user']);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('user "shared-user" (another issuer) is also used by "other-ctx"');
    expect(env.provider.stats.tokenRequests).toBe(0);
    expect((await fs.readFile(home.kubeconfig)).equals(before)).toBe(true);
    await expectNoSecrets(run);
  });

  it('exec mode, the cluster shared: refused before the login too; --force logs in once and re-points', async () => {
    const before = await existing();
    const run = await setup(['--mode', 'exec', '--exec-command', DIST_BIN, '--cluster', 'shared']);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('is also used by "ci"');
    expect(env.provider.stats.tokenRequests).toBe(0);
    expect((await fs.readFile(home.kubeconfig)).equals(before)).toBe(true);
    const forced = await setup(['--mode', 'exec', '--exec-command', DIST_BIN, '--cluster', 'shared', '--force']);
    expect(forced.code).toBe(0);
    expect(env.provider.stats.passwordGrants).toBe(1);
    await expectNoSecrets(forced, 'static-ci-token-0000');
  });

  it('re-running the same setup (entries only its own context uses) is no conflict: it logs in and writes', async () => {
    expect((await setup([])).code).toBe(0);
    env.provider.resetStats();
    const again = await setup(['--context', `alice@${new URL(env.apiserver.url).host}`]);
    expect(again.code).toBe(0);
    expect(env.provider.stats.passwordGrants).toBe(1);
  });
});

describe('6. a FIFO as the kubeconfig', () => {
  it('setup: exit 6 at once, before any login; the FIFO is left as it is', async () => {
    const fifo = home.path('fifo-config');
    execFileSync('mkfifo', [fifo]);
    const run = await runCli(setupArgs(env, home, [], { clientSecret: CLIENT_SECRET }).map((a) => (a === home.kubeconfig ? fifo : a)), { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain(`cannot read ${fifo}: it is a named pipe (FIFO)`);
    expect(env.provider.stats.passwordGrants).toBe(0);
    expect((await fs.lstat(fifo)).isFIFO()).toBe(true);
  });

  it('the real process (dist/bin.js) ends with exit 6 instead of blocking in open()', async () => {
    const fifo = home.path('fifo-config');
    execFileSync('mkfifo', [fifo]);
    const child = spawn(process.execPath, [DIST_BIN, 'setup', '--non-interactive', '--mode', 'exec', '--exec-command', DIST_BIN, '--skip-login', '--casdoor-url', 'https://door.example.com', '--client-id', 'cid', '--username', 'alice', '--server', 'https://k8s.example:6443', '--kubeconfig', fifo], {
      env: { PATH: process.env.PATH ?? '', HOME: home.home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(6);
    expect(stderr).toContain('named pipe (FIFO)');
  });
});

describe('7. an alias bomb as the kubeconfig', () => {
  it('setup: exit 6 before any login, the file byte-identical', async () => {
    let bomb = 'apiVersion: v1\nkind: Config\npreferences:\n  extensions:\n  - name: lol\n    extension:\n      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 9; i++) bomb += `      l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]\n`;
    const before = await existing(bomb);
    const run = await setup([]);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('contains excessive aliasing');
    expect(env.provider.stats.passwordGrants).toBe(0);
    expect((await fs.readFile(home.kubeconfig)).equals(before)).toBe(true);
  });
});

describe('11. --server over http or with credentials', () => {
  it('http to a remote host: exit 2 before any login; nothing written', async () => {
    const run = await setup(['--server', 'http://api.example.com:8080']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is plain http: kubectl would send the id_token in clear text');
    expect(env.provider.stats.passwordGrants).toBe(0);
    expect(existsSync(home.kubeconfig)).toBe(false);
  });

  it('credentials in --server: exit 2, the password not echoed', async () => {
    const run = await setup(['--server', 'https://admin:server-url-pass-77@api.example.com']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('must not contain a user name or password');
    await expectNoSecrets(run, 'server-url-pass-77');
    expect(existsSync(home.kubeconfig)).toBe(false);
  });

  it('http on loopback is written, with a warning; --insecure-http allows a remote one with its own warning', async () => {
    const local = await setup(['--server', 'http://127.0.0.1:8080']);
    expect(local.code).toBe(0);
    expect(local.stderr).toContain('The API server URL http://127.0.0.1:8080 is plain http: the id_token travels unencrypted (on this machine only');
    const remote = await setup(['--server', 'http://api.example.com:8080', '--insecure-http', '--cluster', 'remote']);
    expect(remote.code).toBe(0);
    expect(remote.stderr).toContain('travels unencrypted over the network');
    await expectNoSecrets(remote);
  });
});

describe('14. the smaller ones', () => {
  it('a fatal preflight finding ends setup with exit 4 and writes nothing', async () => {
    const before = await existing();
    const run = await setup(['--username-claim', 'no_such_claim']);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('The API server would reject this token: The token has no "no_such_claim" claim');
    expect(run.stderr).toContain('Nothing was written.');
    expect((await fs.readFile(home.kubeconfig)).equals(before)).toBe(true);
    expect((await fs.readdir(home.kubeDir)).sort()).toEqual(['config']);
    await expectNoSecrets(run);
  });

  it('a username starting with "-" survives the exec args: `token` reads it as the username, not as an option', async () => {
    const run = await setup(['--mode', 'exec', '--exec-command', DIST_BIN, '--skip-login', '--username', '--grant']);
    expect(run.code).toBe(0);
    const text = await fs.readFile(home.kubeconfig, 'utf8');
    expect(text).toContain("- '--username=--grant'");
    const token = await runCli(['token', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--casdoor-ca', env.caFile, '--username=--grant'], { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    // Casdoor was asked about the user "--grant" (who does not exist): the value reached it as a username.
    expect(token.code).toBe(3);
    expect(token.stderr).toContain('"the user does not exist"');
    expect(token.stderr).not.toMatch(/ambiguous|unknown option|argument missing/);
  });
});
