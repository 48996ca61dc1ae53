/**
 * `clean`: every cache entry goes (each printed, no token), dead locks and stale temp files too; live
 * locks and files that are not ours stay; --dry-run deletes nothing and lists the same files.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { cacheDir, cacheFile, type CacheEntry, type CacheKey } from '../../src/token/cache.js';
import type { ProcessProbe } from '../../src/token/lock.js';
import { ensureCacheDir, writeCacheEntry } from '../../src/token/store.js';
import { runCli } from '../helpers/cli.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const ALICE: CacheKey = { issuer: 'https://door.example.com', clientId: 'cid', username: 'alice', ca: '/etc/ca.pem' };
const CI: CacheKey = { issuer: 'https://door.example.com', clientId: 'cid', username: '', grant: 'client-credentials' };
const nowS = (): number => Math.floor(Date.now() / 1000);

let home: TempHome;
let dir: string;
beforeEach(async () => {
  home = await makeTempHome();
  dir = cacheDir(home.home, {});
  await ensureCacheDir(dir);
});
afterEach(async () => {
  await home.cleanup();
});

const put = async (key: CacheKey, over: Partial<CacheEntry> = {}): Promise<string> => {
  const file = cacheFile(dir, key);
  await writeCacheEntry(file, { ...key, idToken: JWT, refreshToken: 'refresh-secret-1', expiresAt: nowS() + 3600, ...over });
  return file;
};
const lockOf = (pid: number): string => JSON.stringify({ pid, host: hostname(), boot: '', start: '', nonce: `n${pid}`, since: Date.now() });

describe('clean', () => {
  it('removes every entry, dead locks and stale temp files; keeps live locks and foreign files; prints no token', async () => {
    const alice = await put(ALICE);
    const ci = await put(CI, { refreshToken: undefined, expiresAt: nowS() - 60 });
    const deadLock = `${alice}.lock`;
    await fs.writeFile(deadLock, lockOf(2 ** 22 + 12345)); // no such pid (beyond pid_max's default)
    const liveLock = `${ci}.lock`;
    await fs.writeFile(liveLock, lockOf(process.pid));
    const temp = path.join(dir, `.${path.basename(alice)}.999.abcd.tmp`);
    await fs.writeFile(temp, '{');
    const old = new Date(Date.now() - 120_000);
    await fs.utimes(temp, old, old);
    const foreign = path.join(dir, 'notes.txt');
    await fs.writeFile(foreign, 'mine');

    const dry = await runCli(['clean', '--dry-run'], { home: home.home });
    expect(dry.code).toBe(0);
    const lines = dry.stdout.trimEnd().split('\n');
    const line = (file: string): string | undefined => lines.find((l) => l.startsWith(`would remove ${file}  `));
    expect(lines).toHaveLength(4);
    expect(line(alice)).toMatch(/ alice at https:\/\/door\.example\.com \(client cid, grant password, CA \/etc\/ca\.pem, with a refresh token, id_token expires .*\(in 60 min\)\)$/);
    expect(line(ci)).toMatch(/ https:\/\/door\.example\.com \(client cid, grant client-credentials, no refresh token, id_token expired .*\(1 min ago\)\)$/);
    expect(line(deadLock)).toBe(`would remove ${deadLock}  lock left behind (process ${2 ** 22 + 12345} is gone)`);
    expect(line(temp)).toBe(`would remove ${temp}  temp file of an interrupted write`);
    expect(dry.stderr).toContain(`Would remove 2 cached token entries and 2 leftover lock/temp files from ${dir} (dry run: nothing was deleted).`);
    expect(dry.stderr).toContain(`Kept ${liveLock}: held by process ${process.pid}`);
    expect((await fs.readdir(dir)).length).toBe(6);

    // The live lock is another process's refresh: clean waits for it (shortened here through the
    // use case), then deletes the entry anyway.
    const { runClean } = await import('../../src/usecases/clean.js');
    const { Output } = await import('../../src/ports/output.js');
    let stdout = '';
    let stderr = '';
    const out = new Output({ env: { NO_COLOR: '1' }, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
    const result = await runClean({ dryRun: false }, { out, homeDir: home.home, env: {}, now: () => new Date(), lockWaitMs: 50 });
    expect(result.items.map((i) => i.file).sort()).toEqual([alice, ci, deadLock, temp].sort());
    expect((await fs.readdir(dir)).sort()).toEqual([path.basename(liveLock), 'notes.txt'].sort());
    expect(stdout.split('\n').filter((l) => l.startsWith('removed '))).toHaveLength(4);
    expect(stderr).toContain(`${path.basename(ci)} is locked by a refresh or login in progress; deleting it anyway.`);
    expect(stderr).toContain('Removed 2 cached token entries and 2 leftover lock/temp files');
    for (const text of [dry.all, stdout, stderr]) {
      expect(text).not.toContain(JWT);
      expect(text).not.toContain('refresh-secret-1');
    }
  });

  it('an empty or missing cache: says so, exit 0', async () => {
    const empty = await runCli(['clean'], { home: home.home });
    expect({ code: empty.code, stdout: empty.stdout }).toEqual({ code: 0, stdout: '' });
    expect(empty.stderr).toBe(`No cached tokens in ${dir}.\n`);
    const missing = await runCli(['clean'], { home: home.home, env: { CASDOOR_KUBECONFIG_CACHE_DIR: home.path('nowhere') } });
    expect(missing.code).toBe(0);
    expect(missing.stderr).toBe(`No cached tokens: ${home.path('nowhere')} does not exist.\n`);
  });

  it('a lock of another host is kept while young (its holder cannot be checked)', async () => {
    const file = await put(ALICE);
    await fs.writeFile(`${file}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere.example', boot: '', start: '', nonce: 'x', since: Date.now() }));
    const probe: ProcessProbe = { hostname: () => 'here', bootId: () => '', startOf: () => undefined, alive: () => false };
    const { runClean } = await import('../../src/usecases/clean.js');
    const { Output } = await import('../../src/ports/output.js');
    const out = new Output({ env: {}, stdout: { write: () => true }, stderr: { write: () => true } });
    const result = await runClean({ dryRun: true }, { out, homeDir: home.home, env: {}, now: () => new Date(), probe });
    expect(result.kept.map((k) => k.description)).toEqual(['held by process 1 on elsewhere.example: a refresh or login is running']);
  });
});
