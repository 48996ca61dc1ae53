/**
 * Proves the end-to-end peers themselves: the Casdoor-like provider, the OIDC-checking API server and
 * the real kubectl against them. Other e2e tests trust these fixtures; this file is why they may.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Agent } from 'undici';

import { startApiServer } from '../../src/demo/apiserver.js';
import { visit } from '../../src/demo/browser.js';
import { startDemoEnvironment, type DemoEnvironment } from '../../src/demo/index.js';
import { CASDOOR_ROUTES } from '../../src/demo/provider.js';
import { getJson, jwtClaims, postForm, postJson, trustingAgent } from '../helpers/http.js';
import { allKubectlBinaries, kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;

const REVIEW = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
const REVIEW_PATH = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

let env: DemoEnvironment;
let agent: Agent;
let home: TempHome;

beforeAll(async () => {
  // One provider for the whole file: key generation and certificates are the slow part.
  env = await startDemoEnvironment({ provider: { autoLoginAs: 'alice', deviceInterval: 1 } });
  agent = trustingAgent(env.caPem);
  home = await makeTempHome();
});

afterAll(async () => {
  await agent?.close();
  await env?.close();
  await home?.cleanup();
});

const passwordGrant = (username = 'alice', password = 'correct-horse', extra: Record<string, string> = {}) =>
  postForm(agent, env.provider.endpoints.token, {
    grant_type: 'password',
    client_id: env.provider.clientId,
    username,
    password,
    scope: 'openid profile email',
    ...extra,
  });

const tokensOf = (body: unknown) => body as Record<string, string | number>;

const whoami = (token: string, apiserver = env.apiserver) =>
  postJson(agent, apiserver.url + REVIEW_PATH, REVIEW, { authorization: `Bearer ${token}` });

describe('provider', () => {
  it('serves discovery with Casdoor paths and the issuer equal to its URL', async () => {
    const { status, body } = await getJson(agent, env.provider.endpoints.discovery);
    expect(status).toBe(200);
    const doc = body as Record<string, unknown>;
    const url = env.provider.url;
    expect(doc['issuer']).toBe(url);
    expect(env.provider.issuer).toBe(url);
    expect(doc).toMatchObject({
      token_endpoint: url + CASDOOR_ROUTES.token,
      jwks_uri: url + CASDOOR_ROUTES.jwks,
      authorization_endpoint: url + CASDOOR_ROUTES.authorization,
      userinfo_endpoint: url + CASDOOR_ROUTES.userinfo,
      device_authorization_endpoint: url + CASDOOR_ROUTES.device_authorization,
      end_session_endpoint: url + CASDOOR_ROUTES.end_session,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    });
    expect(doc['grant_types_supported']).toEqual(expect.arrayContaining(['password', 'refresh_token', 'authorization_code']));
  });

  it('answers the password grant with all six keys and a Casdoor-shaped, verifiable id_token', async () => {
    const { status, body } = await passwordGrant();
    expect(status).toBe(200);
    const tokens = tokensOf(body);
    expect(Object.keys(tokens).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
    expect(tokens['token_type']).toBe('Bearer');
    // Casdoor: the access token is the same JWT.
    expect(tokens['access_token']).toBe(tokens['id_token']);

    const jwks = (await getJson(agent, env.provider.endpoints.jwks)).body as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(String(tokens['id_token']), createLocalJWKSet(jwks), {
      issuer: env.provider.issuer,
      audience: env.provider.clientId,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      name: 'alice',
      preferred_username: 'alice',
      owner: 'k8s-org',
      groups: ['k8s-org/admins'],
      email: 'alice@example.com',
      email_verified: true,
      tokenType: 'access-token',
      azp: env.provider.clientId,
      aud: [env.provider.clientId],
    });
    expect(payload.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Array.isArray(payload['roles']) && typeof (payload['roles'] as unknown[])[0]).toBe('object');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });

  it('accepts the client secret too, and refuses a wrong one like Casdoor', async () => {
    const withSecret = await postForm(
      agent,
      env.provider.endpoints.token,
      { grant_type: 'password', username: 'alice', password: 'correct-horse' },
      { basic: [env.provider.clientId, env.provider.clientSecret] },
    );
    expect(withSecret.status).toBe(200);
    const wrong = await postForm(
      agent,
      env.provider.endpoints.token,
      { grant_type: 'password', username: 'alice', password: 'correct-horse' },
      { basic: [env.provider.clientId, 'not-the-secret'] },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'invalid_client', error_description: 'client_secret is invalid' });
  });

  it('rotates refresh tokens; the old one then fails with invalid_grant while the new one lives', async () => {
    const first = tokensOf((await passwordGrant()).body);
    const refreshed = await postForm(agent, env.provider.endpoints.token, {
      grant_type: 'refresh_token',
      client_id: env.provider.clientId,
      refresh_token: String(first['refresh_token']),
    });
    expect(refreshed.status).toBe(200);
    const second = tokensOf(refreshed.body);
    expect(second['refresh_token']).not.toBe(first['refresh_token']);
    expect(jwtClaims(String(second['id_token']))['name']).toBe('alice');

    const reused = await postForm(agent, env.provider.endpoints.token, {
      grant_type: 'refresh_token',
      client_id: env.provider.clientId,
      refresh_token: String(first['refresh_token']),
    });
    expect(reused.status).toBe(400);
    expect(reused.body).toEqual({ error: 'invalid_grant', error_description: 'refresh token is invalid or revoked' });

    // kubectl's oidc auth-provider refreshes with HTTP Basic: the rotated token still works after the reuse.
    const again = await postForm(
      agent,
      env.provider.endpoints.token,
      { grant_type: 'refresh_token', refresh_token: String(second['refresh_token']) },
      { basic: [env.provider.clientId, env.provider.clientSecret] },
    );
    expect(again.status).toBe(200);
  });

  it('refuses a wrong password or an unknown user with HTTP 400 and Casdoor wording', async () => {
    const wrong = await passwordGrant('alice', 'wrong');
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({
      error: 'invalid_grant',
      error_description: 'invalid username or password: password or code is incorrect, you have 4 remaining chances',
    });
    const unknown = await passwordGrant('mallory', 'x');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ error: 'invalid_grant', error_description: 'the user does not exist' });
  });

  it('answers errors with HTTP 200 {status:"error"} in legacy mode', async () => {
    env.provider.settings.legacyErrors = true;
    try {
      const { status, body } = await passwordGrant('alice', 'wrong');
      expect(status).toBe(200);
      expect(body).toMatchObject({
        status: 'error',
        msg: 'invalid username or password: password or code is incorrect, you have 4 remaining chances',
      });
    } finally {
      env.provider.settings.legacyErrors = false;
    }
  });

  it('issues short-lived or already expired tokens on demand', async () => {
    env.provider.settings.idTokenTtl = 5;
    try {
      const tokens = tokensOf((await passwordGrant()).body);
      const claims = jwtClaims(String(tokens['id_token']));
      expect(Number(claims['exp']) - Number(claims['iat'])).toBe(5);
      expect(tokens['expires_in']).toBe(5);
    } finally {
      env.provider.settings.idTokenTtl = 3600;
    }
    const expired = jwtClaims(await env.provider.mintIdToken('alice', { ttl: -60 }));
    expect(Number(expired['exp'])).toBeLessThan(Date.now() / 1000);
  });

  it('runs the authorization-code flow with PKCE and no secret, without a person', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = 'http://127.0.0.1:53123/callback';
    const auth = new URL(env.provider.endpoints.authorization);
    auth.search = new URLSearchParams({
      client_id: env.provider.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid profile offline_access',
      state: 'st4te',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const result = await visit(auth.href, { ca: env.caPem, stopAt: (u) => u.protocol === 'http:' });
    expect(result.stoppedAt).toBeDefined();
    const callback = new URL(result.stoppedAt ?? '');
    expect(callback.searchParams.get('state')).toBe('st4te');
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();

    const before = env.provider.stats.codeGrants;
    const exchanged = await postForm(agent, env.provider.endpoints.token, {
      grant_type: 'authorization_code',
      client_id: env.provider.clientId,
      code: code ?? '',
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    expect(exchanged.status).toBe(200);
    const tokens = tokensOf(exchanged.body);
    expect(jwtClaims(String(tokens['id_token']))).toMatchObject({ name: 'alice', groups: ['k8s-org/admins'] });
    expect(tokens['refresh_token']).toBeTruthy();
    expect(env.provider.stats.codeGrants).toBe(before + 1);
  });

  it('runs the device flow, approved in-process', async () => {
    const started = await postForm(agent, env.provider.endpoints.device_authorization, {
      client_id: env.provider.clientId,
      scope: 'openid',
    });
    expect(started.status).toBe(200);
    const device = started.body as Record<string, unknown>;
    expect(device).toMatchObject({ interval: 1 });
    expect(device['verification_uri_complete']).toBeUndefined();
    const poll = () =>
      postForm(agent, env.provider.endpoints.token, {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: env.provider.clientId,
        device_code: String(device['device_code']),
      });
    const pending = await poll();
    expect(pending.status).toBe(400);
    expect(pending.body).toMatchObject({ error: 'authorization_pending' });

    await env.provider.approveDevice(String(device['user_code']), 'bob');
    const done = await poll();
    expect(done.status).toBe(200);
    expect(jwtClaims(String(tokensOf(done.body)['id_token']))).toMatchObject({ name: 'bob', email_verified: false, groups: [] });
    expect(env.provider.stats.deviceGrants).toBe(1);
  });
});

describe('api server', () => {
  it('accepts a provider token on selfsubjectreviews, with aud as array or string', async () => {
    const token = String(tokensOf((await passwordGrant()).body)['id_token']);
    const review = await whoami(token);
    expect(review.status).toBe(201);
    expect(review.body).toMatchObject({
      kind: 'SelfSubjectReview',
      status: { userInfo: { username: 'alice', groups: ['k8s-org/admins', 'system:authenticated'] } },
    });
    expect(env.apiserver.requests.at(-1)).toMatchObject({ path: REVIEW_PATH, status: 201, user: 'alice' });

    env.provider.settings.audAsArray = false;
    try {
      const plain = String(tokensOf((await passwordGrant()).body)['id_token']);
      expect(jwtClaims(plain)['aud']).toBe(env.provider.clientId);
      expect((await whoami(plain)).status).toBe(201);
    } finally {
      env.provider.settings.audAsArray = true;
    }
  });

  it('refuses expired, foreign-audience, foreign-issuer and tampered tokens with 401 and says why', async () => {
    const cases: Array<[string, string]> = [
      [await env.provider.mintIdToken('alice', { ttl: -1 }), 'expired'],
      [await env.provider.mintIdToken('alice', { audience: ['someone-else'] }), 'audience'],
      [await env.provider.mintIdToken('alice', { issuer: `${env.provider.issuer}/` }), 'issuer'],
    ];
    const good = await env.provider.mintIdToken('alice');
    const [h, p, s] = good.split('.');
    const tampered = Buffer.from(JSON.stringify({ ...jwtClaims(good), name: 'root' })).toString('base64url');
    cases.push([`${h}.${tampered}.${s}`, 'signature'], [`${h}.${p}.${s}`, '']);

    for (const [token, reason] of cases) {
      const { status, body } = await whoami(token);
      if (reason === '') {
        expect(status).toBe(201);
        continue;
      }
      expect({ reason, status }).toEqual({ reason, status: 401 });
      expect(body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
      expect(env.apiserver.requests.at(-1)?.reason).toBe(reason);
    }
  });

  it('applies username claim rules: email needs email_verified, an unset prefix means issuer#', async () => {
    const byEmail = await startApiServer({
      issuer: env.provider.issuer,
      clientId: env.provider.clientId,
      issuerCaPem: env.caPem,
      usernameClaim: 'email',
      usernamePrefix: null,
      tls: env.tls,
    });
    const bySub = await startApiServer({
      issuer: env.provider.issuer,
      clientId: env.provider.clientId,
      issuerCaPem: env.caPem,
      usernameClaim: 'name',
      usernamePrefix: null,
      groupsPrefix: 'oidc:',
      tls: env.tls,
    });
    try {
      const alice = String(tokensOf((await passwordGrant()).body)['id_token']);
      const bob = String(tokensOf((await passwordGrant('bob', 'battery-staple')).body)['id_token']);
      expect((await whoami(alice, byEmail)).body).toMatchObject({ status: { userInfo: { username: 'alice@example.com' } } });
      expect((await whoami(bob, byEmail)).status).toBe(401);
      expect(byEmail.requests.at(-1)?.reason).toBe('email-not-verified');
      expect((await whoami(alice, bySub)).body).toMatchObject({
        status: { userInfo: { username: `${env.provider.issuer}#alice`, groups: ['oidc:k8s-org/admins', 'system:authenticated'] } },
      });
    } finally {
      await Promise.all([byEmail.close(), bySub.close()]);
    }
  });

  it('lets anonymous requests read /version only', async () => {
    const version = await getJson(agent, `${env.apiserver.url}/version`);
    expect(version.status).toBe(200);
    expect(version.body).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0' });
    expect((await getJson(agent, `${env.apiserver.url}/api`)).status).toBe(403);
  });
});

describe('real kubectl', () => {
  const kubeconfigWithToken = async (token: string): Promise<string> => {
    // JSON is YAML: no YAML writer needed, and nothing here depends on the tool's own kubeconfig code.
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'demo',
          cluster: { server: env.apiserver.url, 'certificate-authority-data': Buffer.from(env.caPem).toString('base64') },
        },
      ],
      users: [{ name: 'alice', user: { token } }],
      contexts: [{ name: 'demo', context: { cluster: 'demo', user: 'alice' } }],
      'current-context': 'demo',
    };
    const file = home.path('token.kubeconfig');
    await writeFile(file, JSON.stringify(config), { mode: 0o600 });
    return file;
  };

  itKubectl('authenticates with an id_token from the provider', async () => {
    const bin = kubectlBinary() ?? 'kubectl';
    const token = String(tokensOf((await passwordGrant()).body)['id_token']);
    const kubeconfig = await kubeconfigWithToken(token);

    const who = await runKubectl(bin, ['auth', 'whoami', '-o', 'json'], { kubeconfig, env: home.env });
    expect(who.stderr).toBe('');
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({
      status: { userInfo: { username: 'alice', groups: ['k8s-org/admins', 'system:authenticated'] } },
    });

    const raw = await runKubectl(bin, ['get', '--raw', '/version'], { kubeconfig, env: home.env });
    expect(raw.code).toBe(0);
    expect(JSON.parse(raw.stdout)).toMatchObject({ gitVersion: 'v1.32.0' });
  });

  itKubectl('answers `auth whoami` for every installed kubectl version', async () => {
    const kubeconfig = await kubeconfigWithToken(String(tokensOf((await passwordGrant()).body)['id_token']));
    const results = await Promise.all(
      allKubectlBinaries().map(async ({ path, version }) => {
        const who = await runKubectl(path, ['auth', 'whoami', '-o', 'json'], { kubeconfig, env: home.env });
        return { version, code: who.code, stderr: who.stderr, username: who.code === 0 ? JSON.parse(who.stdout)?.status?.userInfo?.username : undefined };
      }),
    );
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(r).toEqual({ version: r.version, code: 0, stderr: '', username: 'alice' });
  });

  itKubectl("refreshes through the oidc auth-provider without a client secret (token about to expire)", async () => {
    const bin = kubectlBinary() ?? 'kubectl';
    // 5 s left: kubectl treats a token as expired when now + 10 s >= exp, so it refreshes at once.
    env.provider.settings.idTokenTtl = 5;
    let tokens: Record<string, string | number>;
    try {
      tokens = tokensOf((await passwordGrant()).body);
    } finally {
      env.provider.settings.idTokenTtl = 3600;
    }
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'demo',
          cluster: { server: env.apiserver.url, 'certificate-authority-data': Buffer.from(env.caPem).toString('base64') },
        },
      ],
      users: [
        {
          name: 'alice-oidc',
          user: {
            'auth-provider': {
              name: 'oidc',
              config: {
                'client-id': env.provider.clientId,
                'idp-issuer-url': env.provider.issuer,
                'idp-certificate-authority-data': Buffer.from(env.caPem).toString('base64'),
                'id-token': String(tokens['id_token']),
                'refresh-token': String(tokens['refresh_token']),
              },
            },
          },
        },
      ],
      contexts: [{ name: 'demo', context: { cluster: 'demo', user: 'alice-oidc' } }],
      'current-context': 'demo',
    };
    const kubeconfig = home.path('oidc.kubeconfig');
    await writeFile(kubeconfig, JSON.stringify(config), { mode: 0o600 });
    const before = { ...env.provider.stats };

    const who = await runKubectl(bin, ['auth', 'whoami', '-o', 'json'], { kubeconfig, env: home.env });
    expect(who.stderr).toBe('');
    expect(who.code).toBe(0);
    // One refresh, answered at the first attempt: HTTP Basic with an empty secret counts as no secret.
    expect(env.provider.stats.refreshGrants - before.refreshGrants).toBe(1);
    expect(env.provider.stats.failedTokenRequests - before.failedTokenRequests).toBe(0);
    const persisted = await readFile(kubeconfig, 'utf8');
    expect(persisted).not.toContain(String(tokens['refresh_token']));
  });

  itKubectl('is refused with an expired token', async () => {
    const bin = kubectlBinary() ?? 'kubectl';
    const kubeconfig = await kubeconfigWithToken(await env.provider.mintIdToken('alice', { ttl: -1 }));
    const who = await runKubectl(bin, ['auth', 'whoami'], { kubeconfig, env: home.env });
    expect(who.code).not.toBe(0);
    expect(who.stderr).toMatch(/Unauthorized|must be logged in/);
    expect(env.apiserver.requests.at(-1)?.reason).toBe('expired');
  });
});
