/**
 * `refresh`: new tokens for a context's user, in place.
 * - `auth-provider: oidc` entry (written by setup or by hand): refresh with its refresh token against
 *   its idp-issuer-url (client-id, client-secret and idp-certificate-authority(-data) from the entry),
 *   verify the new id_token, and write id-token/refresh-token (lock, backup, atomic write), keeping
 *   every other key of the entry and of the file. The refresh request is made under the kubeconfig
 *   lock, on the refresh token the file holds then (see refreshAuthProvider).
 * - exec entry running `casdoor-kubeconfig token …`: refresh its token cache entry.
 * A dead refresh token (refused, or absent) falls back to a new login.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CliError, usageError } from '../errors.js';
import { updateUserEntry } from '../kubeconfig/update.js';
import type { NamedContext, NamedUser } from '../kubeconfig/model.js';
import type { Found, MergedView } from '../kubeconfig/view.js';
import { loadMergedView } from '../kubeconfig/view.js';
import { isRefreshTokenRefused } from '../oidc/casdoor-errors.js';
import { parseListenAddress } from '../oidc/loopback.js';
import { registerSecret } from '../redact.js';
import { deletePendingTokens, digest, pendingFileOf, readPendingTokens, savePendingTokens, savePendingTokensSync, type PendingKey, type PendingTokens } from '../token/pending.js';
import { registerCleanup } from '../cleanup.js';
import { TOKEN_OPTIONS } from '../token/fast.js';
import { clientSecretLocation, clientSecretAdvice } from './client-secret.js';
import { withAuthProviderTokens, withoutClientSecret } from './entries.js';
import { describeExpiry } from '../describe-expiry.js';
import { openSession, refreshLogin, type VerifiedLogin } from './login.js';
import { GRANTS, loginWithGrant, obtainToken, usernameOf, type GrantType, type TokenDeps, type TokenInput } from './token.js';

// ---- Which entry, and what kind ----------------------------------------------------------------------

export interface AuthProviderAuth {
  kind: 'auth-provider';
  issuer: string;
  clientId: string;
  clientSecret?: string;
  idToken?: string;
  refreshToken?: string;
  /** PEM text from idp-certificate-authority-data or idp-certificate-authority. */
  caPem?: string;
  config: Record<string, string>;
}

export interface ExecAuth {
  kind: 'exec';
  /** The `token` arguments of the entry, as a TokenInput (CA read, no password). */
  token: TokenInput;
}

export interface ResolvedEntry {
  contextName: string;
  context: Found<NamedContext>;
  userName: string;
  user: Found<NamedUser>;
  clusterName?: string;
  auth: AuthProviderAuth | ExecAuth;
}

/** Where in the file a key lives, for messages: users[alice].user.auth-provider.config.client-id. */
const at = (user: string, key: string): string => `users[${user}].user.${key}`;

