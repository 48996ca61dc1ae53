/**
 * `logout`: end the Casdoor session (end_session_endpoint with id_token_hint; a failure there is only
 * a warning: the local tokens go away regardless), delete the exec plugin's cached tokens, clear
 * id-token/refresh-token from an auth-provider entry, and with `remove` delete the context and the
 * user and cluster it alone used.
 */
import type { Output } from '../cli/output.js';
import { CliError } from '../errors.js';
import { discover } from '../oidc/discovery.js';
import type { HttpClient } from '../oidc/http.js';
import { removeFromKubeconfig, type RemoveResult } from '../kubeconfig/remove.js';
import { updateUserEntry } from '../kubeconfig/update.js';
import { loadMergedView } from '../kubeconfig/view.js';
import { readCacheEntry } from '../token/cache.js';
import { registerSecret } from '../redact.js';
import { deleteCacheEntry, withCacheLock } from '../token/store.js';
import { withAuthProviderTokens } from './entries.js';
import { resolveEntry, type ResolvedEntry } from './refresh.js';
import { cacheFileOf, keyOf } from './token.js';

/** Logging out should not hang on a stuck refresh: after this, the entry is deleted without the lock. */
const LOGOUT_LOCK_WAIT_MS = 5000;

export interface LogoutInput {
  context?: string | undefined;
  kubeconfig?: string | undefined;
  remove: boolean;
}

export interface LogoutDeps {
  out: Output;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  cwd: string;
  now: () => Date;
  makeHttp: (caPem?: string) => HttpClient;
  lockWaitMs?: number;
}

export interface LogoutResult {
  contextName: string;
  /** The end-session request got a non-error answer. */
  sessionEnded: boolean;
  cacheDeleted: boolean;
  tokensCleared: boolean;
  removed?: RemoveResult;
}

/** GET end_session_endpoint?id_token_hint=…&client_id=…; returns whether Casdoor accepted it. Never throws. */
export async function endSession(http: HttpClient, issuer: string, clientId: string, idToken: string, out: Output): Promise<boolean> {
  try {
    const meta = await discover(http, issuer);
    if (!meta.end_session_endpoint) {
      out.warn(`Casdoor at ${issuer} announces no end_session_endpoint: the browser session (if any) stays signed in.`);
      return false;
    }
    const url = new URL(meta.end_session_endpoint);
    url.searchParams.set('id_token_hint', idToken);
    url.searchParams.set('client_id', clientId);
    const res = await http.get(url.href, 'end session');
    if (res.status >= 400) {
      out.warn(`Casdoor answered HTTP ${res.status} to the sign-out; the local tokens are removed anyway.`);
      return false;
    }
    return true;
  } catch (err) {
    out.warn(`Could not reach Casdoor to sign out (${err instanceof Error ? err.message : String(err)}); the local tokens are removed anyway.`);
    return false;
  }
}

export async function runLogout(input: LogoutInput, deps: LogoutDeps): Promise<LogoutResult> {
  const { out } = deps;
  const view = await loadMergedView({ kubeconfigFlag: input.kubeconfig, env: deps.env, homeDir: deps.homeDir });
  const entry = await resolveEntry(view, input.context, deps.cwd);
  const result: LogoutResult = { contextName: entry.contextName, sessionEnded: false, cacheDeleted: false, tokensCleared: false };

  // 1. End the session at Casdoor, with whatever id_token we hold.
  const target = sessionTarget(entry, deps);
  if (target.idToken) {
    const http = deps.makeHttp(target.caPem);
    try {
      result.sessionEnded = await endSession(http, target.issuer, target.clientId, target.idToken, out);
    } finally {
      await http.close();
    }
    if (result.sessionEnded) out.step(`Signed out of Casdoor at ${target.issuer}.`);
  } else {
    out.info('No token is stored for this context: nothing to sign out of at Casdoor.');
  }

  // 2. Forget the tokens locally.
  if (entry.auth.kind === 'exec') {
    const key = keyOf(entry.auth.token);
    const file = cacheFileOf(key, deps);
    // Under the entry's lock, so that a refresh in flight cannot write the tokens back after us. A lock
    // that cannot be removed after the delete is only warned about: the tokens are gone all the same.
    result.cacheDeleted = await withCacheLock(file, key, deps.lockWaitMs ?? LOGOUT_LOCK_WAIT_MS, () => deleteCacheEntry(file), {
      warn: (line) => out.warn(line),
    }).catch((err: unknown) => {
      if (!(err instanceof CliError)) throw err;
      out.warn(`${err.message} Deleting the cached tokens anyway.`);
      return deleteCacheEntry(file);
    });
    out.step(result.cacheDeleted ? `Deleted the cached tokens (${file}).` : 'No cached tokens to delete.');
  }
  if (input.remove) {
    result.removed = await removeFromKubeconfig({
      kubeconfigFlag: input.kubeconfig,
      env: deps.env,
      homeDir: deps.homeDir,
      context: entry.contextName,
      user: entry.userName,
      ...(entry.clusterName ? { cluster: entry.clusterName } : {}),
      now: deps.now,
    });
    for (const f of result.removed.files) {
      out.step(`Updated ${f.file}${f.backup ? ` (previous version saved as ${f.backup})` : ''}:`);
      for (const ch of f.changes.filter((c) => c.action !== 'unchanged')) out.info(`  ${ch.action.padEnd(8)} ${ch.kind} ${ch.name || '(none)'}`);
    }
    for (const k of result.removed.kept) out.info(`Kept ${k.kind} ${k.name}: still used by ${k.usedBy.map((c) => `context ${c}`).join(', ')}.`);
  } else if (entry.auth.kind === 'auth-provider' && (entry.auth.idToken || entry.auth.refreshToken)) {
    // Cleared in the entry as the file holds it under the lock: a refresh that ended since we read it
    // has stored new tokens, and those are the ones to forget (every other key stays as it is now).
    const written = await updateUserEntry(entry.user.file, entry.userName, async (current) => current && withAuthProviderTokens(current, undefined), { now: deps.now });
    if (written.found) {
      result.tokensCleared = true;
      out.step(`Cleared the tokens of user ${entry.userName} in ${written.file}.`);
    } else {
      out.info(`User ${entry.userName} is no longer defined in ${written.file}: no tokens to clear.`);
    }
  }
  out.info(
    input.remove
      ? `Context ${entry.contextName} is gone.`
      : `To log in again: casdoor-kubeconfig refresh --context ${entry.contextName}${entry.auth.kind === 'exec' ? ' (or just run kubectl in a terminal)' : ''}`,
  );
  return result;
}

function sessionTarget(entry: ResolvedEntry, deps: Pick<LogoutDeps, 'homeDir' | 'env'>): { issuer: string; clientId: string; idToken?: string; caPem?: string } {
  if (entry.auth.kind === 'auth-provider') {
    const a = entry.auth;
    return { issuer: a.issuer, clientId: a.clientId, ...(a.idToken ? { idToken: a.idToken } : {}), ...(a.caPem ? { caPem: a.caPem } : {}) };
  }
  const t = entry.auth.token;
  const key = keyOf(t);
  const cached = readCacheEntry(cacheFileOf(key, deps), key);
  registerSecret(cached?.idToken);
  registerSecret(cached?.refreshToken);
  return { issuer: t.casdoorUrl, clientId: t.clientId, ...(cached ? { idToken: cached.idToken } : {}), ...(t.casdoorCaPem ? { caPem: t.casdoorCaPem } : {}) };
}
