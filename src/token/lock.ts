/**
 * The token cache's lock: `<entry>.lock`, holding who holds it (pid, the process's start time, the boot
 * and the host), so that a holder that died (SIGKILL, an OOM kill, a crashed or rebooted machine) does
 * not block the next kubectl command: its lock is recognised as dead and taken over at once.
 *
 * Why not the kubeconfig layer's lock (an empty O_EXCL file, kubectl's convention): nothing can tell a
 * lock of a live process from one left by a killed one, so a refresh killed mid-flight made every later
 * kubectl command wait for a minute and then fail. Why not a lock the OS releases (flock): Node has no
 * flock without a native module, and this code runs on the `token` slow path, which must stay light.
 *
 * The lock file is created whole: written to a private temp file, then hard-linked to `<entry>.lock`
 * (link fails when the name exists, like O_EXCL), so a reader never sees a half-written owner. A dead
 * holder's lock is removed only under a second, short-lived lock (`<entry>.lock.takeover`, held for a few
 * synchronous file operations), and only if it still holds the very owner judged dead: two processes that
 * both found it dead cannot remove each other's fresh lock.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, closeSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { undoAtExit } from '../cleanup.js';

export interface LockOwner {
  pid: number;
  host: string;
  /** Linux: /proc/sys/kernel/random/boot_id ('' elsewhere): a lock from before a reboot is dead. */
  boot: string;
  /** Linux: the process's start time in clock ticks since boot (/proc/<pid>/stat field 22; '' elsewhere). */
  start: string;
  /** Unique per lock: what a takeover and a release compare. */
  nonce: string;
  /** ms since the epoch, for messages and for locks whose holder cannot be checked. */
  since: number;
}

/** What the lock asks of the operating system; injected in tests. */
export interface ProcessProbe {
  hostname(): string;
  bootId(): string;
  /** The start time of `pid` as LockOwner.start has it, or undefined when unknown (not Linux, or no such process). */
  startOf(pid: number): string | undefined;
  /** Whether a process with this pid exists (signal 0: ESRCH = none; EPERM = someone else's, alive). */
  alive(pid: number): boolean;
}

/** /proc/<pid>/stat: the command name (field 2) may hold spaces and ')' — fields are counted after the last ')'. */
export function startTimeFromStat(stat: string): string | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

/** The file's text; undefined when it does not exist, '' when it cannot be read (judged as ownerless). */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : '';
  }
}

export const realProbe: ProcessProbe = {
  hostname: () => os.hostname(),
  bootId: () => readText('/proc/sys/kernel/random/boot_id')?.trim() ?? '',
  startOf: (pid) => {
    const stat = readText(`/proc/${pid}/stat`);
    return stat === undefined ? undefined : startTimeFromStat(stat);
  },
  alive: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};

export function ownerOf(probe: ProcessProbe, pid: number, now: number): LockOwner {
  return { pid, host: probe.hostname(), boot: probe.bootId(), start: probe.startOf(pid) ?? '', nonce: randomBytes(8).toString('hex'), since: now };
}

export function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0 || typeof o.host !== 'string' || typeof o.nonce !== 'string' || typeof o.since !== 'number') return undefined;
    return { pid: o.pid, host: o.host, boot: typeof o.boot === 'string' ? o.boot : '', start: typeof o.start === 'string' ? o.start : '', nonce: o.nonce, since: o.since };
  } catch {
    return undefined;
  }
}

/**
 * A lock whose holder cannot be checked: another host's (a home folder shared over NFS), or one without
 * an owner (written by an older version of this tool). It counts as dead once it is older than any
 * login could take (the browser login gives up after 5 minutes).
 */
export const UNCHECKABLE_LOCK_STALE_MS = 10 * 60_000;
/** A lock file with no owner in it (an older version's, or a crash between create and write). */
export const OWNERLESS_LOCK_STALE_MS = 60_000;
/** The takeover lock is held for a few synchronous file operations; older than this, its holder died. */
export const TAKEOVER_LOCK_STALE_MS = 10_000;

/** Why the lock's holder is dead, or undefined when it is (or may be) alive. Pure, given the probe. */
export function deadHolder(owner: LockOwner | undefined, mtimeMs: number, now: number, probe: ProcessProbe): string | undefined {
  if (!owner) return now - mtimeMs > OWNERLESS_LOCK_STALE_MS ? `a lock without an owner, ${Math.round((now - mtimeMs) / 1000)} s old` : undefined;
  if (owner.host !== probe.hostname()) {
    return now - owner.since > UNCHECKABLE_LOCK_STALE_MS ? `a lock of host ${owner.host}, ${Math.round((now - owner.since) / 60_000)} min old` : undefined;
  }
  const boot = probe.bootId();
  if (owner.boot && boot && owner.boot !== boot) return `process ${owner.pid} ran before this machine restarted`;
  if (!probe.alive(owner.pid)) return `process ${owner.pid} is gone`;
  // The pid is in use, but by another process if its start time differs (pids are reused).
  const start = owner.start ? probe.startOf(owner.pid) : undefined;
  if (owner.start && start !== undefined && start !== owner.start) return `process ${owner.pid} is gone (its pid now belongs to another process)`;
  return undefined;
}

