/**
 * Proves the end-to-end peers themselves: the Casdoor-like provider, the OIDC-checking API server and
 * the real kubectl against them. Other e2e tests trust these fixtures; this file is why they may.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { fetch, type Agent } from 'undici';

import { startApiServer } from '../../src/demo/apiserver.js';
import { visit } from '../../src/demo/browser.js';
import { startDemoEnvironment, type DemoEnvironment } from '../../src/demo/index.js';
import { behaviourOf, makeApplication, makeUser, type CasdoorApplication } from '../../src/demo/casdoor/model.js';
import { CASDOOR_ROUTES, startCasdoorProvider } from '../../src/demo/provider.js';
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
      introspection_endpoint: url + CASDOOR_ROUTES.introspection,
      code_challenge_methods_supported: ['S256'],
      // object/wellknown_oidc_discovery.go GetOidcDiscovery announces every response type.
      response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
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
      owner: 'k8s-org',
      groups: ['k8s-org/admins'],
      email: 'alice@example.com',
      email_verified: true,
      tokenType: 'access-token',
      azp: env.provider.clientId,
      aud: [env.provider.clientId],
    });
    // Casdoor's "JWT" format has no preferred_username (that is JWT-Standard's).
    expect(payload['preferred_username']).toBeUndefined();
    expect(payload.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Array.isArray(payload['roles']) && typeof (payload['roles'] as unknown[])[0]).toBe('object');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });

  it('does not check the client secret on the password grant (GetPasswordToken never sees it)', async () => {
    for (const secret of [env.provider.clientSecret, 'not-the-secret']) {
      const answer = await postForm(
        agent,
        env.provider.endpoints.token,
        { grant_type: 'password', username: 'alice', password: 'correct-horse' },
        { basic: [env.provider.clientId, secret] },
      );
      expect({ secret, status: answer.status }).toEqual({ secret, status: 200 });
    }
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

  it('answers errors with HTTP 200 inside the token wrapper in legacy mode (before v1.62.5)', async () => {
    env.provider.settings.legacyErrors = true;
    try {
      const { status, body } = await passwordGrant('alice', 'wrong');
      expect(status).toBe(200);
      // object/token.go GetOAuthToken of v1.62.0: the error text in access_token and error.
      expect(body).toEqual({
        access_token: 'error: invalid username or password',
        id_token: '',
        refresh_token: '',
        token_type: '',
        expires_in: 0,
        scope: '',
        error: 'error: invalid username or password',
      });
    } finally {
      env.provider.settings.legacyErrors = false;
    }
    // A right password resets the wrong-password count (object/check_util.go resetUserSigninErrorTimes).
    expect((await passwordGrant()).status).toBe(200);
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

/**
 * The provider's Casdoor behaviours and switches, each checked against the Casdoor function it follows
 * (named in src/demo/casdoor/*). Application settings are changed on the live model and restored.
 */
