/**
 * `logout` against the Casdoor-like provider: the end-session request goes out with the id_token as
 * hint, cached tokens go away, an auth-provider entry loses its tokens, and --remove deletes the context
 * and what only it used.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, promises as fs } from 'node:fs';
import yaml from 'js-yaml';
import type { DemoEnvironment } from '../../src/demo/index.js';
import type { CliError } from '../../src/errors.js';
import { discover } from '../../src/oidc/discovery.js';
import { refreshGrant } from '../../src/oidc/grants.js';
import { createHttpClient } from '../../src/oidc/http.js';
import { cacheDir, cacheFile } from '../../src/token/cache.js';
import { DIST_BIN, runCli, type CliRun } from '../helpers/cli.js';
import { aliceContext, readDoc, runSetup, useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const PASSWORD = 'correct-horse';

let env: DemoEnvironment;
let home: TempHome;

// Casdoor's array `aud` on the id_token used as id_token_hint, as in production.
useDemoEnvironment({}, (e, h) => {
  env = e;
  home = h;
});

const CLUSTER = (): string => new URL(env.apiserver.url).host;

const setup = (extra: string[] = []): Promise<CliRun> => runSetup(env, home, extra, { password: PASSWORD });

const logout = (args: string[] = []): Promise<CliRun> => runCli(['logout', '--verbose', '--kubeconfig', home.kubeconfig, ...args], { home: home.home });

/**
 * The verbose trace shows the request and Casdoor's answer (with the hint redacted): a POST with the
 * hint in the form body (controllers/account.go Logout reads query or form), never in the URL.
 */
function expectEndSession(run: CliRun): void {
  const endpoint = env.provider.endpoints.end_session.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  expect(run.stderr).toMatch(new RegExp(`→ POST ${endpoint} \\(id_token_hint=<redacted>\\)\n`));
  expect(run.stderr).not.toMatch(/logout\?/);
  expect(run.stderr).toMatch(new RegExp(`← 200 ${endpoint}`));
  expect(run.stderr).toContain("Casdoor expired this login's token, so its refresh token no longer works");
  expect(run.stderr).toMatch(/Not ended: your Casdoor sign-in in the browser \(sign out there as well\), and the id_token itself, which the API server accepts until .* \(it does not ask Casdoor\)\./);
  expect(env.provider.stats.logouts).toBe(1);
}

