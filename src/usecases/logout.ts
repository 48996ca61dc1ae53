/**
 * `logout`: end the Casdoor session (end_session_endpoint with id_token_hint; a failure there is only
 * a warning: the local tokens go away regardless), delete the exec plugin's cached tokens, clear
 * id-token/refresh-token from an auth-provider entry, and with `remove` delete the context and the
 * user and cluster it alone used.
 *
 * Casdoor's end session (controllers/account.go Logout) reads `id_token_hint` from the query or the
 * form: it goes in a POST body, so that no proxy or access log records the token in a URL. Casdoor looks
 * the hint up as an access token (object.ExpireTokenByAccessToken; its access token is the id_token) and
 * expires that token record, which kills its refresh token (RefreshToken refuses `ExpiresIn <= 0`), and
 * sends back-channel logout to the applications of that session. It answers HTTP 200 either way: `{"status":
 * "ok"}` or `{"status":"error","msg":"Token not found, invalid accessToken"}` (older releases: also
 * "Missing parameter: post_logout_redirect_uri" when only the hint is sent): only "ok" is a sign-out.
 * It clears no cookie of the browser that signed in, and the id_token stays valid for the API server
 * (which never asks Casdoor) until its `exp`.
 */
import type { Output } from '../ports/output.js';
import { CliError } from '../errors.js';
import { discover } from '../oidc/discovery.js';
import type { HttpClient } from '../oidc/http.js';
import { removeFromKubeconfig, type RemoveResult } from '../kubeconfig/remove.js';
import { scrubBackups, type ScrubResult } from '../kubeconfig/scrub-backups.js';
import { updateUserEntry } from '../kubeconfig/update.js';
import { loadMergedView } from '../kubeconfig/view.js';
import { readCacheEntry, type CacheKey } from '../token/cache.js';
import { redact, registerSecret } from '../redact.js';
import { deletePendingTokens, pendingFileOf } from '../token/pending.js';
import { withCacheLock } from '../token/store.js';
import { withAuthProviderTokens } from './entries.js';
import { resolveEntry, unverifiedClaims, type ResolvedEntry } from './refresh.js';
import { describeExpiry } from '../describe-expiry.js';
import { cacheFileOf, forgetCachedTokens, keyOf } from './token.js';

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
  /** Our backups of the user's file rewritten without its tokens, and those that could not be. */
  backups?: ScrubResult;
}

/** What Casdoor's end-session endpoint answered (pure): signed out, or why not, in Casdoor's words. */
export function parseEndSession(status: number, text: string): { ok: true } | { ok: false; why: string } {
  // A redirect is the post_logout_redirect_uri branch: the token was expired before it.
  if (status >= 300 && status < 400) return { ok: true };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (status >= 400) return { ok: false, why: `HTTP ${status}${typeof b?.msg === 'string' && b.msg ? `: "${redact(b.msg)}"` : ''}` };
  if (b?.status === 'ok') return { ok: true };
  if (b?.status === 'error') return { ok: false, why: typeof b.msg === 'string' && b.msg ? `"${redact(b.msg)}"` : 'an error without a message' };
  return { ok: false, why: `HTTP ${status} without Casdoor's {"status": …} answer` };
}

/** Why Casdoor may not know the token, for "Token not found". */
const TOKEN_NOT_FOUND_WHY =
  'Casdoor no longer knows this token: it was refreshed since (the old one is deleted), signed out already, or issued by another Casdoor.';

/**
 * POSTs id_token_hint to end_session_endpoint; returns whether Casdoor confirmed the sign-out
 * ({"status":"ok"}). Never throws: the local tokens are removed whatever Casdoor says.
 */