describe('Casdoor behaviours and switches', () => {
  const app = (): CasdoorApplication => env.provider.application;
  async function withApp(patch: Partial<CasdoorApplication>, fn: () => Promise<void>): Promise<void> {
    const saved = { ...app() };
    Object.assign(app(), patch);
    try {
      await fn();
    } finally {
      Object.assign(app(), saved);
    }
  }
  const token = (form: Record<string, string>, basic?: [string, string]) =>
    postForm(agent, env.provider.endpoints.token, form, basic === undefined ? {} : { basic });
  const refreshWith = (refreshToken: string, extra: Record<string, string> = {}) =>
    token({ grant_type: 'refresh_token', client_id: env.provider.clientId, refresh_token: refreshToken, ...extra });
  const header = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8'));

  describe('token formats (object/token_jwt.go generateJwtToken)', () => {
    it('JWT: the whole user, name = username, email_verified always, groups org/group, roles as objects, no preferred_username', async () => {
      const bob = jwtClaims(String(tokensOf((await passwordGrant('bob', 'battery-staple')).body)['id_token']));
      expect(bob).toMatchObject({ name: 'bob', displayName: 'Bob Builder', email_verified: false, groups: [], roles: [], password: '', type: 'normal-user' });
      expect(bob['preferred_username']).toBeUndefined();
    });

    it('JWT-Standard: preferred_username = username, name = display name, email_verified omitted when false, no groups', async () => {
      await withApp({ tokenFormat: 'JWT-Standard' }, async () => {
        const alice = jwtClaims(String(tokensOf((await passwordGrant()).body)['id_token']));
        expect(alice).toMatchObject({ preferred_username: 'alice', name: 'Alice Admin', email_verified: true, owner: 'k8s-org', tokenType: 'access-token' });
        expect(alice['groups']).toBeUndefined();
        // OIDCAddress is a struct: Go's omitempty never drops it.
        expect(alice['address']).toEqual({ formatted: '', street_address: '', locality: '', region: '', postal_code: '', country: '' });
        const bob = jwtClaims(String(tokensOf((await passwordGrant('bob', 'battery-staple')).body)['id_token']));
        expect(bob['email_verified']).toBeUndefined();
        expect(bob['name']).toBe('Bob Builder');
      });
    });

    it('JWT-Empty: owner, name, id, displayName, email; no groups; email_verified omitted when false', async () => {
      await withApp({ tokenFormat: 'JWT-Empty' }, async () => {
        const bob = jwtClaims(String(tokensOf((await passwordGrant('bob', 'battery-staple')).body)['id_token']));
        expect(bob).toMatchObject({ owner: 'k8s-org', name: 'bob', displayName: 'Bob Builder', email: 'bob@example.com' });
        expect(bob['groups']).toBeUndefined();
        expect(bob['email_verified']).toBeUndefined();
      });
    });

    it('JWT-Custom: registered claims + the picked fields camelCased; tokenType access-token on both, TokenType on the refresh token', async () => {
      await withApp({ tokenFormat: 'JWT-Custom', tokenFields: ['Name', 'Groups', 'EmailVerified'] }, async () => {
        const tokens = tokensOf((await passwordGrant()).body);
        const access = jwtClaims(String(tokens['access_token']));
        const refresh = jwtClaims(String(tokens['refresh_token']));
        expect(Object.keys(access).sort()).toEqual(
          ['aud', 'azp', 'emailVerified', 'exp', 'groups', 'iat', 'iss', 'jti', 'name', 'nbf', 'nonce', 'scope', 'sub', 'tokenType'].sort(),
        );
        expect(access).toMatchObject({ name: 'alice', groups: ['k8s-org/admins'], emailVerified: true, tokenType: 'access-token' });
        expect(refresh).toMatchObject({ tokenType: 'access-token', TokenType: 'refresh-token' });
        expect(access['TokenType']).toBeUndefined();
      });
    });

    it('JWT-Custom token attributes: $user.groups templates (none: no claim), String takes the first, Existing Field', async () => {
      const tokenAttributes = [
        { name: 'k8s_groups', category: 'Static Value', value: 'oidc:$user.groups', type: 'Array' },
        { name: 'first_group', category: 'Static Value', value: '$user.groups', type: 'String' },
        { name: 'role_names', category: 'Existing Field', value: 'Roles', type: 'Array' },
      ];
      await withApp({ tokenFormat: 'JWT-Custom', tokenFields: ['Name'], tokenAttributes }, async () => {
        const alice = jwtClaims(String(tokensOf((await passwordGrant()).body)['id_token']));
        expect(alice).toMatchObject({ k8s_groups: ['oidc:k8s-org/admins'], first_group: 'k8s-org/admins', role_names: ['cluster-admin'] });
        const bob = jwtClaims(String(tokensOf((await passwordGrant('bob', 'battery-staple')).body)['id_token']));
        expect(bob['k8s_groups']).toBeUndefined();
        expect(bob['first_group']).toBeUndefined();
        expect(bob['role_names']).toEqual([]);
      });
    });
  });

  describe('refresh tokens (generateJwtToken, RefreshToken)', () => {
    it('are JWTs with tokenType refresh-token, the same key, iss and aud, no kid, and the refresh expiry', async () => {
      const tokens = tokensOf((await passwordGrant()).body);
      const access = jwtClaims(String(tokens['access_token']));
      const refresh = jwtClaims(String(tokens['refresh_token']));
      expect(refresh).toMatchObject({ tokenType: 'refresh-token', iss: access['iss'], aud: access['aud'], sub: access['sub'], jti: access['jti'] });
      expect(Number(refresh['exp']) - Number(refresh['iat'])).toBe(168 * 3600);
      expect(header(String(tokens['access_token']))).toMatchObject({ alg: 'RS256', kid: 'cert-built-in', typ: 'JWT' });
      expect(header(String(tokens['refresh_token'])).kid).toBeUndefined();
      const jwks = (await getJson(agent, env.provider.endpoints.jwks)).body as JSONWebKeySet;
      await expect(jwtVerify(String(tokens['refresh_token']), createLocalJWKSet({ keys: jwks.keys.map((k) => ({ ...k, kid: undefined })) }))).resolves.toBeDefined();
    });

    it('refresh expiry 0: the refresh token dies with the access token', async () => {
      await withApp({ refreshExpireInHours: 0 }, async () => {
        const tokens = tokensOf((await passwordGrant()).body);
        expect(jwtClaims(String(tokens['refresh_token']))['exp']).toBe(jwtClaims(String(tokens['access_token']))['exp']);
      });
    });

    it('an expired refresh JWT is refused with golang-jwt\'s words', async () => {
      await withApp({ refreshExpireInHours: -1 / 3600 }, async () => {
        const tokens = tokensOf((await passwordGrant()).body);
        const answer = await refreshWith(String(tokens['refresh_token']));
        expect(answer.status).toBe(400);
        expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'parse refresh token error: token has invalid claims: token is expired' });
      });
    });

    it('checks the client secret only when one is sent (401 invalid_client), and keeps an empty scope', async () => {
      const tokens = tokensOf((await passwordGrant('alice', 'correct-horse', { scope: 'openid email' })).body);
      const wrong = await refreshWith(String(tokens['refresh_token']), { client_secret: 'not-the-secret' });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="OAuth2"');
      expect(wrong.body).toEqual({ error: 'invalid_client', error_description: 'client_secret is invalid' });
      const right = await refreshWith(String(tokens['refresh_token']), { client_secret: env.provider.clientSecret });
      expect(right.status).toBe(200);
      expect(tokensOf(right.body)['scope']).toBe('openid email');
    });

    it('answers a refresh for a deleted user with HTTP 200 {"status":"error"} (a Go error, ResponseError)', async () => {
      const tokens = tokensOf((await passwordGrant('bob', 'battery-staple')).body);
      const bob = env.provider.model.users.find((u) => u.name === 'bob');
      if (bob === undefined) throw new Error('no bob');
      bob.isDeleted = true;
      try {
        const answer = await refreshWith(String(tokens['refresh_token']));
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ status: 'error', msg: "The user: k8s-org/bob doesn't exist" });
      } finally {
        bob.isDeleted = false;
      }
    });

    it('v3.156+: a refresh token of another application is refused; before, it was accepted', async () => {
      const other = env.provider.model.addApplication(
        makeApplication({ name: 'other-app', organization: 'k8s-org', clientId: 'other-client-id', clientSecret: 'other-secret', cert: 'cert-built-in' }),
      );
      try {
        const tokens = tokensOf((await passwordGrant()).body);
        const cross = await refreshWith(String(tokens['refresh_token']), { client_id: other.clientId });
        expect(cross.body).toEqual({
          error: 'invalid_grant',
          error_description: 'the token is for wrong application (client_id), application.Name: [other-app], token.Application: [kubernetes]',
        });
        env.provider.behaviour.refreshBoundToApplication = false;
        const old = await refreshWith(String(tokens['refresh_token']), { client_id: other.clientId });
        expect(old.status).toBe(200);
        expect(jwtClaims(String(tokensOf(old.body)['access_token']))['aud']).toEqual(['other-client-id']);
      } finally {
        env.provider.behaviour.refreshBoundToApplication = true;
        env.provider.model.applications.delete('admin/other-app');
      }
    });
  });

  describe('grant types and client credentials (IsGrantTypeValid, GetClientCredentialsToken)', () => {
    it('a grant the application lacks: unsupported_grant_type with Casdoor\'s description; authorization_code always allowed', async () => {
      await withApp({ grantTypes: ['authorization_code'] }, async () => {
        const pw = await passwordGrant();
        expect(pw.status).toBe(400);
        expect(pw.body).toEqual({ error: 'unsupported_grant_type', error_description: 'grant_type: password is not supported in this application' });
        const rt = await refreshWith('dummy');
        expect(rt.body).toEqual({ error: 'unsupported_grant_type', error_description: 'grant_type: refresh_token is not supported in this application' });
        const code = await token({ grant_type: 'authorization_code', client_id: env.provider.clientId, code: 'nope' });
        expect(code.body).toEqual({ error: 'invalid_grant', error_description: 'authorization code: [nope] is invalid' });
      });
      // The probe the doctor uses: with the grant on, a dummy refresh token is invalid_grant.
      expect((await refreshWith('dummy')).body).toEqual({ error: 'invalid_grant', error_description: 'refresh token is invalid or revoked' });
    });

    it('client_credentials checks the secret; the token\'s user is the application; no refresh token', async () => {
      await withApp({ grantTypes: [...app().grantTypes, 'client_credentials'] }, async () => {
        const wrong = await token({ grant_type: 'client_credentials', client_id: env.provider.clientId, client_secret: 'nope' });
        expect(wrong.status).toBe(401);
        expect(wrong.body).toEqual({ error: 'invalid_client', error_description: 'client_secret is invalid' });
        const ok = await token({ grant_type: 'client_credentials' }, [env.provider.clientId, env.provider.clientSecret]);
        expect(ok.status).toBe(200);
        const tokens = tokensOf(ok.body);
        expect(tokens['refresh_token']).toBe('');
        expect(jwtClaims(String(tokens['access_token']))).toMatchObject({ name: 'kubernetes', owner: 'admin', type: 'application', sub: 'admin/kubernetes' });
      });
    });

    it('implicit grant at the token endpoint (GetImplicitToken): the password is checked, the secret is not', async () => {
      await withApp({ grantTypes: [...app().grantTypes, 'token'] }, async () => {
        const ok = await token({ grant_type: 'token', client_id: env.provider.clientId, client_secret: 'not-the-secret', username: 'alice', password: 'correct-horse' });
        expect(ok.status).toBe(200);
        expect(jwtClaims(String(tokensOf(ok.body)['id_token']))['name']).toBe('alice');
        const wrong = await token({ grant_type: 'token', client_id: env.provider.clientId, username: 'alice', password: '' });
        expect(wrong.body).toEqual({ error: 'invalid_grant', error_description: 'invalid username or password: Password cannot be empty' });
      });
      const get = await getJson(agent, `${env.provider.endpoints.token}?grant_type=password`);
      expect(get.status).toBe(405);
    });

    it('reads a JSON body for what the form left empty, and Basic only when no client_id/secret came as parameters', async () => {
      const json = await postJson(agent, env.provider.endpoints.token, {
        grant_type: 'password',
        client_id: env.provider.clientId,
        username: 'alice',
        password: 'correct-horse',
      });
      expect(json.status).toBe(200);
      // client_id in the form: the Basic header (another id) is ignored.
      const both = await token({ grant_type: 'password', client_id: env.provider.clientId, username: 'alice', password: 'correct-horse' }, ['unknown-id', 'x']);
      expect(both.status).toBe(200);
      const basicOnly = await token({ grant_type: 'password', username: 'alice', password: 'correct-horse' }, ['unknown-id', 'x']);
      expect(basicOnly.status).toBe(401);
      expect(basicOnly.body).toEqual({ error: 'invalid_client', error_description: 'client_id is invalid' });
    });
  });

  describe('server option useGroupPathInToken (User.GetUserFullGroupPath)', () => {
    it('puts <org>/<parent>/<child> in groups, and fails for a member of a top group (its parent is no group)', async () => {
      const model = env.provider.model;
      model.groups.push({ owner: 'k8s-org', name: 'sre', createdTime: '', displayName: 'SRE', parentId: 'admins', isTopGroup: false, type: 'Virtual', isEnabled: true });
      const dave = model.addUser(makeUser({ owner: 'k8s-org', name: 'dave', password: 'dave-pw', groups: ['k8s-org/sre'] }));
      model.config.useGroupPathInToken = true;
      try {
        const tokens = tokensOf((await passwordGrant('dave', 'dave-pw')).body);
        expect(jwtClaims(String(tokens['id_token']))['groups']).toEqual(['k8s-org/admins/sre']);
        expect((await passwordGrant()).body).toEqual({ error: 'endpoint_error', error_description: 'generate jwt token error: The group: k8s-org does not exist' });
      } finally {
        model.config.useGroupPathInToken = false;
        model.users.splice(model.users.indexOf(dave), 1);
        model.groups.pop();
      }
    });
  });

  describe('users (GetPasswordToken, CheckPassword)', () => {
    it('counts wrong passwords down and then freezes the account; a forbidden user is refused', async () => {
      const model = env.provider.model;
      const carol = model.addUser(makeUser({ owner: 'k8s-org', name: 'carol', password: 'carol-pw' }));
      try {
        const descriptions: string[] = [];
        for (let i = 0; i < 6; i += 1) descriptions.push(String((tokensOf((await passwordGrant('carol', 'bad')).body) as Record<string, unknown>)['error_description']));
        expect(descriptions).toEqual([
          ...[4, 3, 2, 1, 0].map((n) => `invalid username or password: password or code is incorrect, you have ${n} remaining chances`),
          'invalid username or password: You have entered the wrong password or code too many times, please wait for 15 minutes and try again',
        ]);
        carol.signinWrongTimes = 0;
        carol.isForbidden = true;
        expect((await passwordGrant('carol', 'carol-pw')).body).toEqual({
          error: 'invalid_grant',
          error_description: 'the user is forbidden to sign in, please contact the administrator',
        });
        expect((await passwordGrant('carol', '')).body).toEqual({ error: 'invalid_grant', error_description: 'invalid username or password: Password cannot be empty' });
      } finally {
        model.users.splice(model.users.indexOf(carol), 1);
      }
    });
  });

  describe('scopes (IsScopeValidAndExpand, v2.331+)', () => {
    const scopes = [
      { name: 'openid', displayName: 'openid', description: '' },
      { name: 'profile', displayName: 'profile', description: '' },
      { name: 'kube:read', displayName: 'kube read', description: '' },
    ];

    it('password grant: a scope outside the list is invalid_scope; empty is valid; a regex expands', async () => {
      await withApp({ scopes }, async () => {
        const bad = await passwordGrant();
        expect(bad.status).toBe(400);
        expect(bad.body).toEqual({ error: 'invalid_scope', error_description: 'the requested scope is invalid or not defined in the application' });
        expect(tokensOf((await passwordGrant('alice', 'correct-horse', { scope: '' })).body)['scope']).toBe('');
        const expanded = tokensOf((await passwordGrant('alice', 'correct-horse', { scope: 'openid kube:.*' })).body);
        expect(expanded['scope']).toBe('openid kube:read');
        // The refresh grant does not validate: a scope the list lacks passes there.
        expect((await refreshWith(String(expanded['refresh_token']), { scope: 'email' })).status).toBe(200);
      });
      env.provider.behaviour.scopeValidation = false;
      try {
        await withApp({ scopes }, async () => {
          expect((await passwordGrant()).status).toBe(200);
        });
      } finally {
        env.provider.behaviour.scopeValidation = true;
      }
    });

    it('authorize page: code_challenge_method plain is refused, no redirect (controllers/auth.go HandleLoggedIn)', async () => {
      const auth = new URL(env.provider.endpoints.authorization);
      const params = { client_id: env.provider.clientId, response_type: 'code', redirect_uri: 'http://127.0.0.1:53124/callback', scope: 'openid', state: 's', code_challenge: 'x'.repeat(43) };
      auth.search = new URLSearchParams({ ...params, code_challenge_method: 'plain' }).toString();
      const result = await visit(auth.href, { ca: env.caPem, stopAt: (u) => u.protocol === 'http:' });
      expect(result.stoppedAt).toBeUndefined();
      expect(result.body).toContain('Challenge method should be S256');
    });

    it('authorize page: "Invalid scope" and no redirect', async () => {
      await withApp({ scopes }, async () => {
        const auth = new URL(env.provider.endpoints.authorization);
        auth.search = new URLSearchParams({ client_id: env.provider.clientId, response_type: 'code', redirect_uri: 'http://127.0.0.1:53124/callback', scope: 'openid email', state: 's' }).toString();
        const result = await visit(auth.href, { ca: env.caPem, stopAt: (u) => u.protocol === 'http:' });
        expect(result.stoppedAt).toBeUndefined();
        expect(result.body).toContain('Invalid scope');
      });
    });

    it('device flow: accepted at /api/device-auth, refused only when the approved code is redeemed', async () => {
      await withApp({ scopes }, async () => {
        const device = (await postForm(agent, env.provider.endpoints.device_authorization, { client_id: env.provider.clientId, scope: 'openid email' })).body as Record<string, string>;
        expect(device['device_code']).toBeTruthy();
        await env.provider.approveDevice(device['user_code'] ?? '', 'alice');
        const poll = await token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: env.provider.clientId, device_code: device['device_code'] ?? '' });
        expect(poll.status).toBe(400);
        expect(poll.body).toEqual({ error: 'invalid_scope', error_description: 'the requested scope is invalid or not defined in the application' });
      });
    });
  });

  describe('device flow (controllers/auth.go DeviceAuth, controllers/token.go GetOAuthToken)', () => {
    const start = async (form: Record<string, string> = {}) =>
      postForm(agent, env.provider.endpoints.device_authorization, { client_id: env.provider.clientId, scope: 'openid', ...form });
    const poll = (deviceCode: string) =>
      token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: env.provider.clientId, device_code: deviceCode });

    it('answers with the user code inside verification_uri (cancelToken, no _complete), interval 5, expires_in 120', async () => {
      env.provider.settings.deviceInterval = 5;
      try {
        const answer = await start();
        expect(answer.status).toBe(200);
        const d = answer.body as Record<string, unknown>;
        expect(Object.keys(d).sort()).toEqual(['device_code', 'expires_in', 'interval', 'user_code', 'verification_uri']);
        expect(d).toMatchObject({ interval: 5, expires_in: 120 });
        expect(String(d['user_code'])).toMatch(/^[0-9a-z]{6}$/);
        expect(String(d['verification_uri'])).toMatch(new RegExp(`^${env.provider.endpoints.code_verification}/${String(d['user_code'])}\\?cancelToken=[0-9a-f-]{36}$`));
      } finally {
        env.provider.settings.deviceInterval = 1;
      }
      await withApp({ codeResendTimeout: 60 }, async () => {
        expect((await start()).body).toMatchObject({ expires_in: 60 });
      });
    });

    it('refuses with HTTP 200: no "Device login" sign-in method (v3.27+), unknown client', async () => {
      await withApp({ signinMethods: [{ name: 'Password', displayName: 'Password', rule: 'All' }] }, async () => {
        const refused = await start();
        expect(refused.status).toBe(200);
        expect(refused.body).toEqual({ error: 'unauthorized_client', error_description: 'device login is not enabled for this application' });
      });
      const unknown = await start({ client_id: 'nope' });
      expect(unknown.status).toBe(200);
      expect(unknown.body).toEqual({ error: 'Invalid client_id', error_description: 'Invalid client_id' });
    });

    it('polling: pending, then tokens once; a used code is access_denied, an unknown one expired_token; 120 s hard expiry', async () => {
      const d = (await start()).body as Record<string, string>;
      const code = d['device_code'] ?? '';
      const before = env.provider.stats.devicePolls;
      expect((await poll(code)).body).toEqual({ error: 'authorization_pending', error_description: 'authorization pending' });
      await env.provider.approveDevice(d['user_code'] ?? '', 'alice');
      expect((await poll(code)).status).toBe(200);
      const again = await poll(code);
      expect(again.status).toBe(400);
      expect(again.body).toEqual({ error: 'access_denied', error_description: 'device_code has already been used' });
      expect((await poll('no-such-code')).body).toEqual({ error: 'expired_token', error_description: 'token is expired' });
      expect(env.provider.stats.devicePolls - before).toBe(4);

      const late = (await start()).body as Record<string, string>;
      const cache = env.provider.model.deviceAuth.get(late['device_code'] ?? '');
      if (cache === undefined) throw new Error('no device cache');
      cache.requestAt -= 121_000;
      expect((await poll(late['device_code'] ?? '')).body).toEqual({ error: 'expired_token', error_description: 'token is expired' });
    });

    it('without the Device Code grant: pending until approved, unsupported_grant_type only after (it cannot be probed)', async () => {
      await withApp({ grantTypes: app().grantTypes.filter((g) => g !== 'urn:ietf:params:oauth:grant-type:device_code') }, async () => {
        const d = (await start()).body as Record<string, string>;
        expect((await poll(d['device_code'] ?? '')).body).toMatchObject({ error: 'authorization_pending' });
        await env.provider.approveDevice(d['user_code'] ?? '', 'alice');
        expect((await poll(d['device_code'] ?? '')).body).toEqual({
          error: 'unsupported_grant_type',
          error_description: 'grant_type: urn:ietf:params:oauth:grant-type:device_code is not supported in this application',
        });
      });
    });

    it('cancel on the device page (cancelToken) deletes the codes: polling says expired_token', async () => {
      const d = (await start()).body as Record<string, string>;
      const cancelToken = new URL(d['verification_uri'] ?? '').searchParams.get('cancelToken') ?? '';
      const bad = await postForm(agent, `${env.provider.url}/api/cancel-device-auth?userCode=${d['user_code']}&cancelToken=wrong`, {});
      expect(bad.body).toMatchObject({ status: 'error', msg: 'UserCode Invalid' });
      const ok = await postForm(agent, `${env.provider.url}/api/cancel-device-auth?userCode=${d['user_code']}&cancelToken=${cancelToken}`, {});
      expect(ok.body).toMatchObject({ status: 'ok', data: 'Canceled' });
      expect((await poll(d['device_code'] ?? '')).body).toEqual({ error: 'expired_token', error_description: 'token is expired' });
    });

    it('the device page signs the person in (autoLoginAs) and approves the code', async () => {
      const d = (await start()).body as Record<string, string>;
      const page = await visit(d['verification_uri'] ?? '', { ca: env.caPem });
      expect(page.status).toBe(200);
      expect(jwtClaims(String(tokensOf((await poll(d['device_code'] ?? '')).body)['id_token']))['name']).toBe('alice');
    });

    it('v1.901–v3.26: interval 0, no cancelToken, no "Device login" method needed, a used code is gone (expired_token)', async () => {
      const old = await startCasdoorProvider({ tls: env.tls, version: '3.26.0' });
      try {
        old.application.signinMethods = [{ name: 'Password', displayName: 'Password', rule: 'All' }];
        const d = (await postForm(agent, old.endpoints.device_authorization, { client_id: old.clientId })).body as Record<string, string>;
        expect(d).toMatchObject({ interval: 0, expires_in: 120, verification_uri: `${old.endpoints.code_verification}/${d['user_code']}` });
        await old.approveDevice(d['user_code'] ?? '', 'alice');
        const p = () => postForm(agent, old.endpoints.token, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: old.clientId, device_code: d['device_code'] ?? '' });
        expect((await p()).status).toBe(200);
        expect((await p()).body).toEqual({ error: 'expired_token', error_description: 'token is expired' });
        // Before v1.914 the polling errors came with HTTP 200.
        old.behaviour.devicePollErrorsHttp400 = false;
        const pending = (await postForm(agent, old.endpoints.device_authorization, { client_id: old.clientId })).body as Record<string, string>;
        const answer = await postForm(agent, old.endpoints.token, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: old.clientId, device_code: pending['device_code'] ?? '' });
        expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { error: 'authorization_pending', error_description: 'authorization pending' } });
      } finally {
        await old.close();
      }
    });
  });

  describe('logout (controllers/account.go Logout) and introspection (IntrospectToken)', () => {
    const logout = (form: Record<string, string>) => postForm(agent, env.provider.endpoints.end_session, form);
    const introspect = (form: Record<string, string>, basic: [string, string] = [env.provider.clientId, env.provider.clientSecret]) =>
      postForm(agent, env.provider.endpoints.introspection, form, { basic });

    it('introspection checks the client secret and reports live tokens', async () => {
      const tokens = tokensOf((await passwordGrant()).body);
      const wrong = await introspect({ token: String(tokens['access_token']) }, [env.provider.clientId, 'nope']);
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ error: 'invalid_client', error_description: 'Invalid application or wrong clientSecret' });
      const none = await postForm(agent, env.provider.endpoints.introspection, { token: String(tokens['access_token']) });
      expect(none.status).toBe(400);
      expect(none.body).toEqual({ error: 'invalid_request' });
      const live = await introspect({ token: String(tokens['access_token']) });
      expect(live.body).toMatchObject({ active: true, username: 'alice', client_id: env.provider.clientId, token_type: 'Bearer', aud: [env.provider.clientId] });
      const refresh = await introspect({ token: String(tokens['refresh_token']), token_type_hint: 'refresh_token' });
      expect(refresh.body).toMatchObject({ active: true });
      expect((await introspect({ token: 'not-a-token' })).body).toEqual({ active: false });
    });

    it('POST id_token_hint: {"status":"ok"}; the token is dead for introspection and its refresh token "expired"', async () => {
      const tokens = tokensOf((await passwordGrant()).body);
      const before = env.provider.stats.logouts;
      const out = await logout({ id_token_hint: String(tokens['id_token']) });
      expect(out.status).toBe(200);
      expect(out.body).toMatchObject({ status: 'ok', msg: '' });
      expect(env.provider.stats.logouts - before).toBe(1);
      expect((await introspect({ token: String(tokens['access_token']) })).body).toEqual({ active: false });
      expect((await refreshWith(String(tokens['refresh_token']))).body).toEqual({ error: 'invalid_grant', error_description: 'refresh token is expired' });
      // Before v2.224 the logged-out token's refresh token still worked.
      const again = tokensOf((await passwordGrant()).body);
      await logout({ id_token_hint: String(again['id_token']) });
      env.provider.behaviour.refreshChecksExpiry = false;
      try {
        expect((await refreshWith(String(again['refresh_token']))).status).toBe(200);
      } finally {
        env.provider.behaviour.refreshChecksExpiry = true;
      }
    });

    it('an unknown token is HTTP 200 {"status":"error","msg":"Token not found, invalid accessToken"}; GET works too', async () => {
      const unknown = await getJson(agent, `${env.provider.endpoints.end_session}?id_token_hint=${await env.provider.mintIdToken('alice')}`);
      expect(unknown.status).toBe(200);
      expect(unknown.body).toMatchObject({ status: 'error', msg: 'Token not found, invalid accessToken' });
    });

    it('post_logout_redirect_uri: a 302 with the state; no hint is fine since v3.99, "Missing parameter" before', async () => {
      const tokens = tokensOf((await passwordGrant()).body);
      const res = await fetch(`${env.provider.endpoints.end_session}?id_token_hint=${String(tokens['id_token'])}&post_logout_redirect_uri=${encodeURIComponent('http://127.0.0.1:9/done')}&state=xyz`, {
        dispatcher: agent,
        redirect: 'manual',
      });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('http://127.0.0.1:9/done?state=xyz');
      await res.body?.cancel();
      expect((await logout({})).body).toMatchObject({ status: 'ok' });
      env.provider.behaviour.logoutHintOptional = false;
      try {
        expect((await logout({ post_logout_redirect_uri: 'http://127.0.0.1:9/done' })).body).toMatchObject({ status: 'error', msg: 'Missing parameter: id_token_hint' });
      } finally {
        env.provider.behaviour.logoutHintOptional = true;
      }
    });
  });

  describe('versions and extension', () => {
    it('behaviourOf: each switch flips at the Casdoor release that changed it', () => {
      const at = (v: string) => behaviourOf(v);
      expect([at('1.62.4').legacyErrors, at('1.62.5').legacyErrors]).toEqual([true, false]);
      expect([at('3.26.0').deviceInterval, at('3.27.0').deviceInterval]).toEqual([0, 5]);
      expect([at('3.26.9').deviceLoginMethodRequired, at('3.27').deviceLoginMethodRequired]).toEqual([false, true]);
      expect([at('3.26.0').deviceCancelToken, at('3.27.0').deviceCancelToken]).toEqual([false, true]);
      expect([at('2.330.0').scopeValidation, at('2.331.0').scopeValidation]).toEqual([false, true]);
      expect([at('2.317.0').resourceIndicator, at('2.318.0').resourceIndicator]).toEqual([false, true]);
      expect([at('3.98.0').logoutHintOptional, at('3.99.0').logoutHintOptional]).toEqual([false, true]);
      expect([at('3.155.2').refreshBoundToApplication, at('3.156.0').refreshBoundToApplication]).toEqual([false, true]);
      expect([at('2.223.0').refreshChecksExpiry, at('2.224.0').refreshChecksExpiry]).toEqual([false, true]);
      expect([at('3.93.0').perAppIssuerIsOrigin, at('3.94.0').perAppIssuerIsOrigin]).toEqual([false, true]);
      expect([at('1.913.0').devicePollErrorsHttp400, at('1.914.0').devicePollErrorsHttp400]).toEqual([false, true]);
      expect(at('v3.158.0')).toEqual(behaviourOf());
    });

    it('routes added by an extension see the same model (for admin endpoints)', async () => {
      const extended = await startCasdoorProvider({
        tls: env.tls,
        routes: (router) => {
          router.add('GET', '/api/get-organization-count', (ctx) => ctx.responseOk(ctx.model.organizations.size));
        },
      });
      try {
        const answer = await getJson(agent, `${extended.url}/api/get-organization-count`);
        expect(answer.body).toEqual({ status: 'ok', msg: '', sub: '', name: '', data: 2, data2: null, data3: null });
        // Casdoor's built-ins are there from the start (object/init.go).
        expect(extended.model.getUser('built-in', 'admin')?.isAdmin).toBe(true);
        expect(extended.model.getApplication('admin/app-built-in')?.grantTypes).toEqual([]);
        const unknown = await getJson(agent, `${extended.url}/api/no-such-thing`);
        expect(unknown.status).toBe(404);
      } finally {
        await extended.close();
      }
    });
  });

  describe('audience, signing and issuer', () => {
    it('userinfo (GetUserInfo): by scope, preferred_username = username, email_verified true whatever the user', async () => {
      const tokens = tokensOf((await passwordGrant('bob', 'battery-staple', { scope: 'openid profile email' })).body);
      const info = await getJson(agent, env.provider.endpoints.userinfo, { authorization: `Bearer ${String(tokens['access_token'])}` });
      expect(info.body).toEqual({
        sub: jwtClaims(String(tokens['access_token']))['sub'],
        iss: env.provider.issuer,
        aud: env.provider.clientId,
        preferred_username: 'bob',
        name: 'Bob Builder',
        email: 'bob@example.com',
        email_verified: true,
      });
      expect((await getJson(agent, env.provider.endpoints.userinfo)).body).toMatchObject({ status: 'error', msg: 'Please login first' });
      // routers/auto_signin_filter.go AutoSigninFilter: an unknown token, an expired one, a forbidden user's.
      const unknown = await getJson(agent, env.provider.endpoints.userinfo, { authorization: 'Bearer nope' });
      expect(unknown.body).toMatchObject({ status: 'error', msg: "Access token doesn't exist in database" });
      const bearer = { authorization: `Bearer ${String(tokens['access_token'])}` };
      const row = env.provider.model.getTokenByAccessToken(String(tokens['access_token']));
      const bob = env.provider.model.getUser(row?.organization ?? '', 'bob');
      if (!row || !bob) throw new Error('no token or bob');
      bob.isForbidden = true;
      try {
        expect((await getJson(agent, env.provider.endpoints.userinfo, bearer)).body).toMatchObject({ status: 'error', msg: 'The user is forbidden to sign in, please contact the administrator' });
      } finally {
        bob.isForbidden = false;
      }
      row.expiresIn = 0;
      expect((await getJson(agent, env.provider.endpoints.userinfo, bearer)).body).toMatchObject({ status: 'error', msg: expect.stringMatching(/^Access token has expired, expireTime = /) });
    });

    it('a shared application puts aud = <clientId>-org-<organization>', async () => {
      await withApp({ isShared: true }, async () => {
        const claims = jwtClaims(String(tokensOf((await passwordGrant()).body)['id_token']));
        expect(claims['aud']).toEqual([`${env.provider.clientId}-org-k8s-org`]);
        expect(claims['azp']).toBe(env.provider.clientId);
      });
    });

    it('RFC 8707 resource in the code flow becomes aud and is kept across refresh (v3.156); code single use; secret needed without PKCE', async () => {
      const redirectUri = 'http://127.0.0.1:53125/callback';
      const codeFor = async (extra: Record<string, string>): Promise<string> => {
        const auth = new URL(env.provider.endpoints.authorization);
        auth.search = new URLSearchParams({ client_id: env.provider.clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'openid', state: 's', ...extra }).toString();
        const result = await visit(auth.href, { ca: env.caPem, stopAt: (u) => u.protocol === 'http:' });
        return new URL(result.stoppedAt ?? '').searchParams.get('code') ?? '';
      };
      const code = await codeFor({ resource: 'https://kubernetes.example.com', nonce: 'n0nce' });
      const noSecret = await token({ grant_type: 'authorization_code', client_id: env.provider.clientId, code, resource: 'https://kubernetes.example.com' });
      expect(noSecret.status).toBe(401);
      expect((noSecret.body as Record<string, string>)['error_description']).toBe('client_secret is invalid for application: [admin/kubernetes], token.CodeChallenge: empty');
      const form = { grant_type: 'authorization_code', client_id: env.provider.clientId, client_secret: env.provider.clientSecret, code, resource: 'https://kubernetes.example.com' };
      const exchanged = tokensOf((await token(form)).body);
      expect(jwtClaims(String(exchanged['id_token']))).toMatchObject({ aud: ['https://kubernetes.example.com'], nonce: 'n0nce' });
      expect((await token(form)).body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/^authorization code has been used for token: \[admin\//) });
      const refreshed = tokensOf((await refreshWith(String(exchanged['refresh_token']))).body);
      expect(jwtClaims(String(refreshed['id_token']))['aud']).toEqual(['https://kubernetes.example.com']);
    });

    it("the token's alg is the application's signing method, the JWKS alg the certificate's", async () => {
      await withApp({ tokenSigningMethod: 'RS512' }, async () => {
        const idToken = String(tokensOf((await passwordGrant()).body)['id_token']);
        expect(header(idToken)).toMatchObject({ alg: 'RS512', kid: 'cert-built-in' });
        const jwks = (await getJson(agent, env.provider.endpoints.jwks)).body as JSONWebKeySet;
        expect(jwks.keys).toHaveLength(1);
        expect(jwks.keys[0]).toMatchObject({ kid: 'cert-built-in', alg: 'RS256', use: 'sig', kty: 'RSA', x5c: [expect.any(String)] });
        expect(Object.keys(jwks.keys[0] ?? {})).toEqual(['use', 'kty', 'kid', 'alg', 'n', 'e', 'x5c']);
        // kube-apiserver checks the header alg against --oidc-signing-algs (default RS256) before the key.
        expect((await whoami(idToken)).status).toBe(401);
        expect(env.apiserver.requests.at(-1)?.reason).toBe('algorithm');

      });
      await withApp({ tokenSigningMethod: 'ES256' }, async () => {
        const refused = await passwordGrant();
        expect(refused.status).toBe(400);
        expect(refused.body).toEqual({ error: 'endpoint_error', error_description: 'generate jwt token error: key is not a valid ECDSA private key' });
      });
    });

    // kube-apiserver (go-oidc RemoteKeySet.verify → go-jose DetachedVerify) picks the key by kid and verifies
    // with the header's alg, never comparing it with the JWKS entry's alg; so does the API server fixture
    // (src/demo/apiserver.ts via verifySignatureAsGoOidc).
    it('with --oidc-signing-algs=RS512 the API server accepts RS512 tokens whose JWKS key says RS256', async () => {
      await withApp({ tokenSigningMethod: 'RS512' }, async () => {
        const idToken = String(tokensOf((await passwordGrant()).body)['id_token']);
        const rs512 = await startApiServer({ issuer: env.provider.issuer, clientId: env.provider.clientId, issuerCaPem: env.caPem, tls: env.tls, signingAlgs: ['RS512'] });
        try {
          const review = await whoami(idToken, rs512);
          expect({ status: review.status, reason: rs512.requests.at(-1)?.reason }).toEqual({ status: 201, reason: undefined });
        } finally {
          await rs512.close();
        }
      });
    });

    it('an ES256 certificate: EC key in the JWKS (crv P-256, alg ES256) and ES256 tokens that verify with it', async () => {
      const ec = await startCasdoorProvider({ tls: env.tls, alg: 'ES256' });
      try {
        const jwks = (await getJson(agent, ec.endpoints.jwks)).body as JSONWebKeySet;
        expect(Object.keys(jwks.keys[0] ?? {})).toEqual(['use', 'kty', 'kid', 'crv', 'alg', 'x', 'y', 'x5c']);
        expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
        const answer = await postForm(agent, ec.endpoints.token, { grant_type: 'password', client_id: ec.clientId, username: 'alice', password: 'correct-horse' });
        const { protectedHeader } = await jwtVerify(String(tokensOf(answer.body)['id_token']), createLocalJWKSet(jwks), { issuer: ec.issuer });
        expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'cert-built-in' });
      } finally {
        await ec.close();
      }
    });

    it('without the origin setting the issuer comes from the Host header: http:// for an IP address', async () => {
      const bare = await startCasdoorProvider({ tls: env.tls, issuerOverride: '' });
      try {
        const doc = (await getJson(agent, bare.endpoints.discovery)).body as Record<string, unknown>;
        expect(doc['issuer']).toBe(`http://127.0.0.1:${bare.port}`);
        expect(doc['token_endpoint']).toBe(`http://127.0.0.1:${bare.port}/api/login/oauth/access_token`);
        const perApp = (await getJson(agent, `${bare.url}/.well-known/kubernetes/openid-configuration`)).body as Record<string, unknown>;
        expect(perApp).toMatchObject({ issuer: `http://127.0.0.1:${bare.port}`, jwks_uri: `http://127.0.0.1:${bare.port}/.well-known/kubernetes/jwks` });
        // Before v3.94 the per-application document named another issuer than the tokens carry.
        bare.behaviour.perAppIssuerIsOrigin = false;
        const old = (await getJson(agent, `${bare.url}/.well-known/kubernetes/openid-configuration`)).body as Record<string, unknown>;
        expect(old['issuer']).toBe(`http://127.0.0.1:${bare.port}/.well-known/kubernetes`);
      } finally {
        await bare.close();
      }
    });
  });
});