describe('logout', () => {
  it('auth-provider entry: ends the session with the id_token as hint and clears the tokens, keeping the entry', async () => {
    expect((await setup()).code).toBe(0);
    const before = (await readDoc(home.kubeconfig)).users[0].user['auth-provider'].config;
    const run = await logout();
    expect(run.code).toBe(0);
    expectEndSession(run);
    expect(run.all).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
    expect(run.all).not.toContain(before['refresh-token']);
    const doc = await readDoc(home.kubeconfig);
    const cfg = doc.users[0].user['auth-provider'].config;
    expect(cfg['id-token']).toBeUndefined();
    expect(cfg['refresh-token']).toBeUndefined();
    expect(cfg['client-id']).toBe(env.provider.clientId);
    expect(cfg['idp-issuer-url']).toBe(env.provider.issuer);
    expect(doc.contexts.map((c: { name: string }) => c.name)).toEqual([aliceContext(env)]);
    expect(doc['current-context']).toBe(aliceContext(env));
    expect(run.stderr).toContain(`casdoor-kubeconfig refresh --context ${aliceContext(env)}`);
    // What the sign-out ended, as it says: Casdoor refuses the old refresh token now.
    const http = createHttpClient({ env: {}, caPem: env.caPem });
    try {
      const err = await refreshGrant(http, await discover(http, env.provider.issuer), { clientId: env.provider.clientId }, before['refresh-token']).catch((e: unknown) => e);
      expect((err as CliError).message).toBe('Casdoor refused the request (invalid_grant): "refresh token is expired".');
    } finally {
      await http.close();
    }
  });

  it('Casdoor\'s HTTP 200 {"status":"error"} is not a sign-out: its message is shown, the local tokens go anyway (exit 0)', async () => {
    expect((await setup()).code).toBe(0);
    const before = (await readDoc(home.kubeconfig)).users[0].user['auth-provider'].config;
    // Rotate the token behind the entry's back: Casdoor deletes the old token row, so it no longer knows the hint.
    const http = createHttpClient({ env: {}, caPem: env.caPem });
    try {
      await refreshGrant(http, await discover(http, env.provider.issuer), { clientId: env.provider.clientId }, before['refresh-token']);
    } finally {
      await http.close();
    }
    const run = await logout();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'Casdoor did not sign this token out ("Token not found, invalid accessToken"). Casdoor no longer knows this token: it was refreshed since (the old one is deleted), signed out already, or issued by another Casdoor. The local tokens are removed anyway.',
    );
    expect(run.stderr).not.toContain('Signed out of Casdoor');
    expect(run.stderr).toContain('Cleared the tokens of user');
    expect(run.all).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
  });

  it('auth-provider entry: clears the tokens the file holds when it gets the lock, keeping edits made meanwhile', async () => {
    expect((await setup()).code).toBe(0);
    const lock = `${home.kubeconfig}.lock`;
    await fs.writeFile(lock, '', { flag: 'wx' });
    const pending = logout();
    // While logout waits for the lock, another writer changes the entry (as a refresh or kubectl would).
    await new Promise((r) => setTimeout(r, 300));
    const doc = await readDoc(home.kubeconfig);
    const cfg = doc.users[0].user['auth-provider'].config;
    cfg['id-token'] = 'eyJhbGciOiJub25lIn0.eyJuZXdlciI6dHJ1ZX0.written-meanwhile';
    cfg['refresh-token'] = 'refresh-token-written-meanwhile';
    cfg['extra-scopes'] = 'groups';
    doc.users[0]['x-note'] = 'added meanwhile';
    await fs.writeFile(home.kubeconfig, yaml.dump(doc));
    await fs.unlink(lock);
    const run = await pending;
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Cleared the tokens of user');
    const after = (await readDoc(home.kubeconfig)).users[0];
    expect(after['x-note']).toBe('added meanwhile');
    expect(after.user['auth-provider'].config).toEqual({ 'client-id': env.provider.clientId, 'idp-issuer-url': env.provider.issuer, 'idp-certificate-authority-data': cfg['idp-certificate-authority-data'], 'extra-scopes': 'groups' });
    expect(existsSync(lock)).toBe(false);
  });

  it('exec entry: ends the session and deletes the cached tokens; the kubeconfig stays as it is', async () => {
    expect((await setup(['--mode', 'exec', '--exec-command', DIST_BIN])).code).toBe(0);
    const file = cacheFile(cacheDir(home.home, {}), { issuer: env.provider.issuer, clientId: env.provider.clientId, username: 'alice', ca: env.caFile });
    expect(existsSync(file)).toBe(true);
    const text = await fs.readFile(home.kubeconfig, 'utf8');
    const run = await logout();
    expect(run.code).toBe(0);
    expectEndSession(run);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(await fs.readFile(home.kubeconfig, 'utf8')).toBe(text);
  });

  it('--remove deletes context and user, keeps a cluster another context still uses; a foreign context is refused', async () => {
    expect((await setup()).code).toBe(0);
    const doc = await readDoc(home.kubeconfig);
    doc.users.push({ name: 'robot', user: { token: 'robot-token-value' } });
    doc.contexts.push({ name: 'robot-ctx', context: { cluster: CLUSTER(), user: 'robot' } });
    await fs.writeFile(home.kubeconfig, yaml.dump(doc), { mode: 0o600 });

    const run = await logout(['--remove']);
    expect(run.code).toBe(0);
    expectEndSession(run);
    expect(run.stderr).toContain(`Kept cluster ${CLUSTER()}: still used by context robot-ctx`);
    const after = await readDoc(home.kubeconfig);
    expect(after.contexts.map((c: { name: string }) => c.name)).toEqual(['robot-ctx']);
    expect(after.users.map((u: { name: string }) => u.name)).toEqual(['robot']);
    expect(after.clusters.map((c: { name: string }) => c.name)).toEqual([CLUSTER()]);
    expect(after['current-context']).toBe('');

    // Removing a context whose user is not ours is refused: logout only handles Casdoor entries.
    const refused = await logout(['--context', 'robot-ctx', '--remove']);
    expect(refused.code).toBe(2);
  });

  it('--remove on the only context takes its cluster along; an unreachable Casdoor is only a warning', async () => {
    expect((await setup()).code).toBe(0);
    // Point the entry at a Casdoor that is not there: the local clean-up must still happen.
    const doc = await readDoc(home.kubeconfig);
    doc.users[0].user['auth-provider'].config['idp-issuer-url'] = 'https://127.0.0.1:9';
    await fs.writeFile(home.kubeconfig, yaml.dump(doc), { mode: 0o600 });
    const run = await logout(['--remove']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/Could not reach Casdoor to sign out \(Connection refused/);
    const after = await readDoc(home.kubeconfig);
    expect(after.contexts).toEqual([]);
    expect(after.users).toEqual([]);
    expect(after.clusters).toEqual([]);
  });
});
