/**
 * Device login against a scripted token endpoint (a fake HttpClient): pending, slow_down (+5 s),
 * expired_token, access_denied, Casdoor's HTTP-200 errors and its missing verification_uri_complete.
 * The real approve/deny paths run against the provider in __tests__/e2e/token-login.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { ProviderMetadata } from '../../src/oidc/discovery.js';
import { DEVICE_CODE_GRANT_TYPE, deviceLogin, parseDeviceAuthorization, parsePollResponse } from '../../src/oidc/device-login.js';
import type { HttpClient, HttpResponse } from '../../src/oidc/http.js';
import { caught } from '../helpers/errors.js';

const META: ProviderMetadata = {
  issuer: 'https://door.example.com',
  token_endpoint: 'https://door.example.com/api/login/oauth/access_token',
  jwks_uri: 'https://door.example.com/.well-known/jwks',
  device_authorization_endpoint: 'https://door.example.com/api/device-auth',
};
const CLIENT = { clientId: 'cid' };
const AUTH = { device_code: 'device-code-secret-123', user_code: 'WDJB-MJHT', verification_uri: 'https://door.example.com/login/device', expires_in: 600, interval: 5 };
const TOKENS = { access_token: 'a', id_token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', refresh_token: 'r-token-1', token_type: 'Bearer', expires_in: 3600, scope: 'openid' };

const json = (status: number, body: unknown): HttpResponse => ({ status, headers: {}, text: JSON.stringify(body) });

interface Scripted {
  http: HttpClient;
  posts: Array<{ url: string; form: Record<string, string> }>;
}

function scripted(responses: HttpResponse[]): Scripted {
  const posts: Scripted['posts'] = [];
  const queue = [...responses];
  return {
    posts,
    http: {
      get: async () => {
        throw new Error('no GET expected');
      },
      postForm: async (url, form) => {
        posts.push({ url, form });
        const next = queue.shift();
        if (!next) throw new Error('no more scripted responses');
        return next;
      },
      close: async () => undefined,
    },
  };
}

/** A clock that only moves when the login sleeps. */
function fakeTime() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return { sleeps, now: () => now, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)) };
}