export async function endSession(http: HttpClient, issuer: string, idToken: string, out: Output): Promise<boolean> {
  try {
    const meta = await discover(http, issuer);
    if (!meta.end_session_endpoint) {
      out.warn(`Casdoor at ${issuer} announces no end_session_endpoint: the token stays valid at Casdoor until it expires.`);
      return false;
    }
    const res = await http.postForm(meta.end_session_endpoint, { id_token_hint: idToken }, 'end session');
    const answer = parseEndSession(res.status, res.text);
    if (!answer.ok) {
      const notFound = /token not found/i.test(answer.why) ? ` ${TOKEN_NOT_FOUND_WHY}` : '';
      out.warn(`Casdoor did not sign this token out (${answer.why}).${notFound} The local tokens are removed anyway.`);
      return false;
    }
    return true;
  } catch (err) {
    out.warn(`Could not reach Casdoor to sign out (${err instanceof Error ? err.message : String(err)}); the local tokens are removed anyway.`);
    return false;
  }
}

/** What a confirmed sign-out ended, and what it did not (controllers/account.go Logout). */
export function describeSignOut(issuer: string, idToken: string | undefined, now: Date): string[] {
  const exp = idToken ? unverifiedClaims(idToken).exp : undefined;
  const until = typeof exp === 'number' && exp * 1000 > now.getTime() ? ` until ${describeExpiry(new Date(exp * 1000), now)}` : ' until it expires';
  return [
    `Signed out of Casdoor at ${issuer}: Casdoor expired this login's token, so its refresh token no longer works, and told the other applications of that session (back-channel logout).`,
    `Not ended: your Casdoor sign-in in the browser (sign out there as well), and the id_token itself, which the API server accepts${until} (it does not ask Casdoor).`,
  ];
}

