/**
 * `setup --mode exec` + `casdoor-kubeconfig token` under the real kubectl (a version-specific binary:
 * the PATH dispatcher would run the plugin an extra time), against the Casdoor-like provider and the
 * token-checking API server. kubectl itself validates every ExecCredential we print.
 *
 * The plugin must run as kubectl runs it, as a process: dist/ is built by jest's globalSetup, and the exec
 * entry's command is a small wrapper script around `node dist/bin.js`.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { cacheDir, cacheFile, type CacheKey } from '../../src/token/cache.js';
import { DIST_BIN, ROOT, runCli, type CliRun } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl, type KubectlResult } from '../helpers/kubectl.js';
import { setupArgs, useDemoEnvironmentWithScripts } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const hasKubectl = requireKubectl();
const itKubectl = hasKubectl ? it : it.skip;

const PASSWORD = 'correct-horse';
const kubectl = kubectlBinary() ?? 'kubectl';

let env: DemoEnvironment;
let home: TempHome;
let wrapper: string;
/** The scripted browser: follows the sign-in URL through the provider's redirects to our listener. */
let browserScript: string;
useDemoEnvironmentWithScripts({ provider: { autoLoginAs: 'alice' } }, (e, h, scripts) => {
  env = e;
  home = h;
  ({ wrapper, browser: browserScript } = scripts);
});

function sh(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number; cwd?: string } = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env: options.env ?? process.env, cwd: options.cwd ?? ROOT, timeout: options.timeout ?? 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

beforeEach(() => {
  env.provider.settings.autoLoginAs = 'alice';
});

const KEY = (): CacheKey => ({ issuer: env.provider.issuer, clientId: env.provider.clientId, username: 'alice', ca: env.caFile });
const cachePath = (): string => cacheFile(cacheDir(home.home, {}), KEY());
const tokenFlags = (): string[] => ['--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--casdoor-ca', env.caFile, '--username', 'alice'];

function setupExec(extra: string[] = [], envVars: Record<string, string | undefined> = { CASDOOR_PASSWORD: PASSWORD }): Promise<CliRun> {
  return runCli(setupArgs(env, home, ['--mode', 'exec', '--exec-command', wrapper, ...extra]), { home: home.home, env: envVars });
}

async function whoami(envVars: Record<string, string | undefined> = {}, kubeconfig = home.kubeconfig): Promise<KubectlResult & { user?: string }> {
  const res = await runKubectl(kubectl, ['auth', 'whoami', '-o', 'json'], { kubeconfig, env: { HOME: home.home, ...envVars } });
  return { ...res, ...(res.code === 0 ? { user: JSON.parse(res.stdout).status.userInfo.username as string } : {}) };
}

/** The plugin run directly, as kubectl runs it (stdin not a terminal). */
const plugin = (args: string[], envVars: Record<string, string> = {}): Promise<KubectlResult> =>
  sh(process.execPath, [DIST_BIN, 'token', ...args], { env: { PATH: process.env.PATH ?? '', HOME: home.home, ...envVars } });

async function expireCache(): Promise<void> {
  const entry = JSON.parse(await fs.readFile(cachePath(), 'utf8'));
  entry.expiresAt = Math.floor(Date.now() / 1000) - 30;
  await fs.writeFile(cachePath(), JSON.stringify(entry), { mode: 0o600 });
}

describe('setup --mode exec', () => {
  itKubectl('logs in once and fills the cache: the first kubectl command needs no login', async () => {
    const run = await setupExec();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('plugin cache');
    expect(run.all).not.toContain(PASSWORD);
    const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as any;
    const exec = doc.users[0].user.exec;
    expect(exec).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1', command: wrapper, interactiveMode: 'IfAvailable' });
    expect(exec.args).toEqual(['token', ...tokenFlags().slice(0, 6), '--username', 'alice']);
    expect(JSON.stringify(doc)).not.toMatch(/eyJ|client-secret|refresh/);
    expect((await fs.stat(path.dirname(cachePath()))).mode & 0o777).toBe(0o700);
    expect((await fs.stat(cachePath())).mode & 0o777).toBe(0o600);

    env.provider.resetStats();
    for (let i = 0; i < 2; i++) {
      const who = await whoami();
      expect({ code: who.code, stderr: who.stderr, user: who.user }).toEqual({ code: 0, stderr: '', user: 'alice' });
    }
    expect(env.provider.stats.tokenRequests).toBe(0);
  });
});

