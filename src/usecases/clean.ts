/**
 * `clean`: forgets every token the exec plugin has cached, in one step. Only the files this tool makes
 * in its cache folder are touched (`<16 hex>.json` entries, their locks and temp files), since the folder
 * may be one the user chose (CASDOOR_KUBECONFIG_CACHE_DIR). Each entry is deleted under its lock, so that
 * a refresh in flight cannot write it back afterwards; a lock whose holder is alive is left in place.
 * Tokens are not revoked at Casdoor (it has no revocation endpoint; `logout` ends the session there).
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Output } from '../ports/output.js';
import { CliError, errnoOf } from '../errors.js';
import { cacheDir, type CacheEntry, type CacheKey } from '../token/cache.js';
import { deadHolder, LockBusyError, parseOwner, realProbe, TAKEOVER_LOCK_STALE_MS, takeOver, type ProcessProbe } from '../token/lock.js';
import { keyringAccount, openKeyring, type SecretStore } from '../token/keyring.js';
import { deleteCacheEntry, withCacheLock } from '../token/store.js';
import { describeExpiry } from '../describe-expiry.js';

/** How long `clean` waits for a refresh in flight before deleting its entry anyway (as logout does). */
export const CLEAN_LOCK_WAIT_MS = 5000;
/** A temp file older than this was left by a write that died (a write takes milliseconds). */
const STALE_TEMP_MS = 60_000;

export interface CleanInput {
  dryRun: boolean;
}

export interface CleanDeps {
  out: Output;
  homeDir: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  lockWaitMs?: number;
  probe?: ProcessProbe;
  /** The OS keychain (tests inject one); opened only when an entry keeps its refresh token there. */
  keyring?: () => Promise<SecretStore>;
}

export type CleanKind = 'entry' | 'lock' | 'temp';

export interface CleanItem {
  file: string;
  kind: CleanKind;
  /** What it is, for people (never a token). */
  description: string;
  /** Entries: whose tokens they are (for lock messages). */
  key?: CacheKey;
  /** Locks: the text judged dead (removed only if the lock still holds it). */
  lockText?: string;
  /** Entries of --token-cache-storage keyring: the refresh token's keychain item goes too. */
  keyring?: boolean;
}

export interface CleanResult {
  dir: string;
  /** Removed, or (dry run) to be removed. */
  items: CleanItem[];
  /** Locks of live processes, left in place. */
  kept: CleanItem[];
}

const ENTRY = /^[0-9a-f]{16}\.json$/;
const LOCK = /^[0-9a-f]{16}\.json\.lock(\.takeover)?$/;
const TEMP = /^\.[0-9a-f]{16}\.json(\.lock)?\..+\.tmp$/;

function describeEntry(file: string, now: Date): { description: string; key?: CacheKey; keyring?: boolean } {
  let e: Partial<CacheEntry>;
  try {
    e = JSON.parse(readFileSync(file, 'utf8')) as Partial<CacheEntry>;
  } catch {
    return { description: 'unreadable or malformed entry' };
  }
  if (typeof e.issuer !== 'string' || typeof e.clientId !== 'string') return { description: 'malformed entry' };
  const who = `${e.username ? `${e.username} at ` : ''}${e.issuer}`;
  const parts = [`client ${e.clientId}`, `grant ${e.grant ?? 'password'}`];
  if (Array.isArray(e.scopes) && e.scopes.length) parts.push(`scopes ${e.scopes.join(' ')}`);
  if (e.resource) parts.push(`resource ${e.resource}`);
  if (e.ca) parts.push(`CA ${e.ca}`);
  const inKeyring = e.refreshTokenIn === 'keyring';
  parts.push(e.refreshToken ? 'with a refresh token' : inKeyring ? `refresh token in the OS keyring (service casdoor-kubeconfig, account ${keyringAccount(file)})` : 'no refresh token');
  if (typeof e.expiresAt === 'number') parts.push(`id_token ${e.expiresAt * 1000 > now.getTime() ? 'expires' : 'expired'} ${describeExpiry(new Date(e.expiresAt * 1000), now)}`);
  return { description: `${who} (${parts.join(', ')})`, key: { issuer: e.issuer, clientId: e.clientId, username: typeof e.username === 'string' ? e.username : '' }, ...(inKeyring ? { keyring: true } : {}) };
}

function readFileOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function listDir(dir: string): Promise<string[] | undefined> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw new CliError('kubeconfig', `cannot read the token cache folder ${dir}${errnoOf(err) ? ` (${errnoOf(err)})` : ''}.`, {
      hint: 'Check the permissions of ~/.kube/cache/casdoor-kubeconfig (or CASDOOR_KUBECONFIG_CACHE_DIR).',
      cause: err,
    });
  }
}

async function removeFile(file: string): Promise<void> {
  try {
    await fs.unlink(file);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw new CliError('kubeconfig', `cannot delete ${file}${errnoOf(err) ? ` (${errnoOf(err)})` : ''}.`, {
      hint: 'Check the permissions of ~/.kube/cache/casdoor-kubeconfig (or CASDOOR_KUBECONFIG_CACHE_DIR).',
      cause: err,
    });
  }
}