describe('the device authorization answer', () => {
  it('reads code, URL and interval; no verification_uri_complete is fine (Casdoor)', () => {
    const a = parseDeviceAuthorization(200, JSON.stringify(AUTH), META.device_authorization_endpoint as string, CLIENT);
    expect(a).toEqual({ deviceCode: AUTH.device_code, userCode: 'WDJB-MJHT', verificationUri: AUTH.verification_uri, expiresIn: 600, interval: 5 });
  });
  it('unauthorized_client with HTTP 200 (controllers/auth.go DeviceAuth) names the "Device login" sign-in method, not the grant type', () => {
    const err = caught(() => parseDeviceAuthorization(200, JSON.stringify({ error: 'unauthorized_client', error_description: 'device login is not enabled for this application' }), 'u', CLIENT));
    expect(err.code).toBe('login');
    expect(err.message).toBe('Casdoor refused the device login (unauthorized_client): "device login is not enabled for this application".');
    expect(err.hint).toMatch(/^The application lacks the "Device login" sign-in method \(required since Casdoor v3\.27\): add it under the application's "Sign-in methods"/);
  });
  it('an unknown client: Casdoor puts the translated "Invalid client_id" in error itself, with HTTP 200', () => {
    const err = caught(() => parseDeviceAuthorization(200, JSON.stringify({ error: 'Invalid client_id', error_description: 'Invalid client_id' }), 'u', CLIENT));
    expect(err.message).toMatch(/Invalid client_id/);
    expect(err.reason).toBe('invalid-client');
    expect(err.hint).toMatch(/Client ID/);
    expect(() => parseDeviceAuthorization(200, JSON.stringify({ status: 'error', msg: 'Invalid client_id' }), 'u', CLIENT)).toThrow(/Invalid client_id/);
  });
  it('defaults the interval to 5 s, also for the 0 of Casdoor v1.901–v3.26 and junk; expires_in to 120 s', () => {
    const { interval: _i, expires_in: _e, ...rest } = AUTH;
    expect(parseDeviceAuthorization(200, JSON.stringify(rest), 'u', CLIENT)).toMatchObject({ interval: 5, expiresIn: 120 });
    for (const interval of [0, 0.5, -1, '3', null]) {
      expect(parseDeviceAuthorization(200, JSON.stringify({ ...AUTH, interval }), 'u', CLIENT).interval).toBe(5);
    }
  });
});

describe('poll answers', () => {
  it('classifies pending and slow_down whatever the HTTP status', () => {
    expect(parsePollResponse(400, JSON.stringify({ error: 'authorization_pending' }), 'u', CLIENT)).toEqual({ kind: 'pending' });
    expect(parsePollResponse(200, JSON.stringify({ error: 'authorization_pending' }), 'u', CLIENT)).toEqual({ kind: 'pending' });
    expect(parsePollResponse(400, JSON.stringify({ error: 'slow_down' }), 'u', CLIENT)).toEqual({ kind: 'slow_down' });
  });
  it('turns expired_token and access_denied into clear login errors', () => {
    expect(() => parsePollResponse(400, JSON.stringify({ error: 'expired_token' }), 'u', CLIENT, 120)).toThrow(
      'The device code expired before the sign-in was approved (Casdoor gives 120 s), or Casdoor no longer knows it.',
    );
    expect(() => parsePollResponse(400, JSON.stringify({ error: 'access_denied' }), 'u', CLIENT)).toThrow(
      'Casdoor refused the device login (access_denied): the request was denied in the browser, or its code was already used.',
    );
  });
  it('invalid_scope after approval (mintImplicitToken) names the scope asked for and the empty-scope way out', () => {
    const err = caught(() => parsePollResponse(400, JSON.stringify({ error: 'invalid_scope', error_description: 'the requested scope is invalid or not defined in the application' }), 'u', { ...CLIENT, scope: 'openid k8s' }));
    expect(err.reason).toBe('invalid-scope');
    expect(err.hint).toMatch(/^The application defines Scopes in Casdoor and one of the scopes "openid", "k8s" is not among them\. .*--scope ''/);
  });
});

describe('deviceLogin', () => {
  it('shows the code and URL, polls at the interval, slows down by 5 s on slow_down, and returns the tokens', async () => {
    const t = fakeTime();
    const s = scripted([
      json(200, AUTH),
      json(400, { error: 'authorization_pending' }),
      json(400, { error: 'slow_down' }),
      json(200, { error: 'authorization_pending' }),
      json(200, TOKENS),
    ]);
    const shown: string[] = [];
    const tokens = await deviceLogin({ http: s.http, meta: META, client: CLIENT, notify: (x) => shown.push(x), sleep: t.sleep, now: t.now });
    expect(tokens.idToken).toBe(TOKENS.id_token);
    expect(tokens.refreshToken).toBe('r-token-1');
    expect(shown.join('\n')).toContain(`open ${AUTH.verification_uri} and enter the code WDJB-MJHT`);
    expect(t.sleeps).toEqual([5000, 5000, 10000, 10000]);
    // No scope by default: an empty scope is always valid in Casdoor (IsScopeValidAndExpand).
    expect(s.posts[0]).toEqual({ url: META.device_authorization_endpoint, form: { client_id: 'cid' } });
    for (const p of s.posts.slice(1)) {
      expect(p).toEqual({ url: META.token_endpoint, form: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: AUTH.device_code, client_id: 'cid' } });
    }
  });
  it('shows verification_uri_complete when the server sends one', async () => {
    const t = fakeTime();
    const s = scripted([json(200, { ...AUTH, verification_uri_complete: `${AUTH.verification_uri}?user_code=WDJB-MJHT` }), json(200, TOKENS)]);
    const shown: string[] = [];
    await deviceLogin({ http: s.http, meta: META, client: CLIENT, notify: (x) => shown.push(x), sleep: t.sleep, now: t.now });
    expect(shown[0]).toContain('?user_code=WDJB-MJHT');
  });
  it('interval 0 (Casdoor v1.901–v3.26) polls every 5 s: 120 s of pending answers make 24 polls (one per 5 s), then it gives up by itself', async () => {
    const t = fakeTime();
    const pending = Array.from({ length: 100 }, () => json(400, { error: 'authorization_pending' }));
    const s = scripted([json(200, { ...AUTH, interval: 0, expires_in: 120 }), ...pending]);
    await expect(deviceLogin({ http: s.http, meta: META, client: CLIENT, notify: () => undefined, sleep: t.sleep, now: t.now })).rejects.toThrow(/expired/);
    expect(t.sleeps.every((ms) => ms === 5000)).toBe(true);
    // 1 device-auth request + one poll per 5 s until the next one would pass the 120 s.
    expect(s.posts.length - 1).toBe(24);
    expect(s.posts.length - 1).toBe(t.sleeps.length);
  });
  it("Casdoor's verification_uri already holds the user code: says to open that URL, not to enter the code", async () => {
    const t = fakeTime();
    const uri = 'https://door.example.com/login/oauth/device/WDJB-MJHT?cancelToken=abc';
    const s = scripted([json(200, { ...AUTH, verification_uri: uri }), json(200, TOKENS)]);
    const shown: string[] = [];
    await deviceLogin({ http: s.http, meta: META, client: CLIENT, notify: (x) => shown.push(x), sleep: t.sleep, now: t.now, scope: 'openid' });
    expect(shown[0]).toBe(`To sign in, open this URL on any device and approve the request (code WDJB-MJHT):\n  ${uri}`);
    expect(s.posts[0]?.form).toEqual({ client_id: 'cid', scope: 'openid' });
  });
  it('stops with expired_token', async () => {
    const t = fakeTime();
    const s = scripted([json(200, AUTH), json(400, { error: 'authorization_pending' }), json(400, { error: 'expired_token', error_description: 'device code is expired' })]);
    await expect(deviceLogin({ http: s.http, meta: META, client: CLIENT, notify: () => undefined, sleep: t.sleep, now: t.now })).rejects.toThrow(/expired before the sign-in was approved/);
  });
  it('gives up by itself when expires_in has passed, without polling forever', async () => {
    const t = fakeTime();
    const pending = Array.from({ length: 10 }, () => json(400, { error: 'authorization_pending' }));
    const s = scripted([json(200, { ...AUTH, expires_in: 12, interval: 5 }), ...pending]);
    await expect(deviceLogin({ http: s.http, meta: META, client: CLIENT, notify: () => undefined, sleep: t.sleep, now: t.now })).rejects.toThrow(/expired/);
    expect(s.posts.length).toBe(3);
  });
  it('stops with access_denied', async () => {
    const t = fakeTime();
    const s = scripted([json(200, AUTH), json(400, { error: 'access_denied' })]);
    await expect(deviceLogin({ http: s.http, meta: META, client: CLIENT, notify: () => undefined, sleep: t.sleep, now: t.now })).rejects.toMatchObject({ code: 'login' });
  });
  it('explains a Casdoor without device login', async () => {
    const { device_authorization_endpoint: _d, ...meta } = META;
    const s = scripted([]);
    await expect(deviceLogin({ http: s.http, meta, client: CLIENT, notify: () => undefined })).rejects.toThrow(/no device_authorization_endpoint/);
  });
});
