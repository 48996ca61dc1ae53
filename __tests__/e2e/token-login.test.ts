/**
 * Browser (authorization code + PKCE) and device logins against the Casdoor-like provider, in process:
 * the "browser" is the demo's scripted one (src/demo/browser.ts), which follows the provider's redirects
 * to our loopback listener; `autoLoginAs` finishes the provider's login page without a person.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, stat } from 'node:fs/promises';
import { decodeJwt } from 'jose';
import { Output } from '../../src/ports/output.js';
import { startCasdoorProvider, visit, type CasdoorProvider } from '../../src/demo/index.js';
import { CliError } from '../../src/errors.js';
import { checkNonce } from '../../src/oidc/browser-login.js';
import { createHttpClient, type HttpClient } from '../../src/oidc/http.js';
import { openSession, verifyTokens, type Session } from '../../src/usecases/login.js';
import { loginWithGrant, obtainToken, type TokenDeps, type TokenInput } from '../../src/usecases/token.js';
import { runCli } from '../helpers/cli.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

let provider: CasdoorProvider;
let home: TempHome;
let http: HttpClient;
let session: Session;
let stderr = '';

beforeAll(async () => {
  provider = await startCasdoorProvider({ autoLoginAs: 'alice', deviceInterval: 1 });
  http = createHttpClient({ env: {}, caPem: provider.caPem });
  session = await openSession(http, provider.issuer);
});
afterAll(async () => {
  await http?.close();
  await provider?.close();
});
beforeEach(async () => {
  home = await makeTempHome();
  provider.resetStats();
  provider.settings.autoLoginAs = 'alice';
  stderr = '';
});
afterEach(async () => {
  await home.cleanup();
});

const out = (): Output => new Output({ env: { NO_COLOR: '1' }, stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } });
const client = () => ({ clientId: provider.clientId });

/** A browser that loads the URL in the background, as a real one would. */
function scriptedBrowser(options: { stopAtCallback?: boolean } = {}) {
  const visits: Array<Promise<Awaited<ReturnType<typeof visit>>>> = [];
  const urls: string[] = [];
  return {
    urls,
    visits,
    openUrl: async (url: string) => {
      urls.push(url);
      visits.push(visit(url, { ca: provider.caPem, ...(options.stopAtCallback ? { stopAt: (u: URL) => u.hostname === '127.0.0.1' && u.pathname === '/callback' && u.port !== String(provider.port) } : {}) }));
    },
  };
}

function tokenDeps(openUrl: (url: string) => Promise<void>, over: Partial<TokenDeps> = {}): TokenDeps {
  return {
    out: out(),
    now: () => new Date(),
    interactive: true,
    openUrl,
    env: {},
    homeDir: home.home,
    makeHttp: (caPem) => createHttpClient({ env: {}, ...(caPem ? { caPem } : {}) }),
    ...over,
  };
}

const input = (over: Partial<TokenInput> = {}): TokenInput => ({
  casdoorUrl: provider.issuer,
  clientId: provider.clientId,
  casdoorCaPem: provider.caPem,
  grant: 'browser',
  username: 'alice',
  ...over,
});