export interface CacheLock {
  path: string;
  owner: LockOwner;
  release(): Promise<void>;
}

export interface LockOptions {
  probe?: ProcessProbe;
  pid?: number;
  now?: () => number;
  /** Told when a dead holder's lock was taken over (for --verbose). */
  onTakeover?: (reason: string) => void;
}

/** The lock could not be had within the wait: `owner` is who holds it (undefined: unreadable). */
export class LockBusyError extends Error {
  constructor(
    readonly lockPath: string,
    readonly owner: LockOwner | undefined,
  ) {
    super(`${lockPath} is held${owner ? ` by process ${owner.pid} on ${owner.host} since ${new Date(owner.since).toISOString()}` : ''}`);
  }
}

/** Removes `lockPath` only if it still holds our nonce. */
function removeIfOurs(lockPath: string, nonce: string): void {
  const owner = parseOwner(readText(lockPath) ?? '');
  if (owner?.nonce === nonce) unlinkSync(lockPath);
}

/** Creates `lockPath` holding `owner`, atomically; false when it exists. */
async function tryCreate(lockPath: string, owner: LockOwner): Promise<boolean> {
  const tmp = path.join(path.dirname(lockPath), `.${path.basename(lockPath)}.${owner.nonce}.tmp`);
  await fs.writeFile(tmp, `${JSON.stringify(owner)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(tmp, lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links (some network or FAT volumes): create it in place instead. The
    // empty moment between create and write reads as "no owner", which counts as alive for a minute.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      try {
        await fs.writeFile(lockPath, `${JSON.stringify(owner)}\n`, { mode: 0o600, flag: 'wx' });
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e;
      }
    }
    throw err;
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}

/**
 * Removes the lock if it still holds exactly `text` (the owner judged dead), under the takeover lock.
 * Everything between taking and dropping the takeover lock is synchronous, so only a kill in those few
 * microseconds leaves it behind, and then it counts as dead after TAKEOVER_LOCK_STALE_MS.
 */
export function takeOver(lockPath: string, text: string, now: number): boolean {
  const guard = `${lockPath}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (now - statSync(guard).mtimeMs > TAKEOVER_LOCK_STALE_MS) unlinkSync(guard);
    } catch {
      // Gone meanwhile: the next round tries again.
    }
    return false;
  }
  try {
    if (readText(lockPath) !== text) return false;
    unlinkSync(lockPath);
    return true;
  } finally {
    closeSync(fd);
    unlinkSync(guard);
  }
}

/**
 * Takes `<file>.lock`, waiting up to `waitMs` for a live holder (growing, jittered pauses); a dead holder's
 * lock is taken over without waiting. The folder must exist.
 */
export async function acquireCacheLock(file: string, waitMs: number, options: LockOptions = {}): Promise<CacheLock> {
  const probe = options.probe ?? realProbe;
  const now = options.now ?? Date.now;
  const lockPath = `${file}.lock`;
  const deadline = now() + waitMs;
  let delay = 5;
  // Who we are is worked out once; each attempt writes a fresh nonce and time.
  const self = ownerOf(probe, options.pid ?? process.pid, now());
  for (;;) {
    const owner: LockOwner = { ...self, nonce: randomBytes(8).toString('hex'), since: now() };
    if (await tryCreate(lockPath, owner)) return heldLock(lockPath, owner);
    const text = readText(lockPath);
    if (text === undefined) continue; // released meanwhile: try again at once
    let mtimeMs: number;
    try {
      mtimeMs = statSync(lockPath).mtimeMs;
    } catch {
      continue;
    }
    const current = parseOwner(text);
    const dead = deadHolder(current, mtimeMs, now(), probe);
    if (dead !== undefined && takeOver(lockPath, text, now())) {
      options.onTakeover?.(dead);
      continue;
    }
    const left = deadline - now();
    if (left <= 0) throw new LockBusyError(lockPath, current);
    await sleep(Math.min(left, delay * (0.5 + Math.random())));
    delay = Math.min(delay * 2, 100);
  }
}

function heldLock(lockPath: string, owner: LockOwner): CacheLock {
  // Exiting while held: only our own lock goes; the next run sees a dead holder and takes it over otherwise.
  const forget = undoAtExit(() => removeIfOurs(lockPath, owner.nonce));
  let released = false;
  return {
    path: lockPath,
    owner,
    async release() {
      if (released) return;
      released = true;
      forget();
      // Only our own lock: if it was taken over (it should not be while we live), it is someone else's now.
      removeIfOurs(lockPath, owner.nonce);
    },
  };
}
