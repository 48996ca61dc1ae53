/**
 * `token`: a valid id_token for kubectl's exec plugin, from the cache, a refresh, or a new login.
 *
 * The order of things is what makes concurrent kubectl commands safe: a fresh cached token is used
 * without any lock; otherwise the entry's lock is taken and the cache is READ AGAIN under it, so when
 * N commands find the token expiring at once, the first refreshes (Casdoor rotates the refresh token:
 * the old one dies at once) and the N-1 others find its fresh token and never present the dead one.
 *
 * Also here: `loginWithGrant`, the one dispatcher over password / browser / device logins that setup,
 * refresh and token share. Knows nothing of argv; prompts and the browser come in through deps.
 */
import { CliError, usageError } from '../errors.js';
import type { Output } from '../ports/output.js';
import { registerSecret } from '../redact.js';
import { isRefreshTokenRefused } from '../oidc/casdoor-errors.js';
import { deviceLogin } from '../oidc/device-login.js';
import type { ClientCredentials } from '../oidc/grants.js';
import type { HttpClient } from '../oidc/http.js';
import { formatListenAddress, type ListenAddress } from '../oidc/loopback.js';
import { cacheDir, cacheFile, isFresh, readCacheEntry, type CacheEntry, type CacheKey } from '../token/cache.js';
import { renderToken } from '../token/exec-credential.js';
import { scopesOf } from '../token/fast.js';
import { keyringAccount, openKeyring, type SecretStore, type TokenStorage } from '../token/keyring.js';
import { CACHE_LOCK_WAIT_MS, deleteCacheEntry, ensureCacheDir, withCacheLock, writeCacheEntry } from '../token/store.js';
import { tokenArgs } from './entries.js';
import type { GrantType } from './grants.js';
import { clientCredentialsLogin, openSession, passwordLogin, refreshLogin, verifyTokens, type Session, type VerifiedLogin } from './login.js';

// A leaf module, so that the commands' option definitions do not load this one.
export { GRANTS, type GrantType } from './grants.js';

/** A token that expires within this many seconds is not served when a refresh fails for network reasons. */
const MIN_STALE_SERVE_SECONDS = 10;

// ---- Logging in with any grant ---------------------------------------------------------------------

export interface LoginRequest {
  grant: GrantType;
  username?: string | undefined;
  /** Password grant: from CASDOOR_PASSWORD / --password-stdin; asked for when absent and a terminal is there. */
  password?: string | undefined;
  /** The scope to ask Casdoor for (--scope); none when absent or '' (always valid in Casdoor). */
  scope?: string | undefined;
}

export interface LoginDeps {
  out: Output;
  now: () => Date;
  /** A person is at a terminal (stdin is a TTY): prompts and browser/device logins may run. */
  interactive: boolean;
  promptPassword?: (message: string) => Promise<string>;
  /** Opens the browser login URL (the URL is printed as well). */
  openUrl: (url: string) => Promise<void>;
  browserTimeoutMs?: number;
  /** Browser login: --listen-address values (first free wins). */
  listen?: readonly ListenAddress[];
  /** Browser login: the environment (SSH_CONNECTION → print the `ssh -L` command). */
  loginEnv?: NodeJS.ProcessEnv;
  /** Device-flow polling delay (tests). */
  sleep?: (ms: number) => Promise<void>;
}

