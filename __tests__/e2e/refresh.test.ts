/**
 * `refresh` against the Casdoor-like provider: auth-provider entries (ours and hand-written) rotated in
 * place with everything else kept, the old refresh token dead afterwards, the fallback to a new login,
 * and exec entries' cache. kubectl then uses the result without refreshing by itself.
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import yaml from 'js-yaml';
import { Output } from '../../src/ports/output.js';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { CliError } from '../../src/errors.js';
import { passwordGrant, refreshGrant } from '../../src/oidc/grants.js';
import { createHttpClient } from '../../src/oidc/http.js';
import { discover } from '../../src/oidc/discovery.js';
import { cacheDir, cacheFile } from '../../src/token/cache.js';
import { runRefresh } from '../../src/usecases/refresh.js';
import { DIST_BIN, runCli, type CliRun } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { aliceContext, readDoc, runSetup, useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;
const PASSWORD = 'correct-horse';
const SECRET = 'refresh-test-client-secret-value';

let env: DemoEnvironment;
let home: TempHome;

useDemoEnvironment({ provider: { clientSecret: SECRET } }, (e, h) => {
  env = e;
  home = h;
});

const apConfig = (doc: any, i = 0): Record<string, string> => doc.users[i].user['auth-provider'].config;

const setup = (extra: string[] = []): Promise<CliRun> => runSetup(env, home, extra, { clientSecret: SECRET, password: PASSWORD });

const refresh = (args: string[] = [], envVars: Record<string, string | undefined> = {}, cwd?: string): Promise<CliRun> =>
  runCli(['refresh', '--kubeconfig', home.kubeconfig, ...args], { home: home.home, env: envVars, ...(cwd ? { cwd } : {}) });

function expectNoSecrets(run: CliRun, extra: string[] = []): void {
  for (const s of [PASSWORD, SECRET, ...extra]) expect(run.all).not.toContain(s);
  expect(run.all).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
}

describe('refresh on an auth-provider entry', () => {
  itKubectl('rotates id-token and refresh-token in place, keeps everything else, and kubectl uses them as is', async () => {
    expect((await setup()).code).toBe(0);
    // Things refresh must keep: another user, an unknown key in the entry, the file's mode.
    const doc = await readDoc(home.kubeconfig);
    doc.users[0]['x-note'] = 'keep me';
    doc.users.push({ name: 'other', user: { token: 'other-token-value' } });
    await fs.writeFile(home.kubeconfig, yaml.dump(doc), { mode: 0o640 });
    await fs.chmod(home.kubeconfig, 0o640);
    const before = apConfig(doc);
    env.provider.resetStats();

    const run = await refresh(['--context', aliceContext(env)]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/Refreshed the tokens of user alice@/);
    expectNoSecrets(run, [before['refresh-token'] as string, 'other-token-value']);
    expect(env.provider.stats.refreshGrants).toBe(1);

    const after = await readDoc(home.kubeconfig);
    const cfg = apConfig(after);
    // (the id_token may be byte-identical when refreshed within the same second: same claims, no jti)
    expect(cfg['id-token']).toMatch(/^eyJ/);
    expect(cfg['refresh-token']).not.toBe(before['refresh-token']);
    const { 'id-token': _a, 'refresh-token': _b, ...rest } = cfg;
    const { 'id-token': _c, 'refresh-token': _d, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
    expect(after.users[0]['x-note']).toBe('keep me');
    expect(after.users[1]).toEqual({ name: 'other', user: { token: 'other-token-value' } });
    expect((await fs.stat(home.kubeconfig)).mode & 0o777).toBe(0o640);
    await expect(fs.stat(`${home.kubeconfig}.lock`)).rejects.toThrow();

    const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig, env: { HOME: home.home } });
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
    expect(env.provider.stats.refreshGrants).toBe(1);

    // Casdoor rotates: the refresh token that was replaced is dead now.
    const http = createHttpClient({ env: {}, caPem: env.caPem });
    try {
      const meta = await discover(http, env.provider.issuer);
      const err = await refreshGrant(http, meta, { clientId: env.provider.clientId }, before['refresh-token'] as string).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).message).toMatch(/refresh token is invalid or revoked/);
    } finally {
      await http.close();
    }
  });

  it('works on a hand-written entry: no client secret, idp-certificate-authority as a path relative to the working directory', async () => {
    const http = createHttpClient({ env: {}, caPem: env.caPem });
    let tokens;
    try {
      tokens = await passwordGrant(http, await discover(http, env.provider.issuer), { clientId: env.provider.clientId }, 'alice', PASSWORD);
    } finally {
      await http.close();
    }
    await fs.copyFile(env.caFile, home.path('casdoor-ca.pem'));
    const handWritten = [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: k, cluster: {server: "https://127.0.0.1:1"}}]',
      'users:',
      '- name: me',
      '  user:',
      '    auth-provider:',
      '      name: oidc',
      '      config:',
      `        idp-issuer-url: ${env.provider.issuer}`,
      `        client-id: ${env.provider.clientId}`,
      '        idp-certificate-authority: casdoor-ca.pem',
      `        id-token: ${tokens.idToken}`,
      `        refresh-token: ${tokens.refreshToken}`,
      'contexts: [{name: mine, context: {cluster: k, user: me}}]',
      'current-context: mine',
      '',
    ].join('\n');
    await fs.writeFile(home.kubeconfig, handWritten, { mode: 0o600 });
    const run = await refresh([], {}, home.home);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    const cfg = apConfig(await readDoc(home.kubeconfig));
    expect(env.provider.stats.refreshGrants).toBe(1);
    expect(cfg['refresh-token']).not.toBe(tokens.refreshToken);
    expect(cfg['idp-certificate-authority']).toBe('casdoor-ca.pem');
    expect(cfg['client-secret']).toBeUndefined();
  });

  it('a dead refresh token without a terminal or password: exit 3, one line naming the command, file untouched', async () => {
    expect((await setup()).code).toBe(0);
    const doc = await readDoc(home.kubeconfig);
    apConfig(doc)['refresh-token'] = 'dead-refresh-token-value';
    await fs.writeFile(home.kubeconfig, yaml.dump(doc));
    const text = await fs.readFile(home.kubeconfig, 'utf8');
    const run = await refresh();
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`run "casdoor-kubeconfig refresh --context ${aliceContext(env)}" in a terminal`);
    expect(run.stderr).toContain('CASDOOR_PASSWORD');
    expectNoSecrets(run, ['dead-refresh-token-value']);
    expect(await fs.readFile(home.kubeconfig, 'utf8')).toBe(text);
  });

  it('any other refusal (a wrong client secret) is reported as it is: no new login, the refresh token kept', async () => {
    expect((await setup()).code).toBe(0);
    const doc = await readDoc(home.kubeconfig);
    apConfig(doc)['client-secret'] = 'not-the-client-secret-value';
    await fs.writeFile(home.kubeconfig, yaml.dump(doc));
    const text = await fs.readFile(home.kubeconfig, 'utf8');
    env.provider.resetStats();
    const run = await refresh([], { CASDOOR_PASSWORD: PASSWORD });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('client_secret is invalid');
    // A stale secret in an entry: the fix is to drop it (nothing needs it), not to find the right one.
    expect(run.stderr).toContain(`Nothing needs it: casdoor-kubeconfig refresh --context ${aliceContext(env)} --remove-client-secret`);
    expect(run.stderr).not.toContain('Logging in again');
    // The refresh request only: no password grant with a secret that cannot work either.
    expect(env.provider.stats.tokenRequests).toBe(1);
    expect(await fs.readFile(home.kubeconfig, 'utf8')).toBe(text);
    expectNoSecrets(run, ['not-the-client-secret-value']);
  });

  it('a dead refresh token with CASDOOR_PASSWORD: logs in again (username from the old token) and stores new tokens', async () => {
    expect((await setup()).code).toBe(0);
    const doc = await readDoc(home.kubeconfig);
    apConfig(doc)['refresh-token'] = 'dead-refresh-token-value';
    await fs.writeFile(home.kubeconfig, yaml.dump(doc));
    env.provider.resetStats();
    const run = await refresh([], { CASDOOR_PASSWORD: PASSWORD });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/Logging in again \(the refresh token was refused/);
    expect(env.provider.stats.passwordGrants).toBe(1);
    const cfg = apConfig(await readDoc(home.kubeconfig));
    expect(cfg['refresh-token']).not.toBe('dead-refresh-token-value');
    expect(cfg['refresh-token']).toBeTruthy();
  });

  it('interactively, a dead refresh token leads to a password prompt', async () => {
    expect((await setup()).code).toBe(0);
    const doc = await readDoc(home.kubeconfig);
    delete apConfig(doc)['refresh-token'];
    await fs.writeFile(home.kubeconfig, yaml.dump(doc));
    env.provider.resetStats();
    const asked: string[] = [];
    const res = await runRefresh(
      { kubeconfig: home.kubeconfig },
      {
        out: new Output({ env: { NO_COLOR: '1' }, stdout: { write: () => true }, stderr: { write: () => true } }),
        now: () => new Date(),
        interactive: true,
        promptPassword: async (message) => {
          asked.push(message);
          return PASSWORD;
        },
        openUrl: async () => undefined,
        env: {},
        homeDir: home.home,
        cwd: home.home,
        makeHttp: (caPem) => createHttpClient({ env: {}, ...(caPem ? { caPem } : {}) }),
      },
    );
    expect(res.how).toBe('login');
    expect(asked).toEqual([`Casdoor password for alice (${env.provider.issuer})`]);
    expect(apConfig(await readDoc(home.kubeconfig))['refresh-token']).toBeTruthy();
  });
});

describe('refresh: concurrent runs on one auth-provider entry', () => {
  /** The refresh token in the file still works: one more refresh succeeds with a refresh grant. */
  async function expectFileTokenAlive(): Promise<void> {
    const grants = env.provider.stats.refreshGrants;
    const again = await refresh();
    expect({ code: again.code, stderr: again.stderr }).toMatchObject({ code: 0 });
    expect(again.stderr).toMatch(/Refreshed the tokens of user/);
    expect(env.provider.stats.refreshGrants).toBe(grants + 1);
  }

  it('four runs at once all succeed: one refresh request under the lock, the others take its tokens', async () => {
    expect((await setup()).code).toBe(0);
    const doc = await readDoc(home.kubeconfig);
    doc.users[0]['x-note'] = 'keep me';
    await fs.writeFile(home.kubeconfig, yaml.dump(doc));
    const before = apConfig(doc);
    env.provider.resetStats();

    const runs = await Promise.all(Array.from({ length: 4 }, () => refresh()));
    expect(runs.map((r) => ({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }))).toEqual(Array.from({ length: 4 }, () => ({ code: 0, stderr: '' })));
    // Casdoor rotates: a second refresh of the same token would have failed with invalid_grant.
    expect(env.provider.stats.refreshGrants).toBe(1);
    expect(runs.filter((r) => /Refreshed the tokens of user alice@/.test(r.stderr))).toHaveLength(1);
    expect(runs.filter((r) => /Another process had just refreshed user alice@/.test(r.stderr))).toHaveLength(3);
    for (const run of runs) expectNoSecrets(run, [before['refresh-token'] as string]);

    const after = await readDoc(home.kubeconfig);
    expect(apConfig(after)['refresh-token']).not.toBe(before['refresh-token']);
    expect(after.users[0]['x-note']).toBe('keep me');
    expect(existsSync(`${home.kubeconfig}.lock`)).toBe(false);
    await expectFileTokenAlive();
  });

  it('a refresh waits for the kubeconfig lock and then refreshes the token the file holds by then', async () => {
    expect((await setup()).code).toBe(0);
    const lock = `${home.kubeconfig}.lock`;
    await fs.writeFile(lock, '', { flag: 'wx' });
    env.provider.resetStats();
    const pending = refresh();
    // While it waits, another writer rotates the tokens (as kubectl or another refresh would).
    await new Promise((r) => setTimeout(r, 300));
    const http = createHttpClient({ env: {}, caPem: env.caPem });
    let rotated;
    try {
      const doc = await readDoc(home.kubeconfig);
      rotated = await refreshGrant(http, await discover(http, env.provider.issuer), { clientId: env.provider.clientId, clientSecret: SECRET }, apConfig(doc)['refresh-token'] as string);
      apConfig(doc)['id-token'] = rotated.idToken;
      apConfig(doc)['refresh-token'] = rotated.refreshToken as string;
      await fs.writeFile(home.kubeconfig, yaml.dump(doc));
    } finally {
      await http.close();
    }
    await fs.unlink(lock);
    const run = await pending;
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0, stderr: expect.stringMatching(/Another process had just refreshed user alice@/) });
    // Only the other writer's refresh: ours used its tokens instead of refreshing a dead token.
    expect(env.provider.stats.refreshGrants).toBe(1);
    expect(apConfig(await readDoc(home.kubeconfig))['refresh-token']).toBe(rotated.refreshToken);
    await expectFileTokenAlive();
  });

  it('four separate processes (dist/bin.js) at once all exit 0 and leave a live refresh token', async () => {
    const bin = new URL('../../dist/bin.js', import.meta.url).pathname;
    if (!existsSync(bin)) throw new Error('dist/bin.js is missing: run npm run build first');
    expect((await setup()).code).toBe(0);
    env.provider.resetStats();
    const runOne = (): Promise<{ code: number; stderr: string }> =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [bin, 'refresh', '--kubeconfig', home.kubeconfig],
          // Killed if it hangs (e.g. on the lock), so a failing run leaves no process behind.
          { env: { PATH: process.env.PATH, HOME: home.home, NO_COLOR: '1' }, cwd: home.home, timeout: 30_000 },
          (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
        );
      });
    const runs = await Promise.all(Array.from({ length: 4 }, runOne));
    expect(runs.map((r) => ({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }))).toEqual(Array.from({ length: 4 }, () => ({ code: 0, stderr: '' })));
    // A process that read the file after another one's write refreshes again, legitimately; none fails.
    const refreshed = runs.filter((r) => /Refreshed the tokens of user/.test(r.stderr)).length;
    expect(refreshed).toBeGreaterThanOrEqual(1);
    expect(env.provider.stats.refreshGrants).toBe(refreshed);
    expect(existsSync(`${home.kubeconfig}.lock`)).toBe(false);
    await expectFileTokenAlive();
  });
});

