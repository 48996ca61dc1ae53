/**
 * Logging out forgets everywhere (issue 10, point 10): our backups of a kubeconfig
 * (`<file>.casdoor-kubeconfig-backup-<stamp>`, backup.ts) still hold the id-token and refresh-token of
 * the user just logged out. Each backup that holds them is rewritten without them (the user's
 * auth-provider id-token/refresh-token removed, every other byte's meaning kept), 0600, atomically
 * (temp file + rename: a backup is never left half-written). A backup that cannot be rewritten (not
 * YAML, a symlink, a write error) is reported, never silently left: the caller lists it with what to do.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { CliError } from '../errors.js';
import { backupPattern } from './backup.js';
import { errnoOf, readKubeconfigFile } from './io.js';
import type { KubeconfigDoc, NamedUser } from './model.js';
import { serializeKubeconfig } from './model.js';

const TOKEN_KEYS = ['id-token', 'refresh-token'] as const;

export interface ScrubResult {
  /** Backups rewritten without the tokens. */
  scrubbed: string[];
  /** Backups that still hold them, with why. */
  failed: Array<{ file: string; why: string }>;
}

/**
 * Pure: `doc` without the tokens of user `name`, and without any of `secrets` as a token of another
 * oidc user (a renamed copy of the entry). Undefined when nothing had to change.
 */
export function withoutUserTokens(doc: KubeconfigDoc, name: string, secrets: readonly string[]): KubeconfigDoc | undefined {
  let changed = false;
  const users = (Array.isArray(doc.users) ? doc.users : []).map((u: NamedUser) => {
    const config = u?.user?.['auth-provider']?.config;
    if (!config || typeof config !== 'object') return u;
    const mine = u.name === name || TOKEN_KEYS.some((k) => typeof config[k] === 'string' && secrets.includes(config[k]));
    if (!mine || !TOKEN_KEYS.some((k) => k in config)) return u;
    const next: Record<string, string> = { ...config };
    for (const k of TOKEN_KEYS) delete next[k];
    changed = true;
    return { ...u, user: { ...u.user, 'auth-provider': { ...u.user['auth-provider'], config: next } } } as NamedUser;
  });
  return changed ? { ...doc, users } : undefined;
}

/** Our backups of `file`, oldest first (the names sort by time). */
export async function listBackups(file: string): Promise<string[]> {
  const dir = path.dirname(file);
  const pattern = backupPattern(file);
  const names = await fs.readdir(dir).catch((err: unknown) => {
    if (errnoOf(err) === 'ENOENT') return [] as string[];
    throw err;
  });
  return names.filter((n) => pattern.test(n)).sort().map((n) => path.join(dir, n));
}

/**
 * Rewrites every backup of `file` that holds tokens of user `name` (or any of `secrets`) without them.
 * Backups that hold none are left byte-identical. Never throws for one backup: it goes into `failed`.
 */
export async function scrubBackups(file: string, name: string, secrets: readonly string[]): Promise<ScrubResult> {
  const result: ScrubResult = { scrubbed: [], failed: [] };
  let backups: string[];
  try {
    backups = await listBackups(file);
  } catch (err) {
    result.failed.push({ file: `${file}.casdoor-kubeconfig-backup-*`, why: `cannot list the folder (${errnoOf(err) ?? String(err)})` });
    return result;
  }
  const known = secrets.filter((s) => s.length > 0);
  for (const backup of backups) {
    let text = '';
    try {
      const st = await fs.lstat(backup);
      // A symlink with a backup's name is not ours: never read or write through it.
      if (st.isSymbolicLink()) {
        result.failed.push({ file: backup, why: 'it is a symbolic link, not a backup written by casdoor-kubeconfig' });
        continue;
      }
      if (!st.isFile()) continue;
      const loaded = await readKubeconfigFile(backup);
      text = loaded.raw.toString('utf8');
      const next = withoutUserTokens(loaded.doc, name, known);
      if (!next) {
        if (known.some((s) => text.includes(s))) result.failed.push({ file: backup, why: 'the token is there outside the user entry' });
        continue;
      }
      const out = serializeKubeconfig(next);
      if (known.some((s) => out.includes(s))) {
        result.failed.push({ file: backup, why: 'the token is also there outside the user entry' });
        continue;
      }
      await writeFileAtomic(backup, out, { mode: 0o600 });
      await fs.chmod(backup, 0o600);
      result.scrubbed.push(backup);
    } catch (err) {
      const code = errnoOf(err instanceof CliError ? err.cause : err);
      if (!code && !known.some((s) => text.includes(s))) {
        // Unreadable as a kubeconfig: only worth reporting when it holds the token.
        text = await fs.readFile(backup, 'utf8').catch(() => '');
        if (!known.some((s) => text.includes(s))) continue;
      }
      result.failed.push({ file: backup, why: code ? `cannot rewrite it (${code})` : 'it is not a kubeconfig casdoor-kubeconfig can read' });
    }
  }
  return result;
}
