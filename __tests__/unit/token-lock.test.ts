/**
 * The token cache lock (src/token/lock.ts): who holds it is written into it, a dead holder's lock is
 * taken over at once, a live one's is waited for, and a takeover never removes a lock it did not judge.
 * The operating system is injected (ProcessProbe) except in the last tests, which use the real one.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promises as fs, writeFileSync } from 'node:fs';
import {
  acquireCacheLock,
  deadHolder,
  LockBusyError,
  OWNERLESS_LOCK_STALE_MS,
  ownerOf,
  parseOwner,
  realProbe,
  startTimeFromStat,
  TAKEOVER_LOCK_STALE_MS,
  UNCHECKABLE_LOCK_STALE_MS,
  type LockOwner,
  type ProcessProbe,
} from '../../src/token/lock.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

const NOW = 1_800_000_000_000;

/** A machine with processes 100 (started at tick 5000) and 200 (tick 7000), booted as boot-A, named here. */
function probe(over: Partial<ProcessProbe> = {}): ProcessProbe {
  const starts: Record<number, string> = { 100: '5000', 200: '7000' };
  return {
    hostname: () => 'here',
    bootId: () => 'boot-A',
    startOf: (pid) => starts[pid],
    alive: (pid) => pid in starts,
    ...over,
  };
}
const owner = (over: Partial<LockOwner> = {}): LockOwner => ({ pid: 100, host: 'here', boot: 'boot-A', start: '5000', nonce: 'n1', since: NOW - 1000, ...over });

describe('who holds the lock', () => {
  it('reads the start time after the last ")" of /proc/<pid>/stat, whatever the command name holds', () => {
    const tail = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 19 20';
    expect(startTimeFromStat(`1234 (node) ${tail}`)).toBe('424242');
    expect(startTimeFromStat(`1234 (a) b ) (c) ${tail}`)).toBe('424242');
    expect(startTimeFromStat('1234 (short) S 1')).toBeUndefined();
  });

  it('parses an owner, and nothing from an empty or foreign lock file', () => {
    expect(parseOwner(JSON.stringify(owner()))).toEqual(owner());
    expect(parseOwner('')).toBeUndefined();
    expect(parseOwner('{"pid":"100"}')).toBeUndefined();
    expect(parseOwner(JSON.stringify({ ...owner(), pid: -1 }))).toBeUndefined();
  });

  it('judges a holder dead when its process is gone, its pid was reused, or the machine restarted', () => {
    const p = probe();
    expect(deadHolder(owner(), NOW, NOW, p)).toBeUndefined();
    expect(deadHolder(owner({ pid: 300 }), NOW, NOW, p)).toBe('process 300 is gone');
    expect(deadHolder(owner({ start: '4999' }), NOW, NOW, p)).toBe('process 100 is gone (its pid now belongs to another process)');
    expect(deadHolder(owner({ boot: 'boot-B' }), NOW, NOW, p)).toBe('process 100 ran before this machine restarted');
    // Without start times (not Linux), a live pid counts as the holder.
    expect(deadHolder(owner({ start: '' }), NOW, NOW, probe({ startOf: () => undefined, bootId: () => '' }))).toBeUndefined();
  });

  it("another host's lock and an ownerless lock count as dead only once older than any login could take", () => {
    const p = probe();
    expect(deadHolder(owner({ host: 'there', pid: 999 }), NOW, NOW, p)).toBeUndefined();
    expect(deadHolder(owner({ host: 'there', since: NOW - UNCHECKABLE_LOCK_STALE_MS - 1 }), NOW, NOW, p)).toBe('a lock of host there, 10 min old');
    expect(deadHolder(undefined, NOW - 1000, NOW, p)).toBeUndefined();
    expect(deadHolder(undefined, NOW - OWNERLESS_LOCK_STALE_MS - 1000, NOW, p)).toBe('a lock without an owner, 61 s old');
  });
});