describe('first use of a --skip-login entry', () => {
  itKubectl('password grant with CASDOOR_PASSWORD in kubectl\'s environment; later commands hit the cache', async () => {
    expect((await setupExec(['--skip-login'], {})).code).toBe(0);
    expect(existsSync(cachePath())).toBe(false);
    const first = await whoami({ CASDOOR_PASSWORD: PASSWORD });
    expect({ code: first.code, user: first.user }).toEqual({ code: 0, user: 'alice' });
    expect(first.stderr).not.toContain(PASSWORD);
    expect(env.provider.stats.passwordGrants).toBe(1);
    const stats = { ...env.provider.stats };
    for (let i = 0; i < 2; i++) expect((await whoami()).code).toBe(0);
    expect(env.provider.stats).toEqual(stats);
  });

  itKubectl('browser flow through a scripted --grant browser login (BROWSER in kubectl\'s environment)', async () => {
    expect((await setupExec(['--skip-login', '--grant', 'browser'], {})).code).toBe(0);
    const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as any;
    expect(doc.users[0].user.exec.args).toEqual(expect.arrayContaining(['--grant', 'browser']));
    const first = await whoami({ BROWSER: browserScript });
    expect({ code: first.code, user: first.user }).toEqual({ code: 0, user: 'alice' });
    expect(first.stderr).toMatch(/login\/oauth\/authorize\?client_id=/);
    expect(env.provider.stats.codeGrants).toBe(1);
    const again = await whoami();
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    expect(env.provider.stats.tokenRequests).toBe(1);
  });

  itKubectl('no cache and no way to log in: kubectl fails; the plugin prints one line naming the command, nothing on stdout', async () => {
    expect((await setupExec(['--skip-login'], {})).code).toBe(0);
    const who = await whoami();
    expect(who.code).not.toBe(0);
    expect(who.stderr).toContain('casdoor-kubeconfig token --casdoor-url');
    const direct = await plugin(tokenFlags());
    expect(direct.code).toBe(3);
    expect(direct.stdout).toBe('');
    expect(direct.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(direct.stderr).toMatch(/no cached token.*run "casdoor-kubeconfig token --casdoor-url .* --username alice" in a terminal, or set CASDOOR_PASSWORD/);
  });
});

describe('expiry', () => {
  itKubectl('10 kubectl commands started together after expiry all succeed, with exactly one refresh', async () => {
    expect((await setupExec()).code).toBe(0);
    const before = JSON.parse(await fs.readFile(cachePath(), 'utf8'));
    await expireCache();
    env.provider.resetStats();
    const runs = await Promise.all(Array.from({ length: 10 }, () => whoami()));
    for (const r of runs) expect({ code: r.code, user: r.user, stderr: r.stderr }).toEqual({ code: 0, user: 'alice', stderr: '' });
    expect(env.provider.stats.refreshGrants).toBe(1);
    expect(env.provider.stats.tokenRequests).toBe(1);
    const after = JSON.parse(await fs.readFile(cachePath(), 'utf8'));
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.expiresAt).toBeGreaterThan(Date.now() / 1000 + 600);
    expect((await fs.readdir(path.dirname(cachePath()))).filter((f) => !f.endsWith('.json'))).toEqual([]);
  }, 120_000);

  itKubectl('a refused refresh token without a terminal: exit non-zero, one line naming the command, nothing on stdout', async () => {
    expect((await setupExec()).code).toBe(0);
    // (setup proved one refresh before writing: count from here)
    env.provider.resetStats();
    const entry = JSON.parse(await fs.readFile(cachePath(), 'utf8'));
    await fs.writeFile(cachePath(), JSON.stringify({ ...entry, refreshToken: 'dead-refresh-token-value', expiresAt: 1 }), { mode: 0o600 });
    const direct = await plugin(tokenFlags());
    expect(direct.code).toBe(3);
    expect(direct.stdout).toBe('');
    expect(direct.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(direct.stderr).toMatch(/the refresh token was refused.*run "casdoor-kubeconfig token .*--username alice" in a terminal, or set CASDOOR_PASSWORD/);
    expect(direct.stderr).not.toContain('dead-refresh-token-value');
    expect(env.provider.stats.refreshGrants).toBe(0);
    expect(env.provider.stats.failedTokenRequests).toBe(1);
    // With the password in the environment the same situation heals by itself.
    await fs.writeFile(cachePath(), JSON.stringify({ ...entry, refreshToken: 'dead-refresh-token-value', expiresAt: 1 }), { mode: 0o600 });
    const healed = await whoami({ CASDOOR_PASSWORD: PASSWORD });
    expect({ code: healed.code, user: healed.user }).toEqual({ code: 0, user: 'alice' });
  });
});

describe('ExecCredential versions and --raw', () => {
  itKubectl('kubectl accepts v1beta1 when its exec entry asks for it, from the cache and after a refresh', async () => {
    expect((await setupExec()).code).toBe(0);
    const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as any;
    doc.users[0].user.exec.apiVersion = 'client.authentication.k8s.io/v1beta1';
    delete doc.users[0].user.exec.interactiveMode;
    const beta = await home.write('beta.yaml', yaml.dump(doc));
    // (setup proved one refresh before writing: count from here)
    env.provider.resetStats();
    expect((await whoami({}, beta)).code).toBe(0);
    await expireCache();
    const refreshed = await whoami({}, beta);
    expect({ code: refreshed.code, stderr: refreshed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(env.provider.stats.refreshGrants).toBe(1);
    const info = JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', spec: { interactive: false } });
    const direct = await plugin(tokenFlags(), { KUBERNETES_EXEC_INFO: info });
    expect(JSON.parse(direct.stdout)).toMatchObject({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', status: { token: expect.stringMatching(/^eyJ/) } });
  });

  itKubectl('`token --raw` prints only the id_token, usable as kubectl --token', async () => {
    expect((await setupExec()).code).toBe(0);
    const raw = await plugin([...tokenFlags(), '--raw']);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const empty = await home.write('empty.yaml', '');
    const who = await runKubectl(kubectl, ['--server', env.apiserver.url, '--certificate-authority', env.caFile, '--token', raw.stdout.trim(), 'auth', 'whoami', '-o', 'json'], {
      kubeconfig: empty,
      env: { HOME: home.home },
    });
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
  });
});