/** The username a token names: Casdoor's `name` (JWT format) or `preferred_username` (JWT-Standard). */
export function usernameOf(claims: Record<string, unknown>): string | undefined {
  for (const key of ['preferred_username', 'name'] as const) {
    const v = claims[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** A browser or device login may sign in as anyone: tokens for bob must not land in alice's entry. */
export function checkSameUser(claims: Record<string, unknown>, username: string | undefined): void {
  if (!username) return;
  const names = ['preferred_username', 'name', 'email'].map((k) => claims[k]).filter((v): v is string => typeof v === 'string' && v !== '');
  if (names.length === 0 || names.includes(username)) return;
  throw new CliError('login', `You signed in to Casdoor as ${usernameOf(claims) ?? names[0]}, but this login is for ${username}; nothing was stored.`, {
    hint: `Sign out of Casdoor in the browser and sign in as ${username}, or use an entry made for the other user.`,
  });
}

export async function loginWithGrant(session: Session, client: ClientCredentials, request: LoginRequest, deps: LoginDeps): Promise<VerifiedLogin> {
  const now = deps.now();
  switch (request.grant) {
    case 'password': {
      if (!request.username) throw usageError('--grant password needs --username.');
      let password = request.password;
      if (!password) {
        if (!deps.interactive || !deps.promptPassword) {
          throw new CliError('login', `no password for ${request.username}: set CASDOOR_PASSWORD, or run the command in a terminal to be asked.`);
        }
        password = await deps.promptPassword(`Casdoor password for ${request.username} (${session.meta.issuer})`);
        registerSecret(password);
      }
      return passwordLogin(session, client, request.username, password, now, request.scope);
    }
    case 'browser': {
      // Loaded here: the loopback listener (node:http) is for this grant only, not for every token run.
      const { browserLogin, checkNonce } = await import('../oidc/browser-login.js');
      const code = await browserLogin({
        http: session.http,
        meta: session.meta,
        client,
        openUrl: deps.openUrl,
        notify: (text) => deps.out.info(text),
        ...(deps.browserTimeoutMs !== undefined ? { timeoutMs: deps.browserTimeoutMs } : {}),
        ...(request.scope ? { scope: request.scope } : {}),
        ...(deps.listen ? { listen: deps.listen } : {}),
        ...(deps.loginEnv ? { env: deps.loginEnv } : {}),
      });
      const verified = await verifyTokens(session, client, code.tokens, deps.now());
      checkNonce(verified.verified.claims, code.nonce);
      checkSameUser(verified.verified.claims, request.username);
      return verified;
    }
    case 'client-credentials': {
      // The application itself, not a person: Casdoor object/token_oauth.go GetClientCredentialsToken
      // makes the token's user {owner: application.Owner, name: application.Name, id: "<owner>/<name>",
      // type: "application"} and checks the client secret, which therefore must come with the request.
      if (request.username) throw usageError('--grant client-credentials signs in as the application itself: leave out --username.');
      if (!client.clientSecret) {
        throw new CliError('login', "--grant client-credentials needs the application's client secret: set CASDOOR_CLIENT_SECRET in the environment (it is never written into the kubeconfig).", {
          hint: "The Client Secret is on the application's page in Casdoor. In CI, give it to the job as a secret variable.",
        });
      }
      return clientCredentialsLogin(session, client, now);
    }
    case 'device': {
      const tokens = await deviceLogin({
        http: session.http,
        meta: session.meta,
        client,
        notify: (text) => deps.out.info(text),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        ...(request.scope ? { scope: request.scope } : {}),
      });
      const verified = await verifyTokens(session, client, tokens, deps.now());
      checkSameUser(verified.verified.claims, request.username);
      return verified;
    }
  }
}

// ---- The cache entry ---------------------------------------------------------------------------------

export function cacheEntryOf(key: CacheKey, login: VerifiedLogin, previousRefreshToken?: string): CacheEntry {
  const exp = login.verified.claims.exp;
  if (typeof exp !== 'number') throw new CliError('verify', 'The id_token has no "exp" claim; Kubernetes requires one.');
  // A server that does not rotate may answer a refresh without a new refresh token: the old one still works.
  const refreshToken = login.tokens.refreshToken ?? previousRefreshToken;
  return { ...key, idToken: login.tokens.idToken, ...(refreshToken ? { refreshToken } : {}), expiresAt: exp };
}

export interface CacheLocation {
  homeDir: string;
  env: NodeJS.ProcessEnv;
  lockWaitMs?: number;
  /** --token-cache-storage keyring: the OS keychain (tests inject one); loaded only when used. */
  keyring?: () => Promise<SecretStore>;
}

function keyringOf(where: Pick<CacheLocation, 'keyring'>): Promise<SecretStore> {
  return (where.keyring ?? openKeyring)();
}

/**
 * Writes an entry the way `storage` says: `keyring` puts the refresh token in the OS keychain (first,
 * so that the file never points at a keychain item that is not there yet) and keeps only the id_token
 * in the file; `disk` keeps both in the 0600 file.
 */
async function saveEntry(file: string, entry: CacheEntry, storage: TokenStorage | undefined, where: Pick<CacheLocation, 'keyring'>): Promise<void> {
  if (storage === 'keyring' && entry.refreshToken) {
    await (await keyringOf(where)).set(keyringAccount(file), entry.refreshToken);
    const { refreshToken: _inKeyring, ...rest } = entry;
    await writeCacheEntry(file, { ...rest, refreshTokenIn: 'keyring' });
    return;
  }
  const { refreshTokenIn: _gone, ...rest } = entry;
  await writeCacheEntry(file, rest);
}

/** The entry with its refresh token, fetched from the keychain when the file says it is there. */
async function withRefreshToken(entry: CacheEntry | undefined, file: string, where: Pick<CacheLocation, 'keyring'>): Promise<CacheEntry | undefined> {
  if (!entry || entry.refreshToken || entry.refreshTokenIn !== 'keyring') return entry;
  const refreshToken = await (await keyringOf(where)).get(keyringAccount(file));
  return refreshToken ? { ...entry, refreshToken } : entry;
}

/** logout: deletes an entry's file and, when it has one, its keychain item; returns whether a file was there. */
export async function forgetCachedTokens(file: string, key: CacheKey, where: Pick<CacheLocation, 'keyring'> = {}): Promise<boolean> {
  const entry = readCacheEntry(file, key);
  if (!entry) return deleteCacheEntry(file);
  await forgetEntry(file, entry, where);
  return true;
}

/** Forgets an entry: the file, and its keychain item when it has one. */
async function forgetEntry(file: string, entry: CacheEntry, where: Pick<CacheLocation, 'keyring'>): Promise<void> {
  if (entry.refreshTokenIn === 'keyring') await (await keyringOf(where)).delete(keyringAccount(file));
  await deleteCacheEntry(file);
}

export function cacheFileOf(key: CacheKey, where: Pick<CacheLocation, 'homeDir' | 'env'>): string {
  return cacheFile(cacheDir(where.homeDir, where.env), key);
}

/** setup --mode exec: puts freshly verified tokens where `token` will find them. */
export async function storeLogin(key: CacheKey, login: VerifiedLogin, where: CacheLocation, storage: TokenStorage = 'disk'): Promise<string | undefined> {
  // --token-cache-storage none: nothing is kept; the first kubectl command logs in again.
  if (storage === 'none') return undefined;
  const dir = cacheDir(where.homeDir, where.env);
  const file = cacheFile(dir, key);
  await ensureCacheDir(dir);
  await withCacheLock(file, key, where.lockWaitMs ?? CACHE_LOCK_WAIT_MS, () => saveEntry(file, cacheEntryOf(key, login), storage, where));
  return file;
}

// ---- token -------------------------------------------------------------------------------------------

export interface TokenInput {
  casdoorUrl: string;
  clientId: string;
  clientSecret?: string;
  /** PEM text of --casdoor-ca. */
  casdoorCaPem?: string;
  /** --casdoor-ca as given: repeated in the "run this" advice. */
  casdoorCaFile?: string;
  /** The exec entry's grant: part of the cache key, and how to log in (unless `loginGrant` says otherwise). */
  grant: GrantType;
  /** RFC 8707 resource: part of the cache key. */
  resource?: string;
  /** Part of the cache key ('' when not given, as in the fast path). */
  username?: string;
  password?: string;
  browserCommand?: string;
  noBrowser?: boolean;
  /** --scope: asked for at a new login (a refresh keeps the original grant's scope); part of the cache key. */
  scope?: string;
  /** The exec entry's --listen-address values (browser login). */
  listen?: readonly ListenAddress[];
  /** --token-cache-storage: where tokens are kept (default disk); not part of the cache key. */
  storage?: TokenStorage;
}

export interface TokenDeps extends LoginDeps, CacheLocation {
  makeHttp: (caPem?: string) => HttpClient;
}

export type TokenSource = 'cache' | 'refresh' | 'login';

export interface ObtainedToken {
  entry: CacheEntry;
  source: TokenSource;
  file: string;
}

/**
 * The cache key of an exec entry: the same one the hot path builds from the exec args
 * (cacheKeyFromArgs in token/fast.ts). `casdoorCaFile` must be absolute, as the exec args carry it.
 */
export function keyOf(input: Pick<TokenInput, 'casdoorUrl' | 'clientId' | 'username' | 'grant' | 'casdoorCaFile' | 'scope' | 'resource'>): CacheKey {
  return {
    issuer: input.casdoorUrl,
    clientId: input.clientId,
    username: input.username ?? '',
    grant: input.grant,
    // --scope as the exec args carry it, split as the hot path splits it (scopesOf).
    scopes: scopesOf(input.scope),
    resource: input.resource ?? '',
    ca: input.casdoorCaFile ?? '',
  };
}

export function clientOfToken(input: Pick<TokenInput, 'clientId' | 'clientSecret' | 'resource'>): ClientCredentials {
  return { clientId: input.clientId, ...(input.clientSecret ? { clientSecret: input.clientSecret } : {}), ...(input.resource ? { resource: input.resource } : {}) };
}

/** The command that logs this entry in, for messages (it is exactly what the exec entry runs). */
export function loginCommand(input: TokenInput): string {
  const args = tokenArgs({
    issuer: input.casdoorUrl,
    clientId: input.clientId,
    ...(input.casdoorCaFile ? { casdoorCaFile: input.casdoorCaFile } : {}),
    ...(input.grant !== 'password' ? { grant: input.grant } : {}),
    ...(input.username ? { username: input.username } : {}),
    ...(input.scope ? { scope: input.scope } : {}),
    ...(input.resource ? { resource: input.resource } : {}),
    ...(input.listen?.length ? { listenAddresses: input.listen.map(formatListenAddress) } : {}),
    ...(input.storage && input.storage !== 'disk' ? { tokenCacheStorage: input.storage } : {}),
  });
  return ['casdoor-kubeconfig', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

/** Why a login cannot run here, or undefined when it can. */
function loginBlocker(input: TokenInput, deps: TokenDeps): string | undefined {
  if (deps.interactive) return undefined;
  switch (input.grant) {
    case 'password':
      return input.password ? undefined : 'or set CASDOOR_PASSWORD';
    case 'browser':
      // Without a terminal a browser login is still possible when the user named how to open the browser.
      return !input.noBrowser && (input.browserCommand || deps.env.BROWSER) ? undefined : 'or pass --browser-command';
    case 'device':
      return '';
    case 'client-credentials':
      // Needs no person: the client secret (or its absence, reported by loginWithGrant) decides.
      return undefined;
  }
}

function notLoggedIn(input: TokenInput, reason: string, alternative: string): CliError {
  const who = `${input.username ? `${input.username} at ` : ''}${input.casdoorUrl}`;
  // One line, on purpose: kubectl shows the plugin's stderr as is.
  return new CliError('login', `not logged in to Casdoor as ${who} (${reason}) and no terminal to log in: run "${loginCommand(input)}" in a terminal${alternative ? `, ${alternative}` : ''}.`);
}

function isStillUsable(entry: CacheEntry, nowMs: number): boolean {
  return entry.expiresAt - MIN_STALE_SERVE_SECONDS > nowMs / 1000;
}

/**
 * A valid id_token for this issuer + client + username. `forceRefresh` (the refresh command) refreshes
 * even a fresh token, unless another process refreshed it while this one waited for the lock.
 */
export async function obtainToken(
  input: TokenInput,
  deps: TokenDeps,
  options: { forceRefresh?: boolean; /** Log in this way instead of the entry's grant (refresh --grant); the key stays the entry's. */ loginGrant?: GrantType } = {},
): Promise<ObtainedToken> {
  const key = keyOf(input);
  const loginInput: TokenInput = options.loginGrant ? { ...input, grant: options.loginGrant } : input;
  if (input.storage === 'none') return loginUncached(key, input, loginInput, deps);
  const dir = cacheDir(deps.homeDir, deps.env);
  const file = cacheFile(dir, key);
  const seen = readCacheEntry(file, key);
  if (seen && !options.forceRefresh && isFresh(seen, deps.now().getTime())) {
    deps.out.verbose(`token: cached until ${new Date(seen.expiresAt * 1000).toISOString()} (${file})`);
    return { entry: seen, source: 'cache', file };
  }
  await ensureCacheDir(dir);
  // A lock left behind is reported on stderr; the token obtained still goes to kubectl.
  const warn = (line: string): void => deps.out.warn(line);
  return withCacheLock(file, key, deps.lockWaitMs ?? CACHE_LOCK_WAIT_MS, async () => {
    // Re-read under the lock: another process may have refreshed (and rotated the refresh token) meanwhile.
    const onDisk = readCacheEntry(file, key);
    const changedMeanwhile = onDisk !== undefined && onDisk.idToken !== seen?.idToken;
    if (onDisk && isFresh(onDisk, deps.now().getTime()) && (!options.forceRefresh || changedMeanwhile)) {
      deps.out.verbose('token: another process refreshed the token meanwhile');
      return { entry: onDisk, source: 'cache' as const, file };
    }
    // Only now (a refresh or login is due) is the keychain asked for the refresh token.
    const entry = await withRefreshToken(onDisk, file, deps);
    if (entry?.refreshToken) registerSecret(entry.refreshToken);
    const client = clientOfToken(input);
    const http = deps.makeHttp(input.casdoorCaPem);
    try {
      let session: Session | undefined;
      const connect = async (): Promise<Session> => (session ??= await openSession(http, input.casdoorUrl));
      let reason = entry ? 'the cached token has expired and there is no refresh token' : 'no cached token';
      if (entry?.refreshToken) {
        try {
          deps.out.verbose(`token: refreshing (${file})`);
          const refreshed = await refreshLogin(await connect(), client, entry.refreshToken, deps.now());
          const next = cacheEntryOf(key, refreshed, entry.refreshToken);
          await saveEntry(file, next, input.storage, deps);
          return { entry: next, source: 'refresh' as const, file };
        } catch (err) {
          if (!isRefreshTokenRefused(err)) {
            // A wrong client id or secret, a disabled grant: Casdoor's answer and its fix, and the refresh
            // token stays (it is not what was refused).
            if (err instanceof CliError && err.code === 'login') throw err;
            // Casdoor unreachable or failing (5xx): a token that is still valid for a while is better than failing kubectl.
            if (!options.forceRefresh && isStillUsable(entry, deps.now().getTime())) {
              deps.out.warn(`Could not refresh the Casdoor token (${err instanceof Error ? err.message : String(err)}); using the cached one until it expires.`);
              return { entry, source: 'cache' as const, file };
            }
            throw err;
          }
          reason = `the refresh token was refused: ${(err as Error).message.replace(/\.$/, '')}`;
          deps.out.verbose(`token: ${reason}`);
        }
      }
      const blocker = loginBlocker(loginInput, deps);
      if (blocker !== undefined) {
        // Only a refresh token Casdoor refused (or none) gets here: forget the entry, so later runs do not
        // present a dead token again. Outages and misconfigurations were thrown above, the entry kept.
        if (entry) await forgetEntry(file, entry, deps);
        throw notLoggedIn(input, reason, blocker);
      }
      // A client-credentials token has no refresh token (GetClientCredentialsToken): a new grant on every
      // expiry is the normal course, not news for the pipeline's log.
      const routine = loginInput.grant === 'client-credentials';
      const say = (text: string): void => (routine ? deps.out.verbose(`token: ${text}`) : deps.out.info(text));
      if (entry) say(`Logging in to Casdoor again (${reason}).`);
      const login = await loginAs(await connect(), client, input, loginInput, deps);
      const next = cacheEntryOf(key, login);
      await saveEntry(file, next, input.storage, deps);
      const as = routine ? ` as application ${usernameOf(login.verified.claims) ?? input.clientId}` : input.username ? ` as ${input.username}` : '';
      const done = `Logged in to ${input.casdoorUrl}${as}; the token is cached until ${new Date(next.expiresAt * 1000).toISOString()}.`;
      if (routine) deps.out.verbose(`token: ${done}`);
      else deps.out.step(done);
      return { entry: next, source: 'login' as const, file };
    } finally {
      await http.close();
    }
  }, { warn, onTakeover: (reason) => deps.out.verbose(`token: took over the cache lock of a dead holder (${reason})`) });
}

/** A new login with `loginInput`'s grant as `input`'s user; its --listen-address applies unless deps bring a listener. */
function loginAs(session: Session, client: ClientCredentials, input: TokenInput, loginInput: TokenInput, deps: TokenDeps): Promise<VerifiedLogin> {
  const loginDeps = input.listen?.length && !deps.listen ? { ...deps, listen: input.listen } : deps;
  return loginWithGrant(session, client, { grant: loginInput.grant, username: input.username, password: input.password, scope: input.scope }, loginDeps);
}

/**
 * --token-cache-storage none: no file, no keychain, no lock — every run logs in (nothing can be reused,
 * so kubectl asks for a login on every command; fit for CI with the password or client-credentials grant).
 */
async function loginUncached(key: CacheKey, input: TokenInput, loginInput: TokenInput, deps: TokenDeps): Promise<ObtainedToken> {
  const blocker = loginBlocker(loginInput, deps);
  if (blocker !== undefined) throw notLoggedIn(input, '--token-cache-storage none keeps no token between runs', blocker);
  const http = deps.makeHttp(input.casdoorCaPem);
  try {
    const session = await openSession(http, input.casdoorUrl);
    const login = await loginAs(session, clientOfToken(input), input, loginInput, deps);
    const { refreshToken: _notKept, ...entry } = cacheEntryOf(key, login);
    deps.out.verbose('token: logged in; nothing stored (--token-cache-storage none)');
    return { entry, source: 'login', file: '' };
  } finally {
    await http.close();
  }
}

export async function runToken(input: TokenInput, deps: TokenDeps, options: { raw?: boolean }): Promise<ObtainedToken> {
  const got = await obtainToken(input, deps);
  // stdout carries the credential alone; it is a secret, so it bypasses redaction on purpose.
  deps.out.data(renderToken(got.entry, { raw: Boolean(options.raw), execInfo: deps.env.KUBERNETES_EXEC_INFO }), { raw: true });
  return got;
}