describe('refresh on an exec entry', () => {
  it('refreshes its cache entry, even when the token is still fresh', async () => {
    expect((await setup(['--mode', 'exec', '--exec-command', DIST_BIN])).code).toBe(0);
    const file = cacheFile(cacheDir(home.home, {}), { issuer: env.provider.issuer, clientId: env.provider.clientId, username: 'alice', ca: env.caFile });
    const before = JSON.parse(await fs.readFile(file, 'utf8'));
    const kubeconfigBefore = await fs.readFile(home.kubeconfig, 'utf8');
    env.provider.resetStats();
    const run = await refresh();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(file);
    expect(env.provider.stats.refreshGrants).toBe(1);
    const after = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(await fs.readFile(home.kubeconfig, 'utf8')).toBe(kubeconfigBefore);
  });

  it('names the exact problem for a context whose user is not ours', async () => {
    await fs.writeFile(home.kubeconfig, 'users: [{name: u, user: {token: abcdefgh}}]\ncontexts: [{name: c, context: {cluster: x, user: u}}]\n');
    const run = await refresh(['--context', 'c']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/user "u" of context "c" is neither an oidc auth-provider nor a "casdoor-kubeconfig token" exec entry/);
    const missing = await refresh(['--context', 'nope']);
    expect(missing.stderr).toMatch(/context "nope" is not defined/);
  });
});
