/**
 * A token-cache lock that cannot be removed must not pass silently: every later refresh of the entry
 * would wait for it and fail. Removing a file cannot be made to fail for root (these tests may run as
 * root), so the lock module is replaced by one whose release fails the way unlink does (EACCES).
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { CliError } from '../../src/errors.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

const released: string[] = [];
jest.unstable_mockModule('../../src/token/lock.js', () => ({
  LockBusyError: class extends Error {},
  acquireCacheLock: async (file: string) => {
    const path = `${file}.lock`;
    await fs.writeFile(path, '', { flag: 'wx' });
    return {
      path,
      owner: { pid: process.pid, host: 'here', boot: '', start: '', nonce: 'n', since: Date.now() },
      release: async () => {
        released.push(path);
        throw Object.assign(new Error(`EACCES: permission denied, unlink '${path}'`), { code: 'EACCES' });
      },
    };
  },
}));

const { withCacheLock, ensureCacheDir, writeCacheEntry } = await import('../../src/token/store.js');
const { cacheDir, cacheFile } = await import('../../src/token/cache.js');
const { obtainToken } = await import('../../src/usecases/token.js');
const { runLogout } = await import('../../src/usecases/logout.js');
const { Output } = await import('../../src/ports/output.js');

const KEY = { issuer: 'https://door.example.com', clientId: 'cid', username: 'alice' };
let home: TempHome;
let file: string;
beforeEach(async () => {
  home = await makeTempHome();
  const dir = cacheDir(home.home, {});
  await ensureCacheDir(dir);
  file = cacheFile(dir, KEY);
  released.length = 0;
});
afterEach(async () => {
  await home.cleanup();
});

describe('a cache lock that cannot be removed', () => {
  it('without a place to warn: thrown once the work succeeded, naming the lock and how to remove it', async () => {
    const err = (await withCacheLock(file, KEY, 100, async () => 'done').catch((e: unknown) => e)) as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(err.code).toBe('kubeconfig');
    expect(err.message).toBe(`could not remove the token cache lock ${file}.lock (EACCES).`);
    expect(err.hint).toBe(`Delete ${file}.lock by hand: until then every refresh or login for alice at https://door.example.com waits for it and fails.`);
    expect(released).toEqual([`${file}.lock`]);
  });

  it('with a warning sink: the work stands and the warning names the lock', async () => {
    const warnings: string[] = [];
    await expect(withCacheLock(file, KEY, 100, async () => 'done', { warn: (l) => warnings.push(l) })).resolves.toBe('done');
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`could not remove the token cache lock ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.lock \\(EACCES\\)\\. Delete .* by hand`))]);
  });

  it("the work's own failure wins, and the lock is still reported", async () => {
    const warnings: string[] = [];
    const boom = new Error('refresh failed');
    await expect(withCacheLock(file, KEY, 100, async () => Promise.reject(boom), { warn: (l) => warnings.push(l) })).rejects.toBe(boom);
    expect(warnings).toHaveLength(1);
    await expect(withCacheLock(file.replace('.json', '-2.json'), KEY, 100, async () => Promise.reject(boom))).rejects.toBe(boom);
  });

  it('token: the credential still goes to kubectl, and stderr says which lock to delete', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    await writeCacheEntry(file, { ...KEY, idToken: 'id.token.value', refreshToken: 'r', expiresAt: nowS + 3600 });
    let stderr = '';
    let calls = 0;
    const got = await obtainToken(
      { casdoorUrl: KEY.issuer, clientId: KEY.clientId, username: 'alice', grant: 'password' },
      {
        out: new Output({ env: { NO_COLOR: '1' }, stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } }),
        // The first look (without the lock) finds the token stale; under the lock it is fresh again, as
        // when another process has just refreshed it.
        now: () => new Date(calls++ === 0 ? (nowS + 7200) * 1000 : nowS * 1000),
        interactive: false,
        openUrl: async () => undefined,
        env: {},
        homeDir: home.home,
        makeHttp: () => {
          throw new Error('no network expected');
        },
      },
    );
    expect(got.source).toBe('cache');
    expect(stderr).toContain(`could not remove the token cache lock ${file}.lock (EACCES). Delete ${file}.lock by hand`);
  });

  it('logout: the cached tokens are deleted once, and the lock left behind is only a warning', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    await writeCacheEntry(file, { ...KEY, idToken: 'id.token.value', refreshToken: 'r', expiresAt: nowS + 3600 });
    const args = ['token', '--casdoor-url', KEY.issuer, '--client-id', KEY.clientId, '--username', KEY.username];
    const kubeconfig = await home.write(
      'kubeconfig',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'k', cluster: { server: 'https://k.example:6443' } }],
        users: [{ name: 'alice', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'casdoor-kubeconfig', args } } }],
        contexts: [{ name: 'alice@k', context: { cluster: 'k', user: 'alice' } }],
        'current-context': 'alice@k',
      }),
    );
    let stderr = '';
    const result = await runLogout(
      { kubeconfig, remove: false },
      {
        out: new Output({ env: { NO_COLOR: '1' }, stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } }),
        env: {},
        homeDir: home.home,
        cwd: home.home,
        now: () => new Date(),
        // Casdoor unreachable: signing out is only a warning, the local tokens go regardless.
        makeHttp: () => ({ get: async () => Promise.reject(new Error('offline')), postForm: async () => Promise.reject(new Error('offline')), close: async () => undefined }),
      },
    );
    expect(result.cacheDeleted).toBe(true);
    await expect(fs.stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(stderr).toContain(`could not remove the token cache lock ${file}.lock (EACCES). Delete ${file}.lock by hand`);
    expect(stderr).toContain(`Deleted the cached tokens (${file}).`);
    expect(stderr).not.toContain('Deleting the cached tokens anyway');
    expect(released).toEqual([`${file}.lock`]);
  });
});
