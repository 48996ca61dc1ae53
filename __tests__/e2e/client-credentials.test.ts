/**
 * A CI identity: `setup --mode exec --grant client-credentials` and `token` under the real kubectl.
 *
 * The peer is the Casdoor emulator (src/demo/casdoor/oauth.ts getClientCredentialsToken, after Casdoor's
 * object/token_oauth.go GetClientCredentialsToken and object/token_jwt.go generateJwtToken) with an
 * application "ci-deployer" that has the client_credentials grant: the client secret is checked
 * ("client_secret is invalid", invalid_client); the token's user is the application itself (owner, name =
 * the application's name, type "application", no groups); no refresh token is issued. The API server is
 * the demo's token-checking one.
 */
import { describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { DEFAULT_GRANT_TYPES, type DemoEnvironment } from '../../src/demo/index.js';
import { cacheDir, cacheFile } from '../../src/token/cache.js';
import { runCli } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { useDemoEnvironmentWithScripts } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;

const APP = 'ci-deployer';
const SECRET = 'ci-client-secret-4b2e9d7f0c1a';

let env: DemoEnvironment;
let home: TempHome;
let wrapper: string;
useDemoEnvironmentWithScripts(
  { provider: { clientSecret: SECRET, grantTypes: [...DEFAULT_GRANT_TYPES, 'client_credentials'], application: { name: APP } } },
  (e, h, scripts) => {
    env = e;
    home = h;
    wrapper = scripts.wrapper;
  },
);

const origin = (): string => env.provider.issuer;
const clientId = (): string => env.provider.clientId;
const stats = () => env.provider.stats;

const setupArgs = (mode: string[] = ['--mode', 'exec', '--exec-command', wrapper]): string[] => [
  'setup', '--non-interactive', ...mode, '--grant', 'client-credentials',
  '--casdoor-url', origin(), '--client-id', clientId(), '--casdoor-ca', env.caFile,
  '--server', env.apiserver.url, '--certificate-authority', env.caFile, '--kubeconfig', home.kubeconfig,
];

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

const whoami = (env: Record<string, string> = {}) =>
  runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig, env: { HOME: home.home, ...env } });

async function expire(): Promise<void> {
  const file = cacheFile(cacheDir(home.home, {}), { issuer: origin(), clientId: clientId(), username: '', grant: 'client-credentials', ca: env.caFile });
  const entry = JSON.parse(await fs.readFile(file, 'utf8'));
  expect(entry.refreshToken).toBeUndefined();
  await fs.writeFile(file, JSON.stringify({ ...entry, expiresAt: Math.floor(Date.now() / 1000) - 30 }), { mode: 0o600 });
}