describe('browser login (authorization code + PKCE, loopback redirect)', () => {
  it('logs in end to end, checks the nonce, and fills the cache (0600)', async () => {
    const browser = scriptedBrowser();
    const got = await obtainToken(input(), tokenDeps(browser.openUrl));
    expect(got.source).toBe('login');
    expect(provider.stats.codeGrants).toBe(1);
    const sent = new URL(browser.urls[0] as string);
    expect(sent.searchParams.get('code_challenge_method')).toBe('S256');
    expect(sent.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(decodeJwt(got.entry.idToken).nonce).toBe(sent.searchParams.get('nonce'));
    const page = await browser.visits[0];
    expect(page?.body).toMatch(/You can close this tab/);
    expect((await stat(got.file)).mode & 0o777).toBe(0o600);
    const cached = JSON.parse(await readFile(got.file, 'utf8'));
    expect(cached).toMatchObject({ issuer: provider.issuer, clientId: provider.clientId, username: 'alice', idToken: got.entry.idToken });
    expect(cached.refreshToken).toBeTruthy();
    expect(stderr).toContain(browser.urls[0]);
  });

  it('refuses a callback with another state: no code exchange happens', async () => {
    const browser = scriptedBrowser({ stopAtCallback: true });
    const pending = obtainToken(input(), tokenDeps(browser.openUrl));
    pending.catch(() => undefined);
    const visited = await (async () => {
      for (let i = 0; i < 100 && browser.visits.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      return browser.visits[0];
    })();
    const callback = new URL((await visited)?.stoppedAt as string);
    callback.searchParams.set('state', 'forged-state');
    const res = await fetch(callback);
    expect(res.status).toBe(400);
    await expect(pending).rejects.toThrow(/another state than this login sent/);
    expect(provider.stats.codeGrants).toBe(0);
  });

  it('refuses an id_token whose nonce is not the one sent (after verifying it)', async () => {
    const minted = await provider.mintIdToken('alice', { claims: { nonce: 'some-other-nonce' } });
    const verified = await verifyTokens(session, client(), { idToken: minted });
    expect(verified.verified.claims.nonce).toBe('some-other-nonce');
    let err: unknown;
    try {
      checkNonce(verified.verified.claims, 'the-nonce-we-sent');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({ code: 'verify', message: expect.stringMatching(/nonce is not the one this login sent/) });
  });

  it('refuses tokens for another user than the entry names', async () => {
    provider.settings.autoLoginAs = 'bob';
    const browser = scriptedBrowser();
    await expect(obtainToken(input(), tokenDeps(browser.openUrl))).rejects.toThrow(/signed in to Casdoor as bob, but this login is for alice/);
  });

  it('`token --grant browser --no-browser` without a terminal says what to run, in one line, nothing on stdout', async () => {
    const run = await runCli(['token', '--casdoor-url', provider.issuer, '--client-id', provider.clientId, '--grant', 'browser', '--no-browser'], { home: home.home });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/run "casdoor-kubeconfig token --casdoor-url \S+ --client-id \S+ --grant browser" in a terminal/);
  });
});

describe('device login', () => {
  async function deviceRun(approve: (userCode: string) => Promise<void>) {
    let shown = '';
    const o = new Output({ env: { NO_COLOR: '1' }, stdout: { write: () => true }, stderr: { write: (s: string) => (shown += s) } });
    let acted = false;
    const sleep = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, 30));
      const code = /approve the request \(code (\S+)\):/.exec(shown)?.[1];
      // Approve after the first pending poll, as a person would a few seconds later.
      if (code && !acted && provider.stats.failedTokenRequests > 0) {
        acted = true;
        await approve(code);
      }
    };
    const login = await loginWithGrant(session, client(), { grant: 'device', username: 'alice' }, { out: o, now: () => new Date(), interactive: true, openUrl: async () => undefined, sleep });
    return { login, shown };
  }

  it('shows the code and URL, polls through authorization_pending, and gets verified tokens once approved', async () => {
    const { login, shown } = await deviceRun((code) => provider.approveDevice(code, 'alice'));
    // Casdoor's verification_uri already holds the user code: <origin>/login/oauth/device/<code>?cancelToken=…
    // (object/wellknown_oidc_discovery.go GetDeviceAuthResponse): a URL to open, not a page to type a code into.
    const prefix = provider.endpoints.code_verification.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(shown).toMatch(new RegExp(`To sign in, open this URL on any device and approve the request \\(code (\\S+)\\):\\n  ${prefix}/\\1\\?cancelToken=\\S+`));
    expect(shown).not.toContain('enter the code');
    expect(login.verified.claims.name).toBe('alice');
    expect(login.tokens.refreshToken).toBeTruthy();
    expect(provider.stats.deviceAuthorizations).toBe(1);
    expect(provider.stats.deviceGrants).toBe(1);
    expect(provider.stats.failedTokenRequests).toBeGreaterThanOrEqual(1); // the pending polls
  });

  it('stops with a clear error when the person cancels it', async () => {
    // Casdoor's Cancel (controllers/auth.go CancelDeviceAuth) deletes the codes: polling then gets expired_token.
    await expect(deviceRun((code) => provider.denyDevice(code))).rejects.toMatchObject({
      code: 'login',
      message: 'The device code expired before the sign-in was approved (Casdoor gives 120 s), or Casdoor no longer knows it.',
    });
    expect(provider.stats.deviceGrants).toBe(0);
  });
});
