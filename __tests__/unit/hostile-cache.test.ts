/**
 * Issue 10, point 12: the exec plugin's cache is trusted only when the folder and the file are the
 * user's and nobody else can write to them, on the hot path (tryCachedToken) as on the full path; and
 * a folder the tool did not create is never chmod-ed.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { exitCodeFor } from '../../src/errors.js';
import { cacheDir, cacheFile, readCacheEntry, untrustedReason, type CacheKey } from '../../src/token/cache.js';
import { tryCachedToken } from '../../src/token/fast.js';
import { ensureCacheDir, writeCacheEntry } from '../../src/token/store.js';
import { runCli } from '../helpers/cli.js';
import { rejected } from '../helpers/errors.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

const KEY: CacheKey = { issuer: 'https://door.example.com', clientId: 'cid', username: 'alice' };
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWNhY2hl';
const ARGS = ['--casdoor-url', KEY.issuer, '--client-id', KEY.clientId, '--username', KEY.username];

let home: TempHome;
let dir: string;
let file: string;
beforeEach(async () => {
  home = await makeTempHome('hostile-cache-');
  dir = cacheDir(home.home, {});
  file = cacheFile(dir, KEY);
  await ensureCacheDir(dir);
  await writeCacheEntry(file, { ...KEY, idToken: JWT, expiresAt: Math.floor(Date.now() / 1000) + 3600 });
});
afterEach(async () => {
  await home.cleanup();
});

const served = (): string | undefined => {
  let out: string | undefined;
  return tryCachedToken(ARGS, {}, (s) => (out = s), Date.now(), () => home.home) ? out : undefined;
};

describe('12. cache folder trust', () => {
  it('a private folder and file are served from the cache', () => {
    expect(served()).toContain(JWT);
  });

  it.each([0o777, 0o770, 0o1777])('a folder with mode %o (others can write) is not trusted: no token served, and its mode is left as it is', async (mode) => {
    await fs.chmod(dir, mode);
    expect(untrustedReason(dir, 'folder')).toMatch(/^writable by (everyone|its group)/);
    // The hot path reads the folder that holds the token: it writes nothing at all, so no token either.
    const written: string[] = [];
    expect(tryCachedToken(ARGS, {}, (s) => written.push(s), Date.now(), () => home.home)).toBe(false);
    expect(written).toEqual([]);
    expect(readCacheEntry(file, KEY)).toBeUndefined();
    const err = await rejected(ensureCacheDir(dir));
    expect(exitCodeFor(err.code)).toBe(6);
    expect(err.message).toContain(`the token cache folder ${dir} is writable by`);
    expect(err.message).toContain('does not change the mode of a folder it did not create');
    expect((await fs.stat(dir)).mode & 0o7777).toBe(mode);
  });

  it('a cache file others can write, or a symbolic link in its place, is not trusted', async () => {
    await fs.chmod(file, 0o666);
    expect(served()).toBeUndefined();
    await fs.chmod(file, 0o600);
    expect(served()).toContain(JWT);
    const elsewhere = home.path('planted.json');
    await fs.rename(file, elsewhere);
    await fs.symlink(elsewhere, file);
    expect(untrustedReason(file, 'file')).toBe('not a regular file');
    expect(served()).toBeUndefined();
  });

  it('an existing private folder with a looser read mode is used and not chmod-ed', async () => {
    await fs.chmod(dir, 0o755);
    await ensureCacheDir(dir);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o755);
    expect(served()).toContain(JWT);
  });

  it('a folder owned by another user is not trusted', () => {
    const uid = process.getuid?.() ?? 0;
    expect(untrustedReason(dir, 'folder', uid + 1)).toBe(`owned by another user (uid ${uid})`);
  });
});

/**
 * Issue 10, point 8, on the hot path: the cache file is only JSON on disk (the slow path writes expiresAt
 * from a verified token, bounded to year 9999 by oidc/claims-sanity.ts), so tryCachedToken may meet any
 * number there. It must never print "Invalid Date", NaN or a nonsense expirationTimestamp.
 */
describe('8. absurd expiresAt in a cache file read by the hot path', () => {
  const withExpiry = async (expiresAtJson: string): Promise<{ answered: boolean; written: string[] }> => {
    const text = JSON.stringify({ ...KEY, idToken: JWT, expiresAt: 0 }).replace('"expiresAt":0', `"expiresAt":${expiresAtJson}`);
    await fs.writeFile(file, text, { mode: 0o600 });
    const written: string[] = [];
    const answered = tryCachedToken(ARGS, {}, (s) => written.push(s), Date.now(), () => home.home);
    for (const w of written) expect(w).not.toMatch(/Invalid Date|NaN|Infinity|null/);
    return { answered, written };
  };

  it.each([
    ['negative', '-1'],
    ['hugely negative', '-1e300'],
    ['NaN as JSON writes it (null)', 'null'],
    ['NaN as text (not JSON)', 'NaN'],
    ['a string', '"9999999999"'],
    // Beyond what an id_token's exp may hold (claims-sanity.ts): a corrupt entry, not a token to serve for ever.
    ['1e300', '1e300'],
    ['1e400 (Infinity once parsed)', '1e400'],
    ['year 10000', '253402300800'],
  ])('%s: the entry is ignored (the full path takes over), nothing printed', async (_label, json) => {
    expect(await withExpiry(json)).toEqual({ answered: false, written: [] });
  });

  it('the full path ignores it too: no "Invalid time value" or stack trace, even with --verbose', async () => {
    await withExpiry('1e300');
    const run = await runCli(['token', ...ARGS, '--verbose'], { home: home.home });
    expect(run.all).not.toMatch(/Invalid time value|Invalid Date|NaN|\n\s+at /);
    expect(run.all).not.toContain(JWT);
    expect(run.code).not.toBe(1);
  });

  it('the largest expiry a Date can print (year 9999) is printed as such', async () => {
    const { answered, written } = await withExpiry('253402300799');
    expect(answered).toBe(true);
    expect(JSON.parse(written[0]!).status.expirationTimestamp).toBe('9999-12-31T23:59:59Z');
  });
});
