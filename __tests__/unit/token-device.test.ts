/**
 * Device login against a scripted token endpoint (a fake HttpClient): pending, slow_down (+5 s),
 * expired_token, access_denied, Casdoor's HTTP-200 errors and its missing verification_uri_complete.
 * The real approve/deny paths run against the provider in __tests__/e2e/token-login.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { ProviderMetadata } from '../../src/oidc/discovery.js';
import { DEVICE_CODE_GRANT_TYPE, deviceLogin, parseDeviceAuthorization, parsePollResponse } from '../../src/oidc/device-login.js';
import type { HttpClient, HttpResponse } from '../../src/oidc/http.js';

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
  it('an error carried with HTTP 200 is still an error, with the grant hint', () => {
    expect(() => parseDeviceAuthorization(200, JSON.stringify({ error: 'unauthorized_client', error_description: 'device login is not enabled' }), 'u', CLIENT)).toThrow(
      expect.objectContaining({ code: 'login', hint: expect.stringMatching(/Device Code/) }),
    );
    expect(() => parseDeviceAuthorization(200, JSON.stringify({ status: 'error', msg: 'Invalid client_id' }), 'u', CLIENT)).toThrow(/Invalid client_id/);
  });
  it('defaults the interval to 5 s', () => {
    const { interval: _i, ...rest } = AUTH;
    expect(parseDeviceAuthorization(200, JSON.stringify(rest), 'u', CLIENT).interval).toBe(5);
  });
});

describe('poll answers', () => {
  it('classifies pending and slow_down whatever the HTTP status', () => {
    expect(parsePollResponse(400, JSON.stringify({ error: 'authorization_pending' }), 'u', CLIENT)).toEqual({ kind: 'pending' });
    expect(parsePollResponse(200, JSON.stringify({ error: 'authorization_pending' }), 'u', CLIENT)).toEqual({ kind: 'pending' });
    expect(parsePollResponse(400, JSON.stringify({ error: 'slow_down' }), 'u', CLIENT)).toEqual({ kind: 'slow_down' });
  });
  it('turns expired_token and access_denied into clear login errors', () => {
    expect(() => parsePollResponse(400, JSON.stringify({ error: 'expired_token' }), 'u', CLIENT)).toThrow(/device code expired/);
    expect(() => parsePollResponse(400, JSON.stringify({ error: 'access_denied' }), 'u', CLIENT)).toThrow(/denied/);
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
    expect(s.posts[0]).toEqual({ url: META.device_authorization_endpoint, form: expect.objectContaining({ client_id: 'cid', scope: expect.stringContaining('openid') }) });
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
