/** The exec plugin's cache: file modes, atomic writes, the lock, the hot path, and the re-read under the lock. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Output } from '../../src/ports/output.js';
import { CliError } from '../../src/errors.js';
import type { HttpClient } from '../../src/oidc/http.js';
import { acquireCacheLock } from '../../src/token/lock.js';
import { cacheDir, cacheFile, fnv1a64, keyText, readCacheEntry, REFRESH_LEEWAY_SECONDS, type CacheEntry, type CacheKey } from '../../src/token/cache.js';
import { EXEC_V1, EXEC_V1BETA1, renderToken } from '../../src/token/exec-credential.js';
import { cacheKeyFromArgs, tryCachedToken } from '../../src/token/fast.js';
import { ensureCacheDir, withCacheLock, writeCacheEntry } from '../../src/token/store.js';
import { keyOf, obtainToken, type TokenDeps, type TokenInput } from '../../src/usecases/token.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

const KEY: CacheKey = { issuer: 'https://door.example.com', clientId: 'cid', username: 'alice' };
const ARGS = ['--casdoor-url', KEY.issuer, '--client-id', KEY.clientId, '--username', 'alice'];
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const nowS = (): number => Math.floor(Date.now() / 1000);
const entry = (over: Partial<CacheEntry> = {}): CacheEntry => ({ ...KEY, idToken: JWT, refreshToken: 'refresh-1', expiresAt: nowS() + 3600, ...over });

let home: TempHome;
let dir: string;
let file: string;
beforeEach(async () => {
  home = await makeTempHome();
  dir = cacheDir(home.home, {});
  file = cacheFile(dir, KEY);
});
afterEach(async () => {
  await home.cleanup();
});

describe('cache files', () => {
  it('live under ~/.kube/cache/casdoor-kubeconfig, one per issuer + client id + username', () => {
    expect(dir).toBe(path.join(home.home, '.kube', 'cache', 'casdoor-kubeconfig'));
    expect(cacheFile(dir, { ...KEY, username: 'bob' })).not.toBe(file);
    expect(cacheFile(dir, { ...KEY, clientId: 'other' })).not.toBe(file);
    expect(cacheDir(home.home, { CASDOOR_KUBECONFIG_CACHE_DIR: '/x/y' })).toBe('/x/y');
    expect(path.basename(file)).toMatch(/^[0-9a-f]{16}\.json$/);
  });
  it('one file per cache key: grant, scopes, resource and CA each make another entry; scope order does not', () => {
    const files = [
      KEY,
      { ...KEY, grant: 'browser' },
      { ...KEY, grant: 'client-credentials' },
      { ...KEY, scopes: ['openid', 'groups'] },
      { ...KEY, resource: 'https://k8s-a.example.com' },
      { ...KEY, ca: '/etc/casdoor-ca.pem' },
      { ...KEY, issuer: `${KEY.issuer}/` },
    ].map((k) => cacheFile(dir, k));
    expect(new Set(files).size).toBe(files.length);
    // The defaults are what absent flags mean; scopes are a set.
    expect(cacheFile(dir, { ...KEY, grant: 'password', scopes: [], resource: '', ca: '' })).toBe(file);
    expect(keyText({ ...KEY, scopes: ['b', 'a', 'a'] })).toBe(keyText({ ...KEY, scopes: ['a', 'b'] }));
  });
  it('an entry is only read back for exactly its key (a colliding or hand-copied file is a miss)', async () => {
    await ensureCacheDir(dir);
    const withCa = { ...KEY, ca: '/etc/casdoor-ca.pem' };
    // Written under the CA-less key's file name, but holding another key's entry.
    await writeCacheEntry(file, { ...entry(), ...withCa });
    expect(readCacheEntry(file, KEY)).toBeUndefined();
    expect(readCacheEntry(file, withCa)?.idToken).toBe(JWT);
    await fs.writeFile(file, JSON.stringify({ ...entry(), scopes: 'openid' }));
    expect(readCacheEntry(file, { ...KEY, scopes: ['openid'] })).toBeUndefined();
  });
  it('the hot path and the slow path build the same key from the same exec args', () => {
    const args = { 'casdoor-url': KEY.issuer, 'client-id': 'cid', username: 'alice', grant: 'device', 'casdoor-ca': 'ca.pem' };
    const fast = cacheKeyFromArgs(args, '/work');
    expect(fast).toEqual({ issuer: KEY.issuer, clientId: 'cid', username: 'alice', grant: 'device', scopes: [], resource: '', ca: '/work/ca.pem' });
    const slow = keyOf({ casdoorUrl: KEY.issuer, clientId: 'cid', username: 'alice', grant: 'device', casdoorCaFile: '/work/ca.pem' });
    expect(keyText(slow)).toBe(keyText(fast as CacheKey));
    expect(cacheKeyFromArgs({ ...args, scope: ['groups openid', 'email,groups'] })?.scopes).toEqual(['groups', 'openid', 'email', 'groups']);
  });
  it('names files with FNV-1a 64 (no node:crypto on the hot path)', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });
  it('are written atomically with mode 0600; an existing folder keeps its mode (not ours to change)', async () => {
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    await fs.chmod(dir, 0o755);
    await ensureCacheDir(dir);
    await writeCacheEntry(file, entry());
    await writeCacheEntry(file, entry({ idToken: `${JWT}x` }));
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o755);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(dir)).toEqual([path.basename(file)]);
    expect(readCacheEntry(file, KEY)?.idToken).toBe(`${JWT}x`);
    expect(readCacheEntry(file, { ...KEY, username: 'bob' })).toBeUndefined();
    // The key given as its keyText (the hot path computes it once) names the same file and entry.
    expect(cacheFile(dir, keyText(KEY))).toBe(file);
    expect(readCacheEntry(file, keyText(KEY))?.idToken).toBe(`${JWT}x`);
    expect(readCacheEntry(file, keyText({ ...KEY, username: 'bob' }))).toBeUndefined();
  });
});

describe('the hot path (src/token/fast.ts)', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}, nowMs = Date.now()) => {
    let out = '';
    const hit = tryCachedToken(args, env, (s) => void (out += s), nowMs, () => home.home);
    return { hit, out };
  };
  it('answers a fresh entry with an ExecCredential v1, or v1beta1 when KUBERNETES_EXEC_INFO asks, or the raw token', async () => {
    await ensureCacheDir(dir);
    const e = entry();
    await writeCacheEntry(file, e);
    const v1 = run(ARGS);
    expect(v1.hit).toBe(true);
    expect(JSON.parse(v1.out)).toEqual({
      kind: 'ExecCredential',
      apiVersion: EXEC_V1,
      spec: {},
      status: { token: JWT, expirationTimestamp: new Date(e.expiresAt * 1000).toISOString().replace('.000', '') },
    });
    const info = JSON.stringify({ kind: 'ExecCredential', apiVersion: EXEC_V1BETA1, spec: { interactive: false } });
    expect(JSON.parse(run(ARGS, { KUBERNETES_EXEC_INFO: info }).out).apiVersion).toBe(EXEC_V1BETA1);
    expect(run([...ARGS, '--raw']).out).toBe(`${JWT}\n`);
    expect(renderToken(e, { execInfo: info })).toBe(run(ARGS, { KUBERNETES_EXEC_INFO: info }).out);
  });
  it(`passes to the full command within ${REFRESH_LEEWAY_SECONDS} s of expiry, without a cache, for another user, or on odd flags`, async () => {
    await ensureCacheDir(dir);
    await writeCacheEntry(file, entry({ expiresAt: nowS() + REFRESH_LEEWAY_SECONDS - 5 }));
    expect(run(ARGS).hit).toBe(false);
    await writeCacheEntry(file, entry());
    expect(run(ARGS.slice(0, 4)).hit).toBe(false);
    expect(run([...ARGS, '--help']).hit).toBe(false);
    expect(run([...ARGS, 'extra']).hit).toBe(false);
    expect(run(ARGS, { CASDOOR_KUBECONFIG_CACHE_DIR: home.path('elsewhere') }).hit).toBe(false);
  });
  it('--token-cache-storage: keyring answers from the file like disk (the id_token is there); none never answers from a file', async () => {
    await ensureCacheDir(dir);
    await writeCacheEntry(file, { ...entry(), refreshTokenIn: 'keyring' });
    expect(run([...ARGS, '--token-cache-storage', 'keyring']).hit).toBe(true);
    expect(run([...ARGS, '--token-cache-storage', 'disk']).hit).toBe(true);
    // A file left by another storage must not answer for an entry that keeps nothing.
    expect(run([...ARGS, '--token-cache-storage', 'none']).hit).toBe(false);
  });
});

describe('the entry lock', () => {
  it("a lock someone else holds: waits, then a token-cache message naming the lock, which stays", async () => {
    await ensureCacheDir(dir);
    await fs.writeFile(`${file}.lock`, '');
    const started = Date.now();
    const err = await withCacheLock(file, KEY, 300, async () => 'ran').catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toMatch(/token cache entry of alice at https:\/\/door\.example\.com is locked/);
    expect((err as CliError).hint).toContain(`${file}.lock`);
    await expect(fs.stat(`${file}.lock`)).resolves.toBeTruthy();
  });
});

function deps(over: Partial<TokenDeps> = {}): TokenDeps & { stderr: () => string } {
  let stderr = '';
  const io = { env: { NO_COLOR: '1' }, stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } };
  return {
    out: new Output(io),
    now: () => new Date(),
    interactive: false,
    openUrl: async () => undefined,
    env: {},
    homeDir: home.home,
    makeHttp: (): HttpClient => {
      throw new Error('no network expected');
    },
    stderr: () => stderr,
    ...over,
  };
}

const INPUT: TokenInput = { casdoorUrl: KEY.issuer, clientId: KEY.clientId, username: 'alice', grant: 'password' };

describe('obtainToken', () => {
  it('re-reads the cache after taking the lock: a token refreshed meanwhile is used, with no network', async () => {
    await ensureCacheDir(dir);
    await writeCacheEntry(file, entry({ expiresAt: nowS() - 10 }));
    const held = await acquireCacheLock(file, 1000);
    const pending = obtainToken(INPUT, deps());
    // Another process finishes its refresh while this one waits for the lock.
    await new Promise((r) => setTimeout(r, 100));
    await writeCacheEntry(file, entry({ idToken: `${JWT}fresh` }));
    await held.release();
    const got = await pending;
    expect(got.source).toBe('cache');
    expect(got.entry.idToken).toBe(`${JWT}fresh`);
  });
  it('without a cache, a terminal or a password: ONE line saying which command to run', async () => {
    const closed: string[] = [];
    const d = deps({ makeHttp: () => ({ get: async () => Promise.reject(new Error('x')), postForm: async () => Promise.reject(new Error('x')), close: async () => void closed.push('x') }) });
    const err = (await obtainToken(INPUT, d).catch((e: unknown) => e)) as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(err.code).toBe('login');
    expect(err.hint).toBeUndefined();
    expect(err.message).not.toContain('\n');
    expect(err.message).toContain(`run "casdoor-kubeconfig token --casdoor-url ${KEY.issuer} --client-id cid --username alice" in a terminal, or set CASDOOR_PASSWORD`);
    expect(d.stderr()).toBe('');
    expect(closed).toEqual(['x']);
  });
});
