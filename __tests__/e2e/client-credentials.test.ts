/**
 * A CI identity: `setup --mode exec --grant client-credentials` and `token` under the real kubectl.
 *
 * The peer is a scripted Casdoor token endpoint on loopback HTTPS that answers the client_credentials
 * grant the way Casdoor does (object/token_oauth.go GetClientCredentialsToken, object/token_jwt.go
 * generateJwtToken): the client secret is checked ("client_secret is invalid", invalid_client, HTTP 401);
 * the token's user is the application itself (owner = the application's owner "admin", name = its name,
 * id = "admin/<name>", type "application", no groups); only the access token is kept, so `id_token` and
 * `refresh_token` come back as empty strings. The demo provider (src/demo) has no client-credentials grant
 * yet; this peer stands in for it. The API server is the demo's token-checking one.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import yaml from 'js-yaml';
import { makeTlsMaterial, startApiServer, type ApiServer, type TlsMaterial } from '../../src/demo/index.js';
import { cacheDir, cacheFile } from '../../src/token/cache.js';
import { DIST_BIN, runCli } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { makeTempDir, makeTempHome, type TempHome } from '../helpers/tmp.js';
import { writeBinWrapper } from '../helpers/scripts.js';

const itKubectl = requireKubectl() ? it : it.skip;

const APP = 'ci-deployer';
const CLIENT_ID = '7f3a9c1e25b84d06a1f2';
const SECRET = 'ci-client-secret-4b2e9d7f0c1a';

let tls: TlsMaterial;
let casdoor: Server;
let origin: string;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let jwk: Record<string, unknown>;
let grants: number;
let forms: URLSearchParams[];
let apiserver: ApiServer;
let home: TempHome;
let scripts: { dir: string; cleanup(): Promise<void> };
let wrapper: string;

async function mintApplicationToken(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  // generateJwtToken's claims for the application "user" of GetClientCredentialsToken (JWT format).
  return new SignJWT({
    owner: 'admin',
    name: APP,
    id: `admin/${APP}`,
    type: 'application',
    displayName: '',
    email: '',
    groups: [],
    tokenType: 'access-token',
    scope: '',
    azp: CLIENT_ID,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'cert-built-in', typ: 'JWT' })
    .setIssuer(origin)
    .setSubject(`admin/${APP}`)
    .setAudience([CLIENT_ID])
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 3600)
    .setJti(`admin/${grants}`)
    .sign(privateKey);
}

beforeAll(async () => {
  if (!existsSync(DIST_BIN)) throw new Error('dist/ is missing: the jest globalSetup build did not run');
  tls = await makeTlsMaterial();
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'cert-built-in', use: 'sig', alg: 'RS256' };
  casdoor = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      json(200, {
        issuer: origin,
        authorization_endpoint: `${origin}/login/oauth/authorize`,
        token_endpoint: `${origin}/api/login/oauth/access_token`,
        jwks_uri: `${origin}/.well-known/jwks`,
        grant_types_supported: ['authorization_code', 'password', 'client_credentials', 'refresh_token'],
      });
      return;
    }
    if (req.url === '/.well-known/jwks') return json(200, { keys: [jwk] });
    if (req.url === '/api/login/oauth/access_token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        forms.push(form);
        if (form.get('client_id') !== CLIENT_ID) return json(400, { error: 'invalid_client', error_description: 'client_id is invalid' });
        if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type', error_description: `grant_type: ${form.get('grant_type')} is not supported in this application` });
        if (form.get('client_secret') !== SECRET) return json(401, { error: 'invalid_client', error_description: 'client_secret is invalid' });
        grants++;
        void mintApplicationToken().then((token) =>
          json(200, { access_token: token, id_token: '', refresh_token: '', token_type: 'Bearer', expires_in: 3600, scope: '' }),
        );
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => casdoor.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${(casdoor.address() as AddressInfo).port}`;
  apiserver = await startApiServer({ issuer: origin, clientId: CLIENT_ID, issuerCaPem: tls.caPem, tls });
  scripts = await makeTempDir('ck-cc-');
  wrapper = await writeBinWrapper(scripts.dir);
}, 120_000);

afterAll(async () => {
  await apiserver?.close();
  casdoor?.closeAllConnections();
  await new Promise((r) => casdoor?.close(r));
  await tls?.remove();
  await scripts?.cleanup();
  await home?.cleanup();
});

beforeEach(async () => {
  await home?.cleanup();
  home = await makeTempHome();
  grants = 0;
  forms = [];
});

const setupArgs = (mode: string[] = ['--mode', 'exec', '--exec-command', wrapper]): string[] => [
  'setup', '--non-interactive', ...mode, '--grant', 'client-credentials',
  '--casdoor-url', origin, '--client-id', CLIENT_ID, '--casdoor-ca', tls.caFile,
  '--server', apiserver.url, '--certificate-authority', tls.caFile, '--kubeconfig', home.kubeconfig,
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
  const file = cacheFile(cacheDir(home.home, {}), { issuer: origin, clientId: CLIENT_ID, username: '', grant: 'client-credentials', ca: tls.caFile });
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
    expect(forms.map((f) => f.get('grant_type'))).toEqual(['client_credentials']);
    expect(forms[0]?.get('scope')).toBeNull();

    const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as { users: Array<{ name: string; user: { exec: { args: string[] } } }> };
    expect(doc.users[0]?.name).toBe(`${APP}@${new URL(origin).host}/${CLIENT_ID}`);
    expect(doc.users[0]?.user.exec.args).toEqual(['token', '--casdoor-url', origin, '--client-id', CLIENT_ID, '--casdoor-ca', tls.caFile, '--grant', 'client-credentials']);
    // The secret is in no file under HOME (kubeconfig, cache, backups).
    for (const file of await filesUnder(home.home)) expect({ file, has: (await fs.readFile(file, 'utf8')).includes(SECRET) }).toEqual({ file, has: false });

    const first = await whoami();
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(first.stdout).status.userInfo).toMatchObject({ username: APP });
    expect(grants).toBe(1);

    // Expired: no refresh token to spend, so a new client-credentials grant, with the secret from kubectl's environment.
    await expire();
    const renewed = await whoami({ CASDOOR_CLIENT_SECRET: SECRET });
    expect({ code: renewed.code, stderr: renewed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(grants).toBe(2);
    expect(forms.map((f) => f.get('grant_type'))).toEqual(['client_credentials', 'client_credentials']);

    // Expired and no secret in the environment: one clear line, nothing sent to Casdoor.
    await expire();
    const missing = await whoami();
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("--grant client-credentials needs the application's client secret: set CASDOOR_CLIENT_SECRET in the environment");
    expect(forms).toHaveLength(2);

    // A wrong secret: Casdoor's answer and what to check; the secret itself is not echoed.
    const wrong = await whoami({ CASDOOR_CLIENT_SECRET: 'not-the-secret-at-all' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Casdoor refused the request (invalid_client): "client_secret is invalid".');
    expect(wrong.stderr).not.toContain('not-the-secret-at-all');
  }, 120_000);

  it('token --grant client-credentials prints an ExecCredential for the application; --username is refused', async () => {
    const run = await runCli(['token', '--casdoor-url', origin, '--client-id', CLIENT_ID, '--casdoor-ca', tls.caFile, '--grant', 'client-credentials', '--raw'], {
      home: home.home,
      env: { CASDOOR_CLIENT_SECRET: SECRET },
    });
    expect(run.code).toBe(0);
    const claims = JSON.parse(Buffer.from(run.stdout.trim().split('.')[1] as string, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ name: APP, owner: 'admin', type: 'application', aud: [CLIENT_ID] });
    expect(run.stderr).toBe('');
    const withUser = await runCli(['token', '--casdoor-url', origin, '--client-id', CLIENT_ID, '--grant', 'client-credentials', '--username', 'alice'], { home: home.home, env: { CASDOOR_CLIENT_SECRET: SECRET } });
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
    expect(forms).toHaveLength(0);
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
