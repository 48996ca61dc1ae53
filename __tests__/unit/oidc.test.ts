import { describe, expect, it } from '@jest/globals';
import { CliError } from '../../src/errors.js';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { clusterNetworkError } from '../../src/cluster/review.js';
import { exitCodeFor } from '../../src/errors.js';
import { exchangeCode } from '../../src/oidc/browser-login.js';
import { CasdoorRefusal, extractOAuthError, httpStatusError, isRefreshTokenRefused, loginError, reasonFor, scopeHint } from '../../src/oidc/casdoor-errors.js';
import { deviceLogin, parseDeviceAuthorization, parsePollResponse } from '../../src/oidc/device-login.js';
import { checkMetadata, type ProviderMetadata } from '../../src/oidc/discovery.js';
import { clientFields, introspect, parseTokenResponse, passwordGrant, refreshGrant } from '../../src/oidc/grants.js';
import type { HttpClient } from '../../src/oidc/http.js';
import { networkError } from '../../src/oidc/http.js';
import { classifyNetError, isUntrustedCertificate } from '../../src/oidc/net-errors.js';
import { describeIssuerMismatch, discoveryUrl, parseCasdoorUrl } from '../../src/oidc/issuer.js';
import { candidateClaims, mapUsername, preflight } from '../../src/oidc/preflight.js';
import { caught, rejected } from '../helpers/errors.js';

describe('parseCasdoorUrl', () => {
  it('accepts https origins as given', () => {
    expect(parseCasdoorUrl(' https://door.example.com ')).toBe('https://door.example.com');
  });
  it('rejects http with a usage error that says Kubernetes needs https', () => {
    const err = caught(() => parseCasdoorUrl('http://door.example.com'));
    expect(err.code).toBe('usage');
    expect(err.message).toMatch(/Kubernetes accepts only https/);
    expect(err.hint).toContain('https://door.example.com');
  });
  it('rejects non-URLs, queries and credentials', () => {
    expect(caught(() => parseCasdoorUrl('door.example.com')).code).toBe('usage');
    expect(caught(() => parseCasdoorUrl('https://door.example.com/?x=1')).message).toMatch(/query/);
    expect(caught(() => parseCasdoorUrl('https://u:p@door.example.com')).message).toMatch(/credentials/);
  });
});