export async function runClean(input: CleanInput, deps: CleanDeps): Promise<CleanResult> {
  const { out } = deps;
  const dir = cacheDir(deps.homeDir, deps.env);
  const names = await listDir(dir);
  const result: CleanResult = { dir, items: [], kept: [] };
  if (names === undefined) {
    out.info(`No cached tokens: ${dir} does not exist.`);
    return result;
  }
  const now = deps.now();
  const probe = deps.probe ?? realProbe;
  for (const name of names.filter((n) => ENTRY.test(n))) {
    const file = path.join(dir, name);
    result.items.push({ file, kind: 'entry', ...describeEntry(file, now) });
  }
  const leftovers = async (): Promise<void> => {
    for (const name of (await listDir(dir)) ?? []) {
      const file = path.join(dir, name);
      if (LOCK.test(name)) {
        let text = '';
        let mtimeMs = 0;
        try {
          text = readFileSync(file, 'utf8');
          mtimeMs = (await fs.stat(file)).mtimeMs;
        } catch {
          continue; // gone meanwhile
        }
        if (name.endsWith('.takeover')) {
          // Held for microseconds by a run taking over a dead lock: one older than that was interrupted.
          if (now.getTime() - mtimeMs > TAKEOVER_LOCK_STALE_MS) result.items.push({ file, kind: 'lock', description: 'lock left behind (an interrupted lock takeover)' });
          continue;
        }
        const owner = parseOwner(text);
        const dead = deadHolder(owner, mtimeMs, now.getTime(), probe);
        if (dead === undefined) result.kept.push({ file, kind: 'lock', description: `held by process ${owner?.pid ?? '?'}${owner ? ` on ${owner.host}` : ''}: a refresh or login is running` });
        else result.items.push({ file, kind: 'lock', description: `lock left behind (${dead})`, lockText: text });
      } else if (TEMP.test(name)) {
        const st = await fs.stat(file).catch(() => undefined);
        if (st && now.getTime() - st.mtimeMs > STALE_TEMP_MS) result.items.push({ file, kind: 'temp', description: 'temp file of an interrupted write' });
      }
    }
  };

  // Judged before anything is deleted, so that a dry run and a real one list the same files.
  await leftovers();
  const verb = input.dryRun ? 'would remove' : 'removed';
  const print = (item: CleanItem): void => out.data(`${verb} ${item.file}  ${item.description}`);
  if (input.dryRun) {
    result.items.forEach(print);
  } else {
    const waitMs = deps.lockWaitMs ?? CLEAN_LOCK_WAIT_MS;
    const removed: CleanItem[] = [];
    for (const item of result.items) {
      if (item.kind === 'entry') {
        // Under the entry's lock, so that a refresh in flight cannot write it back after us (a dead
        // holder's lock is taken over, and so goes too); a lock held longer than the wait (a login in
        // another terminal) does not stop the clean.
        const key = item.key ?? { issuer: path.basename(item.file), clientId: '', username: '' };
        // The keychain item first: a failure there (no Secret Service) leaves the file that names it.
        const forget = async (): Promise<void> => {
          if (item.keyring) await (await (deps.keyring ?? openKeyring)()).delete(keyringAccount(item.file));
          await deleteCacheEntry(item.file);
        };
        await withCacheLock(item.file, key, waitMs, forget, { warn: (l) => out.warn(l) }).catch(async (err: unknown) => {
          // withCacheLock's "is locked" error carries the lock's LockBusyError as its cause.
          if (!(err instanceof CliError) || !(err.cause instanceof LockBusyError)) throw err;
          out.warn(`${path.basename(item.file)} is locked by a refresh or login in progress; deleting it anyway.`);
          await forget();
        });
      } else if (item.lockText !== undefined) {
        // A dead holder's lock goes the way `token` takes one over: only if it still is the lock judged
        // dead (a run may have replaced it with its own meanwhile, and then it stays). Already gone: the
        // entry's deletion above took it over.
        if (readFileOrUndefined(item.file) !== undefined && !takeOver(item.file, item.lockText, now.getTime())) continue;
      } else {
        await removeFile(item.file);
      }
      removed.push(item);
      print(item);
    }
    result.items = removed;
  }
  for (const item of result.kept) out.warn(`Kept ${item.file}: ${item.description}.`);
  const count = result.items.filter((i) => i.kind === 'entry').length;
  const other = result.items.length - count;
  const what = `${count} cached token ${count === 1 ? 'entry' : 'entries'}${other ? ` and ${other} leftover lock/temp file${other === 1 ? '' : 's'}` : ''}`;
  if (result.items.length === 0) out.info(`No cached tokens in ${dir}.`);
  else if (input.dryRun) out.info(`Would remove ${what} from ${dir} (dry run: nothing was deleted).`);
  else out.step(`Removed ${what} from ${dir}; kubectl logs in again on the next use of an exec context.`);
  return result;
}