async function readCa(file: string, what: string, cwd: string): Promise<string> {
  // kubectl resolves idp-certificate-authority (and the plugin its --casdoor-ca) against the working directory.
  const full = path.resolve(cwd, file);
  try {
    return await readFile(full, 'utf8');
  } catch (err) {
    throw new CliError('kubeconfig', `${what}: cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

/** Parses an exec entry's args when it runs our `token`; undefined when it is someone else's plugin. */
export function tokenArgsOf(args: readonly unknown[] | undefined): Record<string, string | boolean | undefined> | undefined {
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) return undefined;
  const i = args.indexOf('token');
  if (i < 0) return undefined;
  try {
    const { values } = parseArgs({ args: args.slice(i + 1) as string[], options: TOKEN_OPTIONS, strict: true, allowPositionals: false });
    return values['casdoor-url'] && values['client-id'] ? (values as Record<string, string | boolean | undefined>) : undefined;
  } catch {
    return undefined;
  }
}

export async function resolveEntry(view: MergedView, contextFlag: string | undefined, cwd: string): Promise<ResolvedEntry> {
  const files = view.files.map((f) => f.file).join(', ') || view.chain.files.join(', ');
  const contextName = contextFlag ?? view.currentContext;
  if (!contextName) throw usageError(`no context given and no current-context is set in ${files}.`, 'Pass --context NAME (kubectl config get-contexts lists them).');
  const context = view.findContext(contextName);
  if (!context) throw usageError(`context "${contextName}" is not defined in ${files}.`, 'kubectl config get-contexts lists the contexts.');
  const userName = context.entry.context?.user;
  if (!userName) throw new CliError('kubeconfig', `contexts[${contextName}].context.user is missing in ${context.file}.`);
  const user = view.findUser(userName);
  if (!user) throw new CliError('kubeconfig', `context "${contextName}" names user "${userName}", which is not defined in ${files}.`);
  const clusterName = context.entry.context?.cluster;
  const base = { contextName, context, userName, user, ...(clusterName ? { clusterName } : {}) };
  const info = user.entry.user ?? {};
  const ap = info['auth-provider'];
  if (ap && ap.name === 'oidc') {
    const config = { ...(ap.config ?? {}) };
    for (const key of ['idp-issuer-url', 'client-id'] as const) {
      if (!config[key]) throw new CliError('kubeconfig', `${at(userName, `auth-provider.config.${key}`)} is missing in ${user.file}.`);
    }
    for (const key of ['client-secret', 'id-token', 'refresh-token']) registerSecret(config[key]);
    let caPem: string | undefined;
    if (config['idp-certificate-authority-data']) {
      caPem = Buffer.from(config['idp-certificate-authority-data'], 'base64').toString('utf8');
      if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
        throw new CliError('kubeconfig', `${at(userName, 'auth-provider.config.idp-certificate-authority-data')} is not base64 of a PEM certificate.`);
      }
    } else if (config['idp-certificate-authority']) {
      caPem = await readCa(config['idp-certificate-authority'], at(userName, 'auth-provider.config.idp-certificate-authority'), cwd);
    }
    return {
      ...base,
      auth: {
        kind: 'auth-provider',
        issuer: config['idp-issuer-url'] as string,
        clientId: config['client-id'] as string,
        ...(config['client-secret'] ? { clientSecret: config['client-secret'] } : {}),
        ...(config['id-token'] ? { idToken: config['id-token'] } : {}),
        ...(config['refresh-token'] ? { refreshToken: config['refresh-token'] } : {}),
        ...(caPem ? { caPem } : {}),
        config,
      },
    };
  }
  const values = tokenArgsOf(info.exec?.args);
  if (info.exec && values) {
    const caFile = typeof values['casdoor-ca'] === 'string' ? path.resolve(cwd, values['casdoor-ca']) : undefined;
    const grant = values.grant as string | undefined;
    if (grant !== undefined && !(GRANTS as readonly string[]).includes(grant)) {
      throw new CliError('kubeconfig', `${at(userName, 'exec.args')}: --grant ${grant} is not one of ${GRANTS.join(', ')}.`);
    }
    const clientSecret = typeof values['client-secret'] === 'string' ? values['client-secret'] : undefined;
    registerSecret(clientSecret);
    return {
      ...base,
      auth: {
        kind: 'exec',
        token: {
          casdoorUrl: values['casdoor-url'] as string,
          clientId: values['client-id'] as string,
          ...(clientSecret ? { clientSecret } : {}),
          ...(caFile ? { casdoorCaFile: caFile, casdoorCaPem: await readCa(caFile, at(userName, 'exec.args --casdoor-ca'), cwd) } : {}),
          grant: (grant as GrantType | undefined) ?? 'password',
          ...(typeof values.username === 'string' ? { username: values.username } : {}),
          ...(typeof values.scope === 'string' && values.scope ? { scope: values.scope } : {}),
          ...(typeof values.resource === 'string' && values.resource ? { resource: values.resource } : {}),
          ...(typeof values['browser-command'] === 'string' ? { browserCommand: values['browser-command'] } : {}),
          ...(values['no-browser'] === true ? { noBrowser: true } : {}),
          // parseArgs gives the repeatable --listen-address as a list.
          ...(Array.isArray(values['listen-address']) ? { listen: (values['listen-address'] as unknown as string[]).map(parseListenAddress) } : {}),
          // Where the entry keeps its tokens: a refresh of a keyring entry must put the new refresh token there too.
          ...(values['token-cache-storage'] === 'keyring' || values['token-cache-storage'] === 'none' ? { storage: values['token-cache-storage'] } : {}),
        },
      },
    };
  }
  throw usageError(
    `user "${userName}" of context "${contextName}" is neither an oidc auth-provider nor a "casdoor-kubeconfig token" exec entry.`,
    'casdoor-kubeconfig manages users written by its setup command (or hand-written auth-provider: oidc users).',
  );
}

/** The claims of a JWT, unverified: only to suggest a username for a new login. */
export function unverifiedClaims(token: string | undefined): Record<string, unknown> {
  const part = token?.split('.')[1];
  if (!part) return {};
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

// ---- refresh -----------------------------------------------------------------------------------------

/**
 * Writes tokens kept by an earlier run whose kubeconfig write failed (token/pending.ts) into the entry,
 * under the lock, and deletes them; returns the entry's auth as it is now. Tokens the entry replaced
 * since (someone logged in meanwhile) win over the kept ones, which are dropped. A write that still
 * fails fails here, before Casdoor is asked for anything, and the kept tokens stay.
 */
async function recoverPendingTokens(entry: ResolvedEntry, auth: AuthProviderAuth, key: PendingKey, file: string, deps: RefreshDeps): Promise<AuthProviderAuth> {
  const pending = await readPendingTokens(file, key);
  if (!pending) return auth;
  let newer = false;
  await updateUserEntry(entry.user.file, entry.userName, async (current) => {
    const config = configUnderLock(current, entry);
    if (digest(config['refresh-token']) !== pending.replaces) {
      newer = true;
      return undefined;
    }
    return withAuthProviderTokens(current as NamedUser, { idToken: pending.idToken, ...(pending.refreshToken ? { refreshToken: pending.refreshToken } : {}) });
  }, { now: deps.now });
  await deletePendingTokens(file);
  if (newer) {
    deps.out.info(`Dropped the tokens an earlier run had kept in ${file}: user ${entry.userName} in ${entry.user.file} has newer ones.`);
    return auth;
  }
  deps.out.step(`Wrote the tokens an earlier run had kept in ${file} (when it could not write ${entry.user.file}) into user ${entry.userName}.`);
  const { idToken: _i, refreshToken: _r, ...rest } = auth;
  return { ...rest, idToken: pending.idToken, ...(pending.refreshToken ? { refreshToken: pending.refreshToken } : {}) };
}

export interface RefreshInput {
  context?: string | undefined;
  kubeconfig?: string | undefined;
  /** For a new login when the refresh token is dead (default: the username in the old token / the entry). */
  username?: string | undefined;
  /** How to log in when the refresh token is dead (default: the exec entry's --grant, else password). */
  grant?: GrantType | undefined;
  password?: string | undefined;
  browserCommand?: string | undefined;
  noBrowser?: boolean | undefined;
  /**
   * Take `client-secret` out of the user entry (or `--client-secret` out of its exec args), in the same
   * write as the new tokens, and refresh without it (see usecases/client-secret.ts for why).
   */
  removeClientSecret?: boolean | undefined;
}

export interface RefreshDeps extends TokenDeps {
  cwd: string;
  /** Tests: runs just before the kubeconfig is replaced (after Casdoor answered), e.g. to make the write fail. */
  writeHook?: (file: string) => Promise<void>;
}

export interface RefreshResult {
  contextName: string;
  userName: string;
  kind: 'auth-provider' | 'exec';
  how: 'refresh' | 'login' | 'cache';
  expiresAt: number;
  file: string;
  /** The entry's client secret was removed (--remove-client-secret). */
  clientSecretRemoved?: boolean;
}

export async function runRefresh(input: RefreshInput, deps: RefreshDeps): Promise<RefreshResult> {
  const view = await loadMergedView({ kubeconfigFlag: input.kubeconfig, env: deps.env, homeDir: deps.homeDir });
  const entry = await resolveEntry(view, input.context, deps.cwd);
  const secretAt = clientSecretLocation(entry.user.entry);
  const result = entry.auth.kind === 'exec' ? await refreshExec(entry, entry.auth, input, deps) : await refreshAuthProvider(entry, entry.auth, input, deps);
  if (secretAt && input.removeClientSecret && entry.auth.kind === 'exec') {
    // The exec refresh writes only the token cache: the entry's args change in a write of their own.
    const written = await updateUserEntry(entry.user.file, entry.userName, async (current) => (current ? withoutClientSecret(current) : undefined), { now: deps.now });
    result.clientSecretRemoved = written.found;
  }
  const verb = result.how === 'login' ? 'Logged in again for' : result.how === 'cache' ? 'Another process had just refreshed' : 'Refreshed the tokens of';
  deps.out.step(`${verb} user ${entry.userName} (context ${entry.contextName}) in ${result.file}; the id_token expires ${describeExpiry(new Date(result.expiresAt * 1000), deps.now())}.`);
  if (result.clientSecretRemoved) deps.out.step(`Removed the client secret from user ${entry.userName} in ${entry.user.file}: nothing needs it, and it is a Casdoor admin credential.`);
  else if (secretAt) deps.out.warn(clientSecretAdvice(secretAt, entry.user.file, entry.contextName));
  return result;
}

async function refreshExec(entry: ResolvedEntry, auth: ExecAuth, input: RefreshInput, deps: RefreshDeps): Promise<RefreshResult> {
  // A client-credentials entry is renewed with the secret from the environment, as `token` is (never from the file).
  const envSecret = auth.token.grant === 'client-credentials' && !auth.token.clientSecret ? deps.env.CASDOOR_CLIENT_SECRET : undefined;
  registerSecret(envSecret);
  const { clientSecret: _dropped, ...kept } = auth.token;
  const token: TokenInput = {
    ...(input.removeClientSecret ? kept : auth.token),
    ...(input.grant ? { grant: input.grant } : {}),
    ...(envSecret ? { clientSecret: envSecret } : {}),
    ...(input.password ? { password: input.password } : {}),
    ...(input.browserCommand ? { browserCommand: input.browserCommand } : {}),
    ...(input.noBrowser ? { noBrowser: true } : {}),
  };
  // --grant changes how to log in, not the entry: the tokens go where the exec args' key puts them.
  const got = await obtainToken(token, deps, { forceRefresh: true, ...(input.grant ? { loginGrant: input.grant } : {}) });
  return { contextName: entry.contextName, userName: entry.userName, kind: 'exec', how: got.source, expiresAt: got.entry.expiresAt, file: got.file };
}

/** The oidc config of the entry as read under the lock; fails when the entry went away meanwhile. */
function configUnderLock(current: NamedUser | undefined, entry: ResolvedEntry): Record<string, string> {
  if (!current) {
    throw new CliError('kubeconfig', `user "${entry.userName}" is no longer defined in ${entry.user.file} (it was removed while refreshing).`);
  }
  const ap = current.user?.['auth-provider'];
  if (ap?.name !== 'oidc') {
    throw new CliError('kubeconfig', `${at(entry.userName, 'auth-provider')} in ${entry.user.file} is no longer an oidc entry (it was changed while refreshing).`);
  }
  const config = { ...(ap.config ?? {}) };
  for (const key of ['client-secret', 'id-token', 'refresh-token']) registerSecret(config[key]);
  return config;
}

/**
 * The refresh itself happens under the kubeconfig lock of the file that defines the user, on the refresh
 * token the file holds at that moment: Casdoor rotates refresh tokens (the old one dies at once), so two
 * runs refreshing the same token would leave all but one with invalid_grant, and a write of an entry read
 * before the lock could put a dead token back. If the token changed since this run read it, another
 * process (ours or kubectl) has just refreshed: its tokens are used as they are, without a request. The
 * lock covers only the token request; discovery happens before it and a new login (prompts, browser)
 * after it, because kubectl cannot save the tokens it refreshes while the lock exists.
 */
async function refreshAuthProvider(entry: ResolvedEntry, given: AuthProviderAuth, input: RefreshInput, deps: RefreshDeps): Promise<RefreshResult> {
  // Tokens an earlier run got from Casdoor but could not write (issue 10, point 9) go in first.
  const pendingKey: PendingKey = { issuer: given.issuer, clientId: given.clientId, file: entry.user.file, user: entry.userName };
  const pendingFile = pendingFileOf(pendingKey, deps);
  const auth = await recoverPendingTokens(entry, given, pendingKey, pendingFile, deps);
  /** What is kept of tokens Casdoor issued in place of the refresh token `replaced`. */
  const pendingOf = (tokens: { idToken: string; refreshToken?: string | undefined }, replaced: string | undefined): PendingTokens => ({
    idToken: tokens.idToken,
    ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
    replaces: digest(replaced),
    savedAt: deps.now().toISOString(),
  });
  /** Casdoor answered, the write failed: the new tokens are the only live session, so they are kept. */
  const keep = async (err: unknown, tokens: { idToken: string; refreshToken?: string | undefined }, replaced: string | undefined): Promise<unknown> => {
    if (!(err instanceof CliError) || err.code !== 'kubeconfig') return err;
    try {
      await savePendingTokens(pendingFile, pendingKey, pendingOf(tokens, replaced));
    } catch (saveErr) {
      return new CliError(err.code, `${err.message} Casdoor had already issued new tokens (and retired the old refresh token), and they could not be kept either (${saveErr instanceof Error ? saveErr.message : String(saveErr)}).`, {
        hint: `The next "casdoor-kubeconfig refresh --context ${entry.contextName}" logs in again once ${entry.user.file} can be written.`,
        cause: err,
      });
    }
    return new CliError(err.code, `${err.message} Casdoor had already issued new tokens (and retired the old refresh token): they are kept in ${pendingFile} (0600, only for you).`, {
      hint: `Once ${entry.user.file} can be written again, run "casdoor-kubeconfig refresh --context ${entry.contextName}": it writes the kept tokens into it first.`,
      cause: err,
    });
  };
  /**
   * From Casdoor's answer until the write: a signal that stops the process must not lose the new tokens
   * either (src/cleanup.ts runs this synchronously before exit 130/143/129). Returns the unregister.
   */
  const keepIfInterrupted = (tokens: { idToken: string; refreshToken?: string | undefined }, replaced: string | undefined): (() => void) =>
    registerCleanup(() => savePendingTokensSync(pendingFile, pendingKey, pendingOf(tokens, replaced)));
  let unkeep: (() => void) | undefined;
  // With --remove-client-secret the secret is not sent either: it may be the stale one.
  const secret = input.removeClientSecret ? undefined : auth.clientSecret;
  const client = { clientId: auth.clientId, ...(secret ? { clientSecret: secret } : {}) };
  const drop = (user: NamedUser): NamedUser => (input.removeClientSecret ? withoutClientSecret(user) ?? user : user);
  let removed = false;
  const http = deps.makeHttp(auth.caPem);
  const result = (how: RefreshResult['how'], expiresAt: number, file: string): RefreshResult => ({
    contextName: entry.contextName,
    userName: entry.userName,
    kind: 'auth-provider',
    how,
    expiresAt,
    file,
    ...(removed ? { clientSecretRemoved: true } : {}),
  });
  /** The entry as it will be written: `next`, without the secret when asked (noted for the message). */
  const finish = (next: NamedUser): NamedUser => {
    const out = drop(next);
    removed ||= out !== next;
    return out;
  };
  try {
    const session = await openSession(http, auth.issuer);
    let reason = 'the entry has no refresh token';
    if (auth.refreshToken) {
      const started = auth.refreshToken;
      let refreshed: VerifiedLogin | undefined;
      let theirs: number | undefined;
      let replaced: string | undefined;
      const written = await updateUserEntry(entry.user.file, entry.userName, async (current) => {
        const config = configUnderLock(current, entry);
        const refreshToken = config['refresh-token'];
        const exp = unverifiedClaims(config['id-token']).exp;
        if (refreshToken !== started && typeof exp === 'number' && exp * 1000 > deps.now().getTime()) {
          // Verified by whoever stored it; its exp only tells that it is a fresh one, and goes in the message.
          theirs = exp;
          return input.removeClientSecret && current ? finish(current) : undefined;
        }
        if (!refreshToken) return undefined;
        replaced = refreshToken;
        try {
          refreshed = await refreshLogin(session, client, refreshToken, deps.now());
        } catch (err) {
          if (secret && err instanceof CliError && err.reason === 'wrong-client-secret') {
            // A stale secret in the entry: nothing needs it, so the fix is to drop it, not to find the right one.
            throw new CliError(err.code, err.message, {
              hint: `The entry's client-secret is not the application's (any more). Nothing needs it: casdoor-kubeconfig refresh --context ${entry.contextName} --remove-client-secret`,
              reason: 'wrong-client-secret',
              cause: err,
            });
          }
          // Only a dead refresh token calls for a new login. Any other refusal (a wrong client secret, a
          // disabled grant) would refuse the new login's tokens too, or hide a misconfiguration behind a
          // password prompt: it is reported as it is, and the refresh token stays in the file.
          if (!isRefreshTokenRefused(err)) throw err;
          reason = `the refresh token was refused: ${(err as Error).message.replace(/\.$/, '')}`;
          return undefined;
        }
        // Without a new refresh token in the answer, the one just used stays valid.
        unkeep = keepIfInterrupted({ idToken: refreshed.tokens.idToken, refreshToken: refreshed.tokens.refreshToken ?? refreshToken }, refreshToken);
        return finish(withAuthProviderTokens(current as NamedUser, { idToken: refreshed.tokens.idToken, refreshToken: refreshed.tokens.refreshToken ?? refreshToken }));
      }, { ...(deps.writeHook ? { writeHook: deps.writeHook } : {}) })
        .catch(async (err: unknown) => {
          const got = refreshed as VerifiedLogin | undefined;
          throw got ? await keep(err, { idToken: got.tokens.idToken, refreshToken: got.tokens.refreshToken ?? replaced }, replaced) : err;
        })
        .finally(() => unkeep?.());
      if (theirs !== undefined) return result('cache', theirs, written.file);
      if (refreshed) return result('refresh', refreshed.verified.claims.exp as number, written.file);
    }

    const grant = input.grant ?? 'password';
    const username = input.username ?? usernameOf(unverifiedClaims(auth.idToken));
    if (deps.interactive && grant === 'password' && !username) {
      throw usageError(`cannot refresh user ${entry.userName} (${reason}) and its token names no user to log in as.`, 'Pass --username NAME (or --grant browser / --grant device).');
    }
    const canLogin = deps.interactive
      ? grant !== 'password' || Boolean(username)
      : grant === 'password'
        ? Boolean(input.password && username)
        : grant === 'browser' && !input.noBrowser && Boolean(input.browserCommand || deps.env.BROWSER);
    if (!canLogin) {
      throw new CliError(
        'login',
        `cannot refresh user ${entry.userName} (${reason}) and cannot log in without a terminal: set CASDOOR_PASSWORD and pass --username, or run "casdoor-kubeconfig refresh --context ${entry.contextName}" in a terminal.`,
      );
    }
    deps.out.info(`Logging in again (${reason}).`);
    const login = await loginWithGrant(session, client, { grant, username, password: input.password }, deps);
    // A new login's tokens replace whatever the entry holds by now; every other key is taken as it is now.
    let replaced: string | undefined;
    const written = await updateUserEntry(entry.user.file, entry.userName, async (current) => {
      replaced = configUnderLock(current, entry)['refresh-token'];
      return finish(withAuthProviderTokens(current as NamedUser, { idToken: login.tokens.idToken, refreshToken: login.tokens.refreshToken }));
    }, { ...(deps.writeHook ? { writeHook: deps.writeHook } : {}) }).catch(async (err: unknown) => {
      throw await keep(err, login.tokens, replaced ?? auth.refreshToken);
    });
    return result('login', login.verified.claims.exp as number, written.file);
  } finally {
    await http.close();
  }
}
