/** Browser login pieces without a provider: PKCE, the authorization URL, callback and nonce checks, the opener. */
import { describe, expect, it } from '@jest/globals';
import { buildAuthorizationRequest, checkCallback, checkNonce, startCallbackListener } from '../../src/oidc/browser-login.js';
import type { ProviderMetadata } from '../../src/oidc/discovery.js';
import { browserCommandLine, splitCommand } from '../../src/oidc/open-browser.js';
import { pkcePair, s256, sameSecret } from '../../src/oidc/pkce.js';
import { redact } from '../../src/redact.js';
import { caught } from '../helpers/errors.js';

const META: ProviderMetadata = {
  issuer: 'https://door.example.com',
  token_endpoint: 'https://door.example.com/api/login/oauth/access_token',
  jwks_uri: 'https://door.example.com/.well-known/jwks',
  authorization_endpoint: 'https://door.example.com/login/oauth/authorize',
};

describe('PKCE', () => {
  it('computes S256 as RFC 7636 appendix B does', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
  it('makes a fresh 43-character verifier each time and registers it as a secret', () => {
    const a = pkcePair();
    const b = pkcePair();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.verifier).not.toBe(b.verifier);
    expect(a.challenge).toBe(s256(a.verifier));
    expect(redact(`v=${a.verifier}`)).toBe('v=<redacted>');
  });
  it('compares secrets exactly', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abd', 'abc')).toBe(false);
    expect(sameSecret('ab', 'abc')).toBe(false);
    expect(sameSecret(undefined, 'abc')).toBe(false);
  });
});

describe('the authorization request', () => {
  it('asks for a code with PKCE S256, state, nonce and the loopback redirect', () => {
    const req = buildAuthorizationRequest(META, { clientId: 'cid' }, 'http://127.0.0.1:5555/callback');
    const url = new URL(req.url);
    expect(url.origin + url.pathname).toBe(META.authorization_endpoint);
    const p = Object.fromEntries(url.searchParams);
    expect(p).toMatchObject({
      client_id: 'cid',
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:5555/callback',
      code_challenge_method: 'S256',
      code_challenge: s256(req.verifier),
      state: req.state,
      nonce: req.nonce,
    });
    // No scope unless asked: Casdoor accepts an empty one always (IsScopeValidAndExpand), even with app Scopes.
    expect(p.scope).toBeUndefined();
    expect(req.url).not.toContain(req.verifier);
    expect(new URL(buildAuthorizationRequest(META, { clientId: 'cid' }, 'http://127.0.0.1:5555/callback', 'openid k8s').url).searchParams.get('scope')).toBe('openid k8s');
  });
  it('fails clearly without an authorization endpoint', () => {
    const { authorization_endpoint: _a, ...meta } = META;
    expect(caught(() => buildAuthorizationRequest(meta, { clientId: 'c' }, 'http://127.0.0.1/callback')).message).toMatch(/no authorization_endpoint/);
  });
});

describe('checkCallback', () => {
  const q = (s: string) => new URLSearchParams(s);
  it('returns the code when the state matches', () => {
    expect(checkCallback(q('code=abc123&state=S1'), 'S1')).toBe('abc123');
  });
  it('rejects another state, a missing state, and a missing code', () => {
    expect(caught(() => checkCallback(q('code=abc123&state=S2'), 'S1')).message).toMatch(/another state than this login sent/);
    expect(caught(() => checkCallback(q('code=abc123'), 'S1')).code).toBe('login');
    expect(caught(() => checkCallback(q('state=S1'), 'S1')).message).toMatch(/no authorization code/);
  });
  it("reports Casdoor's error and description", () => {
    const err = caught(() => checkCallback(q('error=access_denied&error_description=user+said+no&state=S1'), 'S1'));
    expect(err.message).toBe('Casdoor refused the sign-in (access_denied): "user said no".');
  });
});

describe('checkNonce', () => {
  it('accepts the nonce sent and rejects any other or none', () => {
    expect(() => checkNonce({ nonce: 'n-1' }, 'n-1')).not.toThrow();
    expect(caught(() => checkNonce({ nonce: 'n-2' }, 'n-1'))).toMatchObject({ code: 'verify', message: expect.stringMatching(/nonce/) });
    expect(caught(() => checkNonce({}, 'n-1')).code).toBe('verify');
  });
});

describe('the loopback listener', () => {
  it('binds 127.0.0.1, answers a good callback with a "close this tab" page and resolves the code', async () => {
    const l = await startCallbackListener();
    try {
      expect(l.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      const code = l.waitForCode('S1', 5000);
      expect((await fetch(l.redirectUri.replace('/callback', '/favicon.ico'))).status).toBe(404);
      const res = await fetch(`${l.redirectUri}?code=C0DE-1234&state=S1`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/You can close this tab/);
      await expect(code).resolves.toBe('C0DE-1234');
    } finally {
      await l.close();
    }
  });
  it('fails the login on a callback with another state', async () => {
    const l = await startCallbackListener();
    try {
      const code = l.waitForCode('S1', 5000);
      code.catch(() => undefined);
      const res = await fetch(`${l.redirectUri}?code=C0DE-1234&state=forged`);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/Sign-in failed/);
      await expect(code).rejects.toThrow(/another state/);
    } finally {
      await l.close();
    }
  });
  it('times out with a clear message', async () => {
    const l = await startCallbackListener();
    try {
      await expect(l.waitForCode('S1', 50)).rejects.toThrow(/No sign-in came back within/);
    } finally {
      await l.close();
    }
  });
});

describe('opening the browser', () => {
  const url = 'https://door.example.com/login?a=1&b=2';
  it('splits commands with quotes', () => {
    expect(splitCommand(`open -a "Google Chrome" --args 'x y'`)).toEqual(['open', '-a', 'Google Chrome', '--args', 'x y']);
    expect(splitCommand('  ')).toEqual([]);
  });
  it('--browser-command wins, then BROWSER (first of a : list), then the platform opener; %s is replaced', () => {
    expect(browserCommandLine(url, { browserCommand: '/opt/b.sh --new', env: { BROWSER: 'firefox' } })).toEqual({ command: '/opt/b.sh', args: ['--new', url] });
    expect(browserCommandLine(url, { env: { BROWSER: 'w3m -o x=%s:lynx' } })).toEqual({ command: 'w3m', args: ['-o', `x=${url}`] });
    expect(browserCommandLine(url, { env: {}, platform: 'linux' })).toEqual({ command: 'xdg-open', args: [url] });
    expect(browserCommandLine(url, { env: {}, platform: 'darwin' })).toEqual({ command: 'open', args: [url] });
  });
  it('--no-browser opens nothing', () => {
    expect(browserCommandLine(url, { noBrowser: true, browserCommand: 'x', env: { BROWSER: 'y' } })).toBeUndefined();
  });
});