export async function runLogout(input: LogoutInput, deps: LogoutDeps): Promise<LogoutResult> {
  const { out } = deps;
  const view = await loadMergedView({ kubeconfigFlag: input.kubeconfig, env: deps.env, homeDir: deps.homeDir });
  const entry = await resolveEntry(view, input.context, deps.cwd);
  const result: LogoutResult = { contextName: entry.contextName, sessionEnded: false, cacheDeleted: false, tokensCleared: false };

  // 1. End the session at Casdoor, with whatever id_token we hold.
  const cache = execCacheOf(entry, deps);
  const target = sessionTarget(entry, cache);
  if (target.idToken) {
    const http = deps.makeHttp(target.caPem);
    try {
      result.sessionEnded = await endSession(http, target.issuer, target.idToken, out);
    } finally {
      await http.close();
    }
    if (result.sessionEnded) {
      const [ended, notEnded] = describeSignOut(target.issuer, target.idToken, deps.now());
      out.step(ended as string);
      out.info(notEnded as string);
    }
  } else {
    out.info('No token is stored for this context: nothing to sign out of at Casdoor.');
  }

  // 2. Forget the tokens locally.
  let sharedBy: string[] | undefined;
  // Cleared in the entry as the file holds it under the lock: a refresh that ended since we read it
  // has stored new tokens, and those are the ones to forget (every other key stays as it is now).
  const clearTokens = async (): Promise<void> => {
    const written = await updateUserEntry(entry.user.file, entry.userName, async (current) => current && withAuthProviderTokens(current, undefined), { now: deps.now });
    if (written.found) {
      result.tokensCleared = true;
      out.step(`Cleared the tokens of user ${entry.userName} in ${written.file}.`);
    } else {
      out.info(`User ${entry.userName} is no longer defined in ${written.file}: no tokens to clear.`);
    }
  };
  if (cache) {
    const { key, file } = cache;
    // Under the entry's lock, so that a refresh in flight cannot write the tokens back after us. A lock
    // that cannot be removed after the delete is only warned about: the tokens are gone all the same.
    result.cacheDeleted = await withCacheLock(file, key, deps.lockWaitMs ?? LOGOUT_LOCK_WAIT_MS, () => forgetCachedTokens(file, key), {
      warn: (line) => out.warn(line),
    }).catch((err: unknown) => {
      if (!(err instanceof CliError)) throw err;
      out.warn(`${err.message} Deleting the cached tokens anyway.`);
      return forgetCachedTokens(file, key);
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
    const keptUser = result.removed.kept.find((k) => k.kind === 'user');
    if (keptUser) {
      // The same login serves the other contexts: forgetting it signs them out too, and saying only
      // "context … is gone" would hide that the user (and, unless cleared, its tokens) stays.
      sharedBy = keptUser.usedBy;
      if (entry.auth.kind === 'auth-provider' && (entry.auth.idToken || entry.auth.refreshToken)) await clearTokens();
    }
  } else if (entry.auth.kind === 'auth-provider' && (entry.auth.idToken || entry.auth.refreshToken)) {
    await clearTokens();
  }
  if (entry.auth.kind === 'auth-provider') {
    // Tokens a refresh could not write and kept for the next run (token/pending.ts) are the live session.
    const pending = pendingFileOf({ issuer: entry.auth.issuer, clientId: entry.auth.clientId, file: entry.user.file, user: entry.userName }, deps);
    if (await deletePendingTokens(pending)) out.step(`Deleted the tokens an earlier refresh had kept in ${pending}.`);
    const secrets = [entry.auth.idToken, entry.auth.refreshToken].filter((s): s is string => typeof s === 'string');
    result.backups = await scrubBackups(entry.user.file, entry.userName, secrets);
    reportBackups(result.backups, entry.userName, out);
  }
  if (input.remove && sharedBy) {
    const one = sharedBy.length === 1;
    out.warn(
      `Context ${entry.contextName} is gone, but not its user ${entry.userName}: ${sharedBy.map((c) => `context ${c}`).join(', ')} still use${one ? 's' : ''} it, and ${one ? 'is' : 'are'} signed out as well (the same login; its tokens are gone). To log in there again: casdoor-kubeconfig refresh --context ${sharedBy[0] ?? ''}`,
    );
  } else {
    out.info(
      input.remove
        ? `Context ${entry.contextName} is gone.`
        : `To log in again: casdoor-kubeconfig refresh --context ${entry.contextName}${entry.auth.kind === 'exec' ? ' (or just run kubectl in a terminal)' : ''}`,
    );
  }
  return result;
}

/** What happened to the backups that held the tokens; a backup still holding them is listed with what to do. */
function reportBackups(r: ScrubResult, user: string, out: Output): void {
  if (r.scrubbed.length) out.step(`Removed the tokens of user ${user} from ${r.scrubbed.length} backup${r.scrubbed.length === 1 ? '' : 's'}: ${r.scrubbed.join(', ')}.`);
  if (!r.failed.length) return;
  out.warn(
    [
      `${r.failed.length === 1 ? 'This backup still holds' : 'These backups still hold'} tokens of user ${user}:`,
      ...r.failed.map((f) => `  ${f.file} (${f.why})`),
      `Delete ${r.failed.length === 1 ? 'it' : 'them'} (rm ${r.failed.map((f) => `'${f.file}'`).join(' ')}), or remove the id-token and refresh-token lines of user ${user} from ${r.failed.length === 1 ? 'it' : 'them'} by hand.`,
    ].join('\n'),
  );
}

/** An exec entry's token cache key and file; undefined for an auth-provider entry. */
function execCacheOf(entry: ResolvedEntry, deps: Pick<LogoutDeps, 'homeDir' | 'env'>): { key: CacheKey; file: string } | undefined {
  if (entry.auth.kind !== 'exec') return undefined;
  const key = keyOf(entry.auth.token);
  return { key, file: cacheFileOf(key, deps) };
}

/** Where to sign out and with which id_token: the entry's own, or (exec) the cached one. */
function sessionTarget(entry: ResolvedEntry, cache: { key: CacheKey; file: string } | undefined): { issuer: string; idToken?: string; caPem?: string } {
  if (entry.auth.kind === 'auth-provider') {
    const a = entry.auth;
    return { issuer: a.issuer, ...(a.idToken ? { idToken: a.idToken } : {}), ...(a.caPem ? { caPem: a.caPem } : {}) };
  }
  const t = entry.auth.token;
  const cached = cache ? readCacheEntry(cache.file, cache.key) : undefined;
  registerSecret(cached?.idToken);
  registerSecret(cached?.refreshToken);
  return { issuer: t.casdoorUrl, ...(cached ? { idToken: cached.idToken } : {}), ...(t.casdoorCaPem ? { caPem: t.casdoorCaPem } : {}) };
}