describe('--grant client-credentials', () => {
  itKubectl('setup writes an exec entry with no secret anywhere; kubectl authenticates as the application; expiry means a new grant', async () => {
    const setup = await runCli(setupArgs(), { home: home.home, env: { CASDOOR_CLIENT_SECRET: SECRET } });
    expect(setup.code).toBe(0);
    expect(setup.stderr).toContain(`Logged in as application ${APP}`);
    expect(setup.stderr).toContain('no refresh token');
    expect(setup.stderr).not.toMatch(/enable the "Refresh Token" grant/);
    expect(setup.all).not.toContain(SECRET);
    expect({ requests: stats().tokenRequests, grants: stats().clientCredentialsGrants }).toEqual({ requests: 1, grants: 1 });

    const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as { users: Array<{ name: string; user: { exec: { args: string[] } } }> };
    expect(doc.users[0]?.name).toBe(`${APP}@${new URL(origin()).host}/${clientId()}`);
    expect(doc.users[0]?.user.exec.args).toEqual(['token', '--casdoor-url', origin(), '--client-id', clientId(), '--casdoor-ca', env.caFile, '--grant', 'client-credentials']);
    // The secret is in no file under HOME (kubeconfig, cache, backups).
    for (const file of await filesUnder(home.home)) expect({ file, has: (await fs.readFile(file, 'utf8')).includes(SECRET) }).toEqual({ file, has: false });

    const first = await whoami();
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(first.stdout).status.userInfo).toMatchObject({ username: APP });
    expect(stats().clientCredentialsGrants).toBe(1);

    // Expired: no refresh token to spend, so a new client-credentials grant, with the secret from kubectl's environment.
    await expire();
    const renewed = await whoami({ CASDOOR_CLIENT_SECRET: SECRET });
    expect({ code: renewed.code, stderr: renewed.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ requests: stats().tokenRequests, grants: stats().clientCredentialsGrants }).toEqual({ requests: 2, grants: 2 });

    // Expired and no secret in the environment: one clear line, nothing sent to Casdoor.
    await expire();
    const missing = await whoami();
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("--grant client-credentials needs the application's client secret: set CASDOOR_CLIENT_SECRET in the environment");
    expect(stats().tokenRequests).toBe(2);

    // A wrong secret: Casdoor's answer and what to check; the secret itself is not echoed.
    const wrong = await whoami({ CASDOOR_CLIENT_SECRET: 'not-the-secret-at-all' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Casdoor refused the request (invalid_client): "client_secret is invalid".');
    expect(wrong.stderr).not.toContain('not-the-secret-at-all');
  }, 120_000);

  it('token --grant client-credentials prints an ExecCredential for the application; --username is refused', async () => {
    const run = await runCli(['token', '--casdoor-url', origin(), '--client-id', clientId(), '--casdoor-ca', env.caFile, '--grant', 'client-credentials', '--raw'], {
      home: home.home,
      env: { CASDOOR_CLIENT_SECRET: SECRET },
    });
    expect(run.code).toBe(0);
    const claims = JSON.parse(Buffer.from(run.stdout.trim().split('.')[1] as string, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ name: APP, owner: 'admin', type: 'application', aud: [clientId()] });
    expect(run.stderr).toBe('');
    const withUser = await runCli(['token', '--casdoor-url', origin(), '--client-id', clientId(), '--grant', 'client-credentials', '--username', 'alice'], { home: home.home, env: { CASDOOR_CLIENT_SECRET: SECRET } });
    expect(withUser.code).toBe(2);
    expect(withUser.stderr).toContain('signs in as the application itself: leave out --username');
  });

  it('setup refuses auth-provider mode and a missing secret before anything is written', async () => {
    await fs.writeFile(home.kubeconfig, 'apiVersion: v1\nkind: Config\n');
    const before = await fs.readFile(home.kubeconfig, 'utf8');
    const authProvider = await runCli(setupArgs([]), { home: home.home, env: { CASDOOR_CLIENT_SECRET: SECRET } });
    expect(authProvider.code).toBe(2);
    expect(authProvider.stderr).toContain('--grant client-credentials needs --mode exec');
    const noSecret = await runCli(setupArgs(), { home: home.home });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('--grant client-credentials needs the client secret: set CASDOOR_CLIENT_SECRET');
    expect(await fs.readFile(home.kubeconfig, 'utf8')).toBe(before);
    expect(stats().tokenRequests).toBe(0);
  });

  it('rbac --application binds the identity under the name the API server sees', async () => {
    const run = await runCli(['rbac', '--application', APP, '--namespace', 'ci', '--cluster-role', 'edit'], { home: home.home });
    expect(run.code).toBe(0);
    const binding = yaml.load(run.stdout) as { kind: string; subjects: unknown[] };
    expect(binding.kind).toBe('RoleBinding');
    expect(binding.subjects).toEqual([{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: APP }]);
    expect(run.stdout).toContain(`Casdoor application "${APP}" (its client-credentials identity`);
    const email = await runCli(['rbac', '--application', APP, '--username-claim', 'email'], { home: home.home });
    expect(email.stderr).toContain(`--application ${APP}: a client-credentials token names the application only in "name"`);
  });
});
