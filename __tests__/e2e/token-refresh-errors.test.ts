/**
 * `token` when the refresh does not simply work, against a scripted HTTPS "Casdoor" on loopback: only a
 * refresh token Casdoor refused (invalid_grant, or its legacy HTTP-200 wording) is forgotten; an outage
 * (5xx, a proxy's error page) or a misconfiguration keeps the cache entry and its refresh token.
 * Also: a discovery document naming an http endpoint gets no request, least of all a password.
 */
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promises as fs } from 'node:fs';
import { makeTlsMaterial, type TlsMaterial } from '../../src/demo/certs.js';
import { cacheDir, cacheFile, type CacheEntry, type CacheKey } from '../../src/token/cache.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

let tls: TlsMaterial;
let server: Server;
let origin: string;
/** What the token endpoint answers next; `insecure` makes discovery advertise an http token endpoint. */
let answer: { status: number; body: string; insecure?: boolean };
let tokenPosts: string[];
let home: TempHome;

beforeAll(async () => {
  tls = await makeTlsMaterial();
  server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      const base = answer.insecure ? origin.replace('https:', 'http:') : origin;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: origin, token_endpoint: `${base}/api/login/oauth/access_token`, jwks_uri: `${origin}/.well-known/jwks` }));
      return;
    }
    if (req.url === '/api/login/oauth/access_token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        tokenPosts.push(body);
        res.writeHead(answer.status, { 'content-type': answer.body.startsWith('{') ? 'application/json' : 'text/html' });
        res.end(answer.body);
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await tls?.remove();
});
beforeEach(async () => {
  home = await makeTempHome();
  tokenPosts = [];
});
afterEach(async () => {
  await home.cleanup();
});

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const key = (): CacheKey => ({ issuer: origin, clientId: 'cid', username: 'alice', ca: tls.caFile });
const file = (): string => cacheFile(cacheDir(home.home, {}), key());

async function cached(secondsLeft: number): Promise<CacheEntry> {
  const entry: CacheEntry = { ...key(), idToken: JWT, refreshToken: 'still-good-refresh-token', expiresAt: Math.floor(Date.now() / 1000) + secondsLeft };
  await fs.mkdir(cacheDir(home.home, {}), { recursive: true, mode: 0o700 });
  await fs.writeFile(file(), JSON.stringify(entry), { mode: 0o600 });
  return entry;
}

const token = (env: Record<string, string> = {}): Promise<CliRun> =>
  runCli(['token', '--casdoor-url', origin, '--client-id', 'cid', '--username', 'alice', '--casdoor-ca', tls.caFile], { home: home.home, env });

const lines = (run: CliRun): string[] => run.stderr.trimEnd().split('\n');

describe('token: a failed refresh', () => {
  it('Casdoor answers 502: exit 5, one line, the cache entry and its refresh token kept', async () => {
    const entry = await cached(-10);
    answer = { status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    const run = await token();
    expect(run.code).toBe(5);
    expect(run.stdout).toBe('');
    expect(lines(run)).toHaveLength(1);
    expect(run.stderr).toMatch(/^error: Casdoor answered HTTP 502 to the refresh_token grant at 127\.0\.0\.1:\d+: .*try again later\.$/m);
    expect(run.stderr).not.toContain('still-good-refresh-token');
    expect(tokenPosts).toHaveLength(1);
    expect(JSON.parse(await fs.readFile(file(), 'utf8'))).toEqual(entry);
  });

  it('a 4xx without an OAuth error (a proxy page) is no refusal either: exit 5, entry kept', async () => {
    const entry = await cached(-10);
    answer = { status: 403, body: '<html>Forbidden by the web application firewall</html>' };
    const run = await token();
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/HTTP 403 .* without an OAuth error/);
    expect(JSON.parse(await fs.readFile(file(), 'utf8'))).toEqual(entry);
  });

  it('a 5xx while the cached token is still valid for a while: that token is served, with a warning', async () => {
    await cached(30); // within the refresh leeway, but not about to expire
    answer = { status: 503, body: '' };
    const run = await token();
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: 'ExecCredential', status: { token: JWT } });
    expect(run.stderr).toMatch(/Could not refresh the Casdoor token \(Casdoor answered HTTP 503.*\); using the cached one until it expires\./);
  });

  it('a wrong client secret: exit 3 with the secret hint, the refresh token kept', async () => {
    const entry = await cached(-10);
    answer = { status: 401, body: '{"error":"invalid_client","error_description":"client_secret is invalid"}' };
    const run = await token({ CASDOOR_CLIENT_SECRET: 'wrong-secret-value' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('Casdoor refused the request (invalid_client): "client_secret is invalid".');
    expect(run.stderr).toContain('--client-secret / CASDOOR_CLIENT_SECRET');
    expect(JSON.parse(await fs.readFile(file(), 'utf8'))).toEqual(entry);
  });

  it.each([
    ['invalid_grant (HTTP 400)', 400, '{"error":"invalid_grant","error_description":"refresh token is invalid or revoked"}'],
    ["older Casdoor's HTTP-200 shape", 200, '{"status":"error","msg":"refresh token is expired","data":null}'],
  ])('a refresh token Casdoor refused, %s: forgotten, and one line naming the command to log in', async (_name, status, body) => {
    await cached(-10);
    answer = { status, body };
    const run = await token();
    expect(run.code).toBe(3);
    expect(lines(run)).toHaveLength(1);
    expect(run.stderr).toMatch(/the refresh token was refused: .*refresh token is (invalid or revoked|expired).*run "casdoor-kubeconfig token .*" in a terminal, or set CASDOOR_PASSWORD/);
    await expect(fs.stat(file())).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('token: a discovery document with an http endpoint', () => {
  it('is refused before anything is posted: the password never goes out in clear text (exit 5)', async () => {
    answer = { status: 200, body: '{}', insecure: true };
    const run = await token({ CASDOOR_PASSWORD: 'correct-horse-battery' });
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/names token_endpoint "http:\/\/127\.0\.0\.1:\d+\/api\/login\/oauth\/access_token", which is not an https URL/);
    expect(run.all).not.toContain('correct-horse-battery');
    expect(tokenPosts).toEqual([]);
  });
});