describe('acquireCacheLock', () => {
  let home: TempHome;
  let file: string;
  beforeEach(async () => {
    home = await makeTempHome();
    file = home.path('entry.json');
  });
  afterEach(async () => {
    await home.cleanup();
  });
  const lockOf = async (): Promise<LockOwner | undefined> => parseOwner(await fs.readFile(`${file}.lock`, 'utf8'));

  it('writes its owner into the lock, and removes only its own lock on release', async () => {
    const lock = await acquireCacheLock(file, 100, { probe: probe(), pid: 200, now: () => NOW });
    expect(await lockOf()).toEqual({ ...lock.owner, pid: 200, host: 'here', boot: 'boot-A', start: '7000', since: NOW });
    expect((await fs.stat(`${file}.lock`)).mode & 0o777).toBe(0o600);
    await lock.release();
    await expect(fs.stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });

    const second = await acquireCacheLock(file, 100, { probe: probe(), pid: 200 });
    const other = JSON.stringify(owner({ nonce: 'someone-else' }));
    await fs.writeFile(`${file}.lock`, other);
    await second.release();
    expect(await fs.readFile(`${file}.lock`, 'utf8')).toBe(other);
    // No temp files are left next to the lock.
    expect((await fs.readdir(home.home)).filter((f) => f.includes('entry'))).toEqual(['entry.json.lock']);
  });

  it("takes over a dead holder's lock without waiting, and says why", async () => {
    await fs.writeFile(`${file}.lock`, JSON.stringify(owner({ pid: 300 })));
    const reasons: string[] = [];
    let rounds = 0;
    const lock = await acquireCacheLock(file, 0, { probe: probe({ alive: (pid) => (rounds++, pid !== 300) }), pid: 200, onTakeover: (r) => reasons.push(r) });
    expect(reasons).toEqual(['process 300 is gone']);
    expect((await lockOf())?.pid).toBe(200);
    expect(rounds).toBe(1); // one look at the dead holder; our own lock was created on the next try
    await lock.release();
  });

  it("waits for a live holder's lock and then names the holder; the lock stays", async () => {
    const held = owner({ pid: 100 });
    await fs.writeFile(`${file}.lock`, JSON.stringify(held));
    const err = await acquireCacheLock(file, 50, { probe: probe(), pid: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockBusyError);
    expect((err as LockBusyError).owner).toEqual(held);
    expect(await lockOf()).toEqual(held);
  });

  it('a takeover in progress elsewhere (the takeover lock) is respected until it is itself stale', async () => {
    await fs.writeFile(`${file}.lock`, JSON.stringify(owner({ pid: 300 })));
    await fs.writeFile(`${file}.lock.takeover`, '');
    const err = await acquireCacheLock(file, 30, { probe: probe(), pid: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockBusyError);
    expect((await lockOf())?.pid).toBe(300);
    // A takeover lock left by a process killed in the middle: ignored once stale, then the dead lock goes.
    const old = new Date(Date.now() - TAKEOVER_LOCK_STALE_MS - 5000);
    await fs.utimes(`${file}.lock.takeover`, old, old);
    const lock = await acquireCacheLock(file, 1000, { probe: probe(), pid: 200 });
    expect((await lockOf())?.pid).toBe(200);
    expect((await fs.readdir(home.home)).filter((f) => f.includes('entry'))).toEqual(['entry.json.lock']);
    await lock.release();
  });

  it('never removes a lock that changed after it was judged dead: the new holder keeps it', async () => {
    const dead = JSON.stringify(owner({ pid: 300 }));
    const fresh = JSON.stringify(owner({ pid: 100, nonce: 'fresh' }));
    await fs.writeFile(`${file}.lock`, dead);
    // The probe answers "dead" for 300, and in that very moment another process has taken the dead lock
    // over and created its own (synchronously, as it would land between judging and removing).
    const p = probe({
      alive: (pid) => {
        if (pid === 300) writeFileSync(`${file}.lock`, fresh);
        return pid !== 300;
      },
    });
    const err = await acquireCacheLock(file, 30, { probe: p, pid: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockBusyError);
    expect(await fs.readFile(`${file}.lock`, 'utf8')).toBe(fresh);
  });

  it('many takers of one dead lock: one holder at a time, and the dead lock is taken over once', async () => {
    await fs.writeFile(`${file}.lock`, JSON.stringify(owner({ pid: 300 })));
    const p = probe({ alive: (pid) => pid !== 300 });
    const reasons: string[] = [];
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const lock = await acquireCacheLock(file, 10_000, { probe: p, pid: 200, onTakeover: (r) => reasons.push(r) });
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setImmediate(r));
        inside--;
        await lock.release();
      }),
    );
    expect(most).toBe(1);
    expect(reasons).toEqual(['process 300 is gone']);
  });
});

describe('the real probe', () => {
  it('knows this process, and knows an exited one is gone', async () => {
    expect(realProbe.alive(process.pid)).toBe(true);
    const child = execFile(process.execPath, ['-e', '0']);
    const pid = child.pid as number;
    await new Promise((r) => child.once('exit', r));
    expect(realProbe.alive(pid)).toBe(false);
    const me = ownerOf(realProbe, process.pid, Date.now());
    expect(deadHolder(me, Date.now(), Date.now(), realProbe)).toBeUndefined();
    expect(deadHolder({ ...me, pid }, Date.now(), Date.now(), realProbe)).toBe(`process ${pid} is gone`);
    if (process.platform === 'linux') {
      expect(me.start).toMatch(/^\d+$/);
      expect(me.boot).toMatch(/^[0-9a-f-]{36}$/);
    } else {
      console.warn(`token-lock.test: not Linux (${process.platform}): process start times and boot ids are not checked here`);
    }
  });
});