describe('issuer mismatch', () => {
  it('builds the discovery URL without doubling slashes', () => {
    expect(discoveryUrl('https://a.example/')).toBe('https://a.example/.well-known/openid-configuration');
    expect(discoveryUrl('https://a.example')).toBe('https://a.example/.well-known/openid-configuration');
  });
  it('explains a trailing slash either way', () => {
    expect(describeIssuerMismatch('https://a.example/', 'https://a.example')).toMatch(/with a trailing slash, but Casdoor's issuer is https:\/\/a.example without one/);
    expect(describeIssuerMismatch('https://a.example', 'https://a.example/')).toMatch(/with a trailing slash/);
  });
  it('explains an http issuer behind an https URL', () => {
    expect(describeIssuerMismatch('https://a.example', 'http://a.example')).toMatch(/\(http\).*origin/);
  });
  it('explains a different host', () => {
    expect(describeIssuerMismatch('https://a.example', 'https://casdoor:8000')).toMatch(/different host/);
  });
  it('is silent when equal', () => {
    expect(describeIssuerMismatch('https://a.example', 'https://a.example')).toBeUndefined();
  });
});

describe('discovery document checks', () => {
  it('requires issuer, token_endpoint and jwks_uri', () => {
    expect(caught(() => checkMetadata({ issuer: 'https://a', jwks_uri: 'x' }, 'u')).message).toMatch(/token_endpoint/);
    expect(caught(() => checkMetadata([], 'u')).code).toBe('network');
  });

  const doc = {
    issuer: 'https://door.example.com',
    token_endpoint: 'https://door.example.com/api/login/oauth/access_token',
    jwks_uri: 'https://door.example.com/.well-known/jwks',
    authorization_endpoint: 'https://door.example.com/login/oauth/authorize',
    device_authorization_endpoint: 'https://door.example.com/api/device-auth',
    end_session_endpoint: 'https://door.example.com/api/logout',
    userinfo_endpoint: 'https://door.example.com/api/userinfo',
  };
  it('accepts https endpoints, and leaves out the optional ones that are absent', () => {
    expect(checkMetadata(doc, 'u')).toEqual(doc);
    const { authorization_endpoint: _a, device_authorization_endpoint: _d, end_session_endpoint: _e, userinfo_endpoint: _u, ...minimal } = doc;
    expect(checkMetadata(minimal, 'u')).toEqual(minimal);
  });
  it.each(['token_endpoint', 'jwks_uri', 'authorization_endpoint', 'device_authorization_endpoint', 'end_session_endpoint', 'userinfo_endpoint'] as const)(
    'refuses an http %s (nothing, least of all a password, goes out in clear text)',
    (key) => {
      const insecure = doc[key].replace('https:', 'http:');
      const err = caught(() => checkMetadata({ ...doc, [key]: insecure }, 'https://door.example.com/.well-known/openid-configuration'));
      expect(err.code).toBe('network');
      expect(exitCodeFor(err.code)).toBe(5);
      expect(err.message).toContain(`names ${key} "${insecure}", which is not an https URL`);
      expect(err.hint).toMatch(/origin/);
    },
  );
  it('refuses endpoints that are not URLs at all', () => {
    expect(caught(() => checkMetadata({ ...doc, token_endpoint: '/api/login/oauth/access_token' }, 'u')).message).toMatch(/token_endpoint .* not an https URL/);
    expect(caught(() => checkMetadata({ ...doc, userinfo_endpoint: 42 }, 'u')).message).toMatch(/userinfo_endpoint 42/);
  });
});

describe('Casdoor error shapes', () => {
  it('reads the OAuth shape', () => {
    expect(extractOAuthError(400, { error: 'invalid_grant', error_description: 'the user does not exist' })).toEqual({
      error: 'invalid_grant',
      description: 'the user does not exist',
      legacy: false,
    });
  });
  it("reads older Casdoor's HTTP-200 shape", () => {
    expect(extractOAuthError(200, { status: 'error', msg: 'grant_type: password is not supported in this application' })).toMatchObject({ legacy: true });
  });
  it('a 5xx, or a 4xx without an OAuth body, is no refusal but a network error (exit 5), in one line', () => {
    expect(extractOAuthError(502, undefined)).toBeUndefined();
    expect(extractOAuthError(503, { error: 'temporarily_unavailable' })).toBeUndefined();
    expect(extractOAuthError(200, { id_token: 'x' })).toBeUndefined();
    const url = 'https://door.example.com/api/login/oauth/access_token';
    const gateway = caught(() => parseTokenResponse(502, '<html><body>502 Bad Gateway</body></html>', url, 'refresh_token', { clientId: 'c' }));
    expect(gateway.code).toBe('network');
    expect(exitCodeFor(gateway.code)).toBe(5);
    expect(gateway.message).toMatch(/^Casdoor answered HTTP 502 to the refresh_token grant at door\.example\.com: .*try again later\.$/);
    expect(gateway.message).not.toContain('\n');
    expect(gateway.hint).toBeUndefined();
    expect(caught(() => parseTokenResponse(500, '{"error":"server_error","error_description":"database is down"}', url, 'password', { clientId: 'c' })).message).toMatch(
      /HTTP 500 .* \("database is down"\)/,
    );
    const proxy = caught(() => parseTokenResponse(403, '<html>Forbidden</html>', url, 'password', { clientId: 'c' }));
    expect(proxy.code).toBe('network');
    expect(proxy.message).toMatch(/HTTP 403 .* without an OAuth error/);
    expect(httpStatusError(400, { error: 'invalid_grant' }, url, 'password grant')).toBeUndefined();
    expect(httpStatusError(200, { status: 'error', msg: 'x' }, url, 'password grant')).toBeUndefined();
  });
  it('still maps OAuth-shaped 4xx answers and the legacy HTTP-200 shape to exit-3 refusals', () => {
    const refused = caught(() => parseTokenResponse(400, '{"error":"invalid_grant","error_description":"refresh token is invalid or revoked"}', 'u', 'refresh_token', { clientId: 'c' }));
    expect(refused.code).toBe('login');
    const legacy = caught(() => parseTokenResponse(200, '{"status":"error","msg":"refresh token is expired"}', 'u', 'refresh_token', { clientId: 'c' }));
    expect(legacy.code).toBe('login');
  });
  it('tells a dead refresh token (invalid_grant, or its Casdoor wording) from everything else', () => {
    const refresh = (status: number, body: string): unknown => caught(() => parseTokenResponse(status, body, 'u', 'refresh_token', { clientId: 'c' }));
    expect(isRefreshTokenRefused(refresh(400, '{"error":"invalid_grant","error_description":"refresh token is invalid or revoked"}'))).toBe(true);
    expect(isRefreshTokenRefused(refresh(400, '{"error":"invalid_grant"}'))).toBe(true);
    expect(isRefreshTokenRefused(refresh(200, '{"status":"error","msg":"refresh token is invalid or revoked"}'))).toBe(true);
    expect(isRefreshTokenRefused(refresh(200, '{"status":"error","msg":"refresh token is expired"}'))).toBe(true);
    expect(isRefreshTokenRefused(refresh(401, '{"error":"invalid_client","error_description":"client_secret is invalid"}'))).toBe(false);
    expect(isRefreshTokenRefused(refresh(400, '{"error":"unsupported_grant_type","error_description":"grant_type: refresh_token is not supported in this application"}'))).toBe(false);
    expect(isRefreshTokenRefused(refresh(502, 'Bad Gateway'))).toBe(false);
    expect(isRefreshTokenRefused(refresh(200, '{"status":"error","msg":"database is locked"}'))).toBe(false);
    // Only a refresh: a password grant's invalid_grant is a wrong password, not a dead refresh token.
    expect(isRefreshTokenRefused(caught(() => parseTokenResponse(400, '{"error":"invalid_grant"}', 'u', 'password', { clientId: 'c' })))).toBe(false);
    expect(isRefreshTokenRefused(new CliError('login', 'refresh token is expired'))).toBe(false);
  });
  it('a wrong client secret gets the secret hint, not the client-id one', () => {
    const e = loginError({ error: 'invalid_client', description: 'client_secret is invalid', legacy: false }, 'password', { clientId: 'cid' });
    expect(e.message).toBe('Casdoor refused the request (invalid_client): "client_secret is invalid".');
    expect(e.hint).toBe("Check --client-secret / CASDOOR_CLIENT_SECRET (the application's Client Secret).");
    expect(e.hint).not.toMatch(/Client ID/);
    const legacy = loginError({ error: 'casdoor_error', description: 'client_secret is invalid', legacy: true }, 'refresh_token', { clientId: 'cid' });
    expect(legacy.hint).toMatch(/--client-secret/);
    const id = loginError({ error: 'invalid_client', description: 'client_id is invalid', legacy: false }, 'password', { clientId: 'cid' });
    expect(id.hint).toMatch(/--client-id must be the application's Client ID/);
  });
  it("names the refusal with a stable reason, read from Casdoor's error code and words", () => {
    const r = (error: string, description = ''): ReturnType<typeof reasonFor> => reasonFor({ error, description });
    expect(r('invalid_client', 'client_secret is invalid')).toBe('wrong-client-secret');
    expect(r('casdoor_error', 'client_secret is invalid')).toBe('wrong-client-secret');
    expect(r('invalid_client', 'invalid secret')).toBe('wrong-client-secret');
    expect(r('invalid_client', 'client_id is invalid')).toBe('invalid-client');
    expect(r('invalid_client')).toBe('invalid-client');
    expect(r('casdoor_error', 'client_id is invalid')).toBe('invalid-client');
    expect(r('unsupported_grant_type')).toBe('grant-disabled');
    expect(r('unauthorized_client')).toBe('grant-disabled');
    expect(r('casdoor_error', 'grant_type: password is not supported in this application')).toBe('grant-disabled');
    expect(r('invalid_grant', 'the user does not exist')).toBe('unknown-user');
    expect(r('invalid_grant', 'password or code is incorrect, you have 4 remaining chances')).toBe('wrong-password');
    expect(r('invalid_grant', 'password cannot be empty')).toBe('wrong-password');
    expect(r('invalid_grant', 'You have entered the wrong password or code too many times, please wait for 15 minutes and try again')).toBe('account-locked');
    expect(r('invalid_grant', 'OAuth users cannot use password grant type')).toBe('external-account');
    expect(r('invalid_grant', 'The user is forbidden to sign in, please contact the administrator')).toBe('account-forbidden');
    expect(r('invalid_grant', 'refresh token is invalid or revoked')).toBeUndefined();
    expect(r('casdoor_error', 'database is locked')).toBeUndefined();
  });
  it('carries the reason on the error, next to the matching hint', () => {
    const parse = (status: number, body: string): CliError => caught(() => parseTokenResponse(status, body, 'u', 'password', { clientId: 'c' }));
    const wrong = parse(400, '{"error":"invalid_grant","error_description":"password or code is incorrect"}');
    expect(wrong.reason).toBe('wrong-password');
    expect(wrong.hint).toMatch(/Check the password/);
    const secret = parse(401, '{"error":"invalid_client","error_description":"client_secret is invalid"}');
    expect(secret.reason).toBe('wrong-client-secret');
    expect(secret.hint).toMatch(/--client-secret/);
    const legacy = parse(200, '{"status":"error","msg":"The user is forbidden to sign in, please contact the administrator"}');
    expect(legacy.reason).toBe('account-forbidden');
    expect(legacy.hint).toMatch(/unblock/);
    expect(parse(400, '{"error":"invalid_request"}').reason).toBeUndefined();
    // Not a refusal: a 5xx is a network error, without a login reason.
    expect(parse(502, 'Bad Gateway').reason).toBeUndefined();
  });
  it("quotes Casdoor's description and gives the fix", () => {
    const e = loginError({ error: 'invalid_client', description: 'client_id is invalid', legacy: false }, 'password', { clientId: 'Kubernetes', application: 'Kubernetes' });
    expect(e.code).toBe('login');
    expect(e.message).toContain('"client_id is invalid"');
    expect(e.hint).toMatch(/Client ID.*not its name.*application name "Kubernetes"/);
    const g = loginError({ error: 'casdoor_error', description: 'grant_type: password is not supported in this application', legacy: true }, 'password', { clientId: 'x' });
    expect(g.hint).toMatch(/Enable the "Password" grant type/);
  });
  it('maps a token response with an error to exit-3 errors and a good one to tokens', () => {
    expect(() => parseTokenResponse(401, '{"error":"invalid_client","error_description":"client_id is invalid"}', 'u', 'password', { clientId: 'c' })).toThrow(/client_id is invalid/);
    expect(() => parseTokenResponse(200, '<html>', 'u', 'password', { clientId: 'c' })).toThrow(/HTML/);
    expect(() => parseTokenResponse(200, '{"access_token":"a"}', 'u', 'password', { clientId: 'c' })).toThrow(/no id_token/);
    expect(parseTokenResponse(200, '{"id_token":"i1234","refresh_token":"r1234","expires_in":10}', 'u', 'password', { clientId: 'c' })).toEqual({
      idToken: 'i1234',
      refreshToken: 'r1234',
      expiresIn: 10,
    });
  });
});

describe('network error classification (shared by the Casdoor client and the API-server review)', () => {
  const nodeError = (code: string, message = code): Error => Object.assign(new Error(message), { code });
  it('finds TLS codes anywhere along the cause chain, and sorts them by what fixes them', () => {
    const wrapped = new Error('fetch failed', { cause: nodeError('SELF_SIGNED_CERT_IN_CHAIN') });
    expect(classifyNetError(wrapped)).toEqual({ kind: 'tls', code: 'SELF_SIGNED_CERT_IN_CHAIN', problem: 'untrusted' });
    expect(classifyNetError(nodeError('ERR_TLS_CERT_ALTNAME_INVALID'))).toMatchObject({ problem: 'altname' });
    expect(classifyNetError(nodeError('CERT_HAS_EXPIRED'))).toMatchObject({ problem: 'validity' });
    // What the wizard sees: our own CliError (code 'network') around undici's error.
    const ours = new CliError('network', 'TLS: …', { cause: nodeError('UNABLE_TO_GET_ISSUER_CERT_LOCALLY') });
    expect(isUntrustedCertificate(ours)).toBe(true);
    expect(isUntrustedCertificate(nodeError('CERT_HAS_EXPIRED'))).toBe(false);
  });
  it('recognises timeouts by undici code or by name, refusals and DNS failures', () => {
    expect(classifyNetError(nodeError('UND_ERR_CONNECT_TIMEOUT'))).toEqual({ kind: 'timeout' });
    expect(classifyNetError({ name: 'TimeoutError', message: 'The operation was aborted due to timeout' })).toEqual({ kind: 'timeout' });
    expect(classifyNetError(Object.assign(new Error('x'), { name: 'AbortError' }))).toEqual({ kind: 'timeout' });
    expect(classifyNetError(new Error('socket', { cause: nodeError('ECONNREFUSED') }))).toEqual({ kind: 'refused' });
    expect(classifyNetError(nodeError('EAI_AGAIN'))).toEqual({ kind: 'dns', code: 'EAI_AGAIN' });
    expect(classifyNetError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET', cause: nodeError('ECONNRESET') }))).toEqual({
      kind: 'other',
      code: 'ECONNRESET',
      detail: 'other side closed',
    });
  });
  it("keeps the Casdoor client's messages", () => {
    const url = 'https://door.example.com/.well-known/openid-configuration';
    expect(networkError(nodeError('ECONNREFUSED'), url, 'discovery document', 1000).message).toBe('Connection refused by door.example.com while fetching the discovery document.');
    const tls = networkError(nodeError('ERR_TLS_CERT_ALTNAME_INVALID'), url, 'discovery document', 1000);
    expect(tls.hint).toMatch(/not valid for door\.example\.com/);
    // The wizard asks for a CA file on 'untrusted-ca': only an unknown issuer gets it.
    expect(tls.reason).toBeUndefined();
    const untrusted = networkError(new Error('fetch failed', { cause: nodeError('SELF_SIGNED_CERT_IN_CHAIN') }), url, 'discovery document', 1000);
    expect(untrusted.reason).toBe('untrusted-ca');
    expect(untrusted.hint).toMatch(/--casdoor-ca/);
    expect(networkError(nodeError('CERT_HAS_EXPIRED'), url, 'discovery document', 1000).reason).toBeUndefined();
    expect(networkError(nodeError('ENOTFOUND'), url, 'discovery document', 1000).message).toBe('Cannot resolve door.example.com (ENOTFOUND) while fetching the discovery document.');
    expect(networkError(nodeError('EPIPE', 'write EPIPE'), url, 'discovery document', 1000).message).toBe('Request to door.example.com for the discovery document failed: write EPIPE (EPIPE).');
  });
  it("keeps the API-server review's messages (exit 7)", () => {
    const target = { server: 'https://127.0.0.1:6443', clusterName: 'dev' };
    const untrusted = clusterNetworkError(new Error('request failed', { cause: nodeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE') }), target, 30_000);
    expect(untrusted.code).toBe('cluster');
    expect(untrusted.message).toBe('TLS: the API server at 127.0.0.1:6443 presented a certificate that is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE; kubectl says "x509: …").');
    expect(untrusted.hint).toMatch(/clusters\[name=dev\] needs the API server's CA/);
    expect(untrusted.reason).toBe('untrusted-ca');
    expect(clusterNetworkError(nodeError('ERR_TLS_CERT_ALTNAME_INVALID'), target, 1).reason).toBeUndefined();
    expect(clusterNetworkError(Object.assign(new Error('aborted'), { name: 'AbortError' }), target, 30_000).message).toBe('No answer from the API server at 127.0.0.1:6443 within 30 s.');
    expect(clusterNetworkError(nodeError('ECONNREFUSED'), target, 1).message).toBe('Connection refused by the API server at 127.0.0.1:6443.');
    expect(clusterNetworkError(nodeError('ENOTFOUND'), { ...target, server: 'https://k8s.invalid:6443' }, 1).message).toBe("Cannot resolve the API server's host k8s.invalid:6443 (ENOTFOUND).");
  });
});

describe('client credentials in forms: built in one place (grants.ts)', () => {
  const meta: ProviderMetadata = {
    issuer: 'https://door.example.com',
    token_endpoint: 'https://door.example.com/api/login/oauth/access_token',
    jwks_uri: 'https://door.example.com/.well-known/jwks',
    device_authorization_endpoint: 'https://door.example.com/api/device-auth',
  };
  const client = { clientId: 'cid', clientSecret: 'the-secret' };
  function recordingHttp(answers: Array<{ status: number; text: string }>): HttpClient & { posts: Array<{ url: string; form: Record<string, string>; what: string }> } {
    const posts: Array<{ url: string; form: Record<string, string>; what: string }> = [];
    return {
      posts,
      get: async () => Promise.reject(new Error('no GET expected')),
      postForm: async (url, form, what) => {
        posts.push({ url, form, what });
        const next = answers.shift() ?? { status: 500, text: '' };
        return { headers: {}, ...next };
      },
      close: async () => undefined,
    };
  }
  const tokens = { status: 200, text: '{"id_token":"id-token-1","refresh_token":"refresh-token-1","access_token":"id-token-1","expires_in":3600}' };

  it('adds client_id, and client_secret only when there is one', () => {
    expect(clientFields(client)).toEqual({ client_id: 'cid', client_secret: 'the-secret' });
    expect(clientFields({ clientId: 'cid' })).toEqual({ client_id: 'cid' });
  });
  it('every grant and the device authorization send the same client fields', async () => {
    const http = recordingHttp([tokens, tokens, tokens, { status: 200, text: '{"device_code":"dc-1","user_code":"UC","verification_uri":"https://door.example.com/device","interval":0}' }, tokens]);
    await passwordGrant(http, meta, client, 'alice', 'pw');
    await refreshGrant(http, meta, client, 'refresh-token-0');
    await exchangeCode(http, meta, client, 'the-code', { url: 'u', redirectUri: 'http://127.0.0.1:1/callback', state: 's', nonce: 'n', verifier: 'v' });
    await deviceLogin({ http, meta, client, notify: () => undefined, sleep: async () => undefined });
    for (const post of http.posts) expect(post.form).toMatchObject({ client_id: 'cid', client_secret: 'the-secret' });
    expect(http.posts.map((p) => [p.url.replace(meta.issuer, ''), p.what, p.form.grant_type])).toEqual([
      ['/api/login/oauth/access_token', 'password grant', 'password'],
      ['/api/login/oauth/access_token', 'refresh_token grant', 'refresh_token'],
      ['/api/login/oauth/access_token', 'authorization_code grant', 'authorization_code'],
      ['/api/device-auth', 'device authorization', undefined],
      ['/api/login/oauth/access_token', 'device_code grant', 'urn:ietf:params:oauth:grant-type:device_code'],
    ]);
    expect(http.posts[2]?.form).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'http://127.0.0.1:1/callback',
      code_verifier: 'v',
      client_id: 'cid',
      client_secret: 'the-secret',
    });
  });
  it('no scope is sent unless asked; a refresh never sends one (Casdoor then keeps the original grant\'s)', async () => {
    const http = recordingHttp([tokens, tokens, tokens]);
    await passwordGrant(http, meta, { clientId: 'cid' }, 'alice', 'pw');
    await passwordGrant(http, meta, { clientId: 'cid' }, 'alice', 'pw', 'k8s openid');
    await refreshGrant(http, meta, { clientId: 'cid' }, 'refresh-token-0');
    expect(http.posts.map((p) => p.form)).toEqual([
      { grant_type: 'password', username: 'alice', password: 'pw', client_id: 'cid' },
      { grant_type: 'password', username: 'alice', password: 'pw', scope: 'k8s openid', client_id: 'cid' },
      { grant_type: 'refresh_token', refresh_token: 'refresh-token-0', client_id: 'cid' },
    ]);
  });
  it('invalid_scope names the scopes asked for and the empty-scope way out', async () => {
    const http = recordingHttp([{ status: 400, text: '{"error":"invalid_scope","error_description":"the requested scope is invalid or not defined in the application"}' }]);
    const err = await rejected(passwordGrant(http, meta, { clientId: 'cid' }, 'alice', 'pw', 'openid'));
    expect(err).toMatchObject({ code: 'login', reason: 'invalid-scope' });
    expect(err.hint).toBe(
      "The application defines Scopes in Casdoor and the scope \"openid\" is not among them. Ask only for scopes the application lists (--scope), or for none (--scope '': an empty scope is always accepted), or add the scope to the application's Scopes.",
    );
    expect(scopeHint(undefined)).toMatch(/refused the scope of the original login/);
  });
  it("MFA users: Casdoor's refusal of the password grant points to browser or device", () => {
    const e = { error: 'invalid_grant', description: 'the user has MFA enabled and cannot sign in with a password grant, please use the authorization code flow' };
    expect(reasonFor(e)).toBe('mfa-required');
    expect(loginError({ ...e, legacy: false }, 'password', { clientId: 'cid' }).hint).toMatch(/--grant browser or --grant device/);
  });
  it('introspection: {"active"} is an answer, a refused secret in either shape a refusal (wrong-client-secret)', async () => {
    const url = 'https://door.example.com/api/login/oauth/introspect';
    const ok = recordingHttp([{ status: 200, text: '{"active":true}' }]);
    await expect(introspect(ok, url, client, 'tok')).resolves.toEqual({ active: true });
    expect(ok.posts[0]?.form).toEqual({ token: 'tok', token_type_hint: 'access_token', client_id: 'cid', client_secret: 'the-secret' });
    const legacy = recordingHttp([{ status: 200, text: '{"status":"error","msg":"Invalid application or wrong clientSecret"}' }]);
    expect(await introspect(legacy, url, client, 'tok').catch((e: unknown) => e)).toMatchObject({ code: 'login', reason: 'wrong-client-secret' });
    const oauth = recordingHttp([{ status: 401, text: '{"error":"invalid_client"}' }]);
    expect(await introspect(oauth, url, client, 'tok').catch((e: unknown) => e)).toBeInstanceOf(CasdoorRefusal);
  });
  it('device authorization and polling: a 5xx is a network error too, an OAuth error still a refusal', () => {
    expect(caught(() => parseDeviceAuthorization(502, 'Bad Gateway', meta.device_authorization_endpoint as string, client)).code).toBe('network');
    expect(caught(() => parseDeviceAuthorization(200, '{"error":"unauthorized_client"}', 'u', client)).code).toBe('login');
    expect(caught(() => parsePollResponse(503, '', meta.token_endpoint, client)).message).toMatch(/HTTP 503 to the device_code grant/);
    expect(parsePollResponse(400, '{"error":"authorization_pending"}', meta.token_endpoint, client)).toEqual({ kind: 'pending' });
  });
});

describe('only one module imports inquirer', () => {
  it('is src/wizard/prompts.ts (the token prompt loads it from there)', () => {
    const root = path.resolve('src');
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const importers = files.filter((f) => /(from|import\()\s*['"]@inquirer\//.test(readFileSync(path.join(root, f), 'utf8')));
    expect(importers).toEqual([path.join('wizard', 'prompts.ts')]);
  });
});

describe('preflight', () => {
  const issuer = 'https://door.example.com';
  const casdoorClaims = {
    iss: issuer,
    sub: '3f1c-uuid',
    name: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    groups: ['k8s-org/admins'],
    roles: [{ name: 'r1', owner: 'k8s-org' }],
    exp: 2_000_000_000,
  };
  it('reports the username and groups the API server will see', () => {
    const r = preflight(casdoorClaims, { issuer, usernameClaim: 'name', groupsClaim: 'groups', usernamePrefix: '-' });
    expect(r.username).toBe('alice');
    expect(r.groups).toEqual(['k8s-org/admins']);
    expect(r.expiresAt?.getTime()).toBe(2_000_000_000_000);
    expect(r.warnings.map((w) => w.code)).toEqual(['groups-org-prefix']);
    expect(r.warnings[0]?.message).toContain('"k8s-org/admins"');
  });
  it("applies kube-apiserver's username prefix rules", () => {
    expect(mapUsername('alice', { issuer, usernameClaim: 'name' })).toBe(`${issuer}#alice`);
    expect(mapUsername('a@x', { issuer, usernameClaim: 'email' })).toBe('a@x');
    expect(mapUsername('alice', { issuer, usernameClaim: 'name', usernamePrefix: 'oidc:' })).toBe('oidc:alice');
  });
  it('warns about a missing username claim and suggests alternatives', () => {
    const r = preflight(casdoorClaims, { issuer, usernameClaim: 'preferred_username', groupsClaim: 'groups', usernamePrefix: '-' });
    expect(r.username).toBeUndefined();
    expect(r.warnings[0]).toMatchObject({ code: 'username-missing', fatal: true });
    expect(r.warnings[0]?.message).toMatch(/name, email/);
  });
  it('rejects email with email_verified false', () => {
    const r = preflight({ ...casdoorClaims, email_verified: false }, { issuer, usernameClaim: 'email', groupsClaim: 'groups' });
    expect(r.warnings.find((w) => w.code === 'email-unverified')?.fatal).toBe(true);
  });
  it('rejects roles (objects) as groups claim and non-string usernames', () => {
    const r = preflight(casdoorClaims, { issuer, usernameClaim: 'email_verified', groupsClaim: 'roles' });
    expect(r.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['groups-not-strings', 'username-not-string']));
  });
  it('flags an http issuer and sub as username', () => {
    const r = preflight(casdoorClaims, { issuer: 'http://x', usernameClaim: 'sub', groupsClaim: 'nope' });
    expect(r.warnings.map((w) => w.code)).toEqual(['issuer-not-https', 'username-sub', 'groups-missing']);
  });
  it('lists candidate claims for the wizard', () => {
    const c = candidateClaims(casdoorClaims);
    expect(c.username).toEqual(['sub', 'name', 'email']);
    expect(c.groups).toEqual(['groups']);
  });
});
