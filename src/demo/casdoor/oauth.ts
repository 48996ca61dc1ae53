/**
 * Casdoor's OAuth logic over the model, one function per Go function of object/token_oauth.go and
 * object/token_oauth_util.go (v3.158), named alike. Returns a `TokenWrapper` or a `TokenError`, or
 * throws `InternalError` where Casdoor returns a Go error (the controller then answers HTTP 200
 * `{"status":"error"}`).
 */
import { createHash } from 'node:crypto';

import { generateJwtToken, JwtGenerationError, parseJwtToken } from './jwt.js';
import {
  casdoorTime,
  DEVICE_CODE_GRANT,
  generateClientId,
  type CasdoorApplication,
  type CasdoorModel,
  type CasdoorToken,
  type CasdoorUser,
} from './model.js';

export const INVALID_REQUEST = 'invalid_request';
export const INVALID_CLIENT = 'invalid_client';
export const INVALID_GRANT = 'invalid_grant';
export const UNAUTHORIZED_CLIENT = 'unauthorized_client';
export const UNSUPPORTED_GRANT_TYPE = 'unsupported_grant_type';
export const INVALID_SCOPE = 'invalid_scope';
export const ENDPOINT_ERROR = 'endpoint_error';

/** object.TokenError: `error_description` is omitempty. */
export interface TokenError {
  error: string;
  error_description?: string;
}

/** object.TokenWrapper: every key always present except `id_token` (omitempty, but always set). */
export interface TokenWrapper {
  access_token: string;
  id_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

/** A Go `error` from the object layer: the controller answers it with ResponseError (HTTP 200). */
export class InternalError extends Error {}

const tokenError = (error: string, description: string): TokenError => ({ error, error_description: description });

/** What every grant needs besides the model. */
export interface OAuthEnv {
  model: CasdoorModel;
  /** originBackend of the request (getOriginFromHost): the tokens' `iss`. */
  issuer: string;
  /** Overrides the access token/id_token split (Casdoor: always the same JWT). */
  accessTokenIsIdToken?: boolean;
}

/** object.IsGrantTypeValid: authorization_code is always allowed. */
export function isGrantTypeValid(method: string, grantTypes: readonly string[]): boolean {
  return method === 'authorization_code' || grantTypes.includes(method);
}

const REGEX_META = /[.*+?^${}()|[\]\\]/;

/**
 * object.IsScopeValidAndExpand (v2.331+): with Scopes defined, every requested scope must be one of
 * them or a regular expression matching at least one (then replaced by the matches); an empty scope
 * and an application without Scopes are always valid.
 */
export function isScopeValidAndExpand(model: CasdoorModel, scope: string, app: CasdoorApplication): [string, boolean] {
  if (!model.behaviour.scopeValidation || app.scopes.length === 0 || scope === '') return [scope, true];
  const allowed = app.scopes.map((s) => s.name);
  const seen = new Set<string>();
  const expanded: string[] = [];
  for (const s of scope.split(/\s+/).filter((x) => x !== '')) {
    if (allowed.includes(s)) {
      if (!seen.has(s)) {
        seen.add(s);
        expanded.push(s);
      }
      continue;
    }
    if (!REGEX_META.test(s)) return ['', false];
    let re: RegExp;
    try {
      re = new RegExp(`^${s}$`);
    } catch {
      return ['', false];
    }
    let matched = false;
    for (const name of allowed) {
      if (re.test(name)) {
        matched = true;
        if (!seen.has(name)) {
          seen.add(name);
          expanded.push(name);
        }
      }
    }
    if (!matched) return ['', false];
  }
  return [expanded.join(' '), true];
}

const INVALID_SCOPE_DESCRIPTION = 'the requested scope is invalid or not defined in the application';

/**
 * object.CheckPassword (object/check.go) with recordSigninErrorInfo / checkSigninErrorTimes
 * (object/check_util.go): wrong attempts count down from the application's failed-signin limit, then
 * the account is frozen for the frozen time; a right password resets the count.
 */
export function checkPassword(app: CasdoorApplication, user: CasdoorUser, password: string): string | undefined {
  if (password === '') return 'Password cannot be empty';
  const limit = app.failedSigninLimit > 0 ? app.failedSigninLimit : 5;
  const frozen = app.failedSigninFrozenTime > 0 ? app.failedSigninFrozenTime : 15;
  if (user.signinWrongTimes >= limit) {
    const passed = (Date.now() - Date.parse(user.lastSigninWrongTime)) / 60_000;
    const minutes = frozen - Math.trunc(passed);
    if (minutes > 0) return `You have entered the wrong password or code too many times, please wait for ${minutes} minutes and try again`;
    user.signinWrongTimes = 0;
  }
  if (password !== user.password) {
    if (user.signinWrongTimes < limit) {
      user.signinWrongTimes += 1;
      if (user.signinWrongTimes >= limit) user.lastSigninWrongTime = casdoorTime();
    }
    const left = limit - user.signinWrongTimes;
    if (left >= 0) return `password or code is incorrect, you have ${left} remaining chances`;
    return `You have entered the wrong password or code too many times, please wait for ${frozen} minutes and try again`;
  }
  user.signinWrongTimes = 0;
  return undefined;
}

/** The token endpoint's answer for a token row (object.TokenWrapper). */
export function wrap(token: CasdoorToken, idToken?: string): TokenWrapper {
  // object/token_oauth.go GetOAuthToken: IdToken is the access token itself.
  return {
    access_token: token.accessToken,
    id_token: idToken ?? token.accessToken,
    refresh_token: token.refreshToken,
    token_type: token.tokenType,
    expires_in: token.expiresIn,
    scope: token.scope,
  };
}

export interface Minted {
  token: CasdoorToken;
  /** Only when `accessTokenIsIdToken` is off (not Casdoor). */
  idToken?: string;
}

/** generateJwtToken + the token row (AddToken), as GetPasswordToken / GetTokenByUser / GetOAuthCode do. */
async function mint(
  env: OAuthEnv,
  app: CasdoorApplication,
  user: CasdoorUser,
  opts: { scope: string; nonce?: string; resource?: string; grantType?: string; code?: Partial<CasdoorToken> },
): Promise<Minted | TokenError> {
  let generated;
  try {
    generated = await generateJwtToken({
      application: app,
      user,
      cert: env.model.getCertByApplication(app),
      behaviour: env.model.behaviour,
      issuer: env.issuer,
      scope: opts.scope,
      nonce: opts.nonce ?? '',
      resource: opts.resource ?? '',
      ...(env.model.config.useGroupPathInToken ? { groupPath: (u: CasdoorUser) => env.model.userFullGroupPath(u) } : {}),
    });
  } catch (err) {
    if (err instanceof JwtGenerationError) return tokenError(ENDPOINT_ERROR, `generate jwt token error: ${err.message}`);
    throw err;
  }
  const token: CasdoorToken = {
    owner: app.owner,
    name: generated.name,
    createdTime: casdoorTime(),
    application: app.name,
    organization: user.owner,
    user: user.name,
    code: generateClientId(),
    accessToken: generated.accessToken,
    refreshToken: generated.refreshToken,
    expiresIn: generated.expiresIn,
    scope: opts.scope,
    tokenType: 'Bearer',
    codeChallenge: '',
    codeIsUsed: true,
    codeExpireIn: 0,
    resource: opts.resource ?? '',
    ...(opts.grantType === undefined ? {} : { grantType: opts.grantType }),
    ...opts.code,
  };
  env.model.addToken(token);
  let idToken: string | undefined;
  if (env.accessTokenIsIdToken === false) {
    // Not Casdoor: a separate id_token JWT (another jti), for tests of clients that must not mix them up.
    const other = await generateJwtToken({
      application: app, user, cert: env.model.getCertByApplication(app), behaviour: env.model.behaviour,
      issuer: env.issuer, scope: opts.scope, nonce: opts.nonce ?? '', resource: opts.resource ?? '',
    });
    idToken = other.accessToken;
  }
  return idToken === undefined ? { token } : { token, idToken };
}

/** RFC 7636 S256 (object/token_oauth_util.go pkceChallenge). */
export const pkceChallenge = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');

export interface OAuthTokenParams {
  grantType: string;
  clientId: string;
  clientSecret: string;
  code: string;
  verifier: string;
  scope: string;
  nonce: string;
  username: string;
  password: string;
  refreshToken: string;
  resource: string;
}

/** object/token_oauth.go GetOAuthToken (the grants this project meets). */
export async function getOAuthToken(env: OAuthEnv, p: OAuthTokenParams): Promise<TokenWrapper | TokenError> {
  const app = env.model.getApplicationByClientId(p.clientId);
  if (app === undefined) return tokenError(INVALID_CLIENT, 'client_id is invalid');
  if (!isGrantTypeValid(p.grantType, app.grantTypes)) {
    return tokenError(UNSUPPORTED_GRANT_TYPE, `grant_type: ${p.grantType} is not supported in this application`);
  }
  let result: Minted | TokenError | undefined;
  switch (p.grantType) {
    case 'authorization_code':
      result = getAuthorizationCodeToken(env, app, p.clientSecret, p.code, p.verifier, p.resource);
      break;
    case 'password':
      // The client secret is not even passed to GetPasswordToken.
      result = await getPasswordToken(env, app, p.username, p.password, p.scope);
      break;
    case 'client_credentials':
      result = await getClientCredentialsToken(env, app, p.clientSecret, p.scope);
      break;
    case 'token':
    case 'id_token':
      // Implicit grant at the token endpoint: the password is checked here, the scope in mintImplicitToken.
      result = await getImplicitToken(env, app, p.username, p.password, p.scope, p.nonce);
      break;
    case DEVICE_CODE_GRANT:
      // The user signed in in the browser: no password, no secret (mintImplicitToken).
      result = await mintImplicitToken(env, app, p.username, p.scope, p.nonce);
      break;
    case 'refresh_token':
      return refreshToken(env, app, p.grantType, p.refreshToken, p.scope, p.clientId, p.clientSecret, p.resource);
    default:
      // A grant listed in the application but not handled here (token, id_token, jwt-bearer …): Casdoor
      // would run it; this emulator does not, and says so rather than pretending.
      throw new InternalError(`the Casdoor emulator does not implement grant_type ${p.grantType}`);
  }
  if ('error' in result) return result;
  // GetOAuthToken marks the code used (updateUsedByCode).
  result.token.codeIsUsed = true;
  return wrap(result.token, result.idToken);
}

/** object/token_oauth.go GetAuthorizationCodeToken. */
export function getAuthorizationCodeToken(
  env: OAuthEnv,
  app: CasdoorApplication,
  clientSecret: string,
  code: string,
  verifier: string,
  resource: string,
): Minted | TokenError {
  if (code === '') return tokenError(INVALID_REQUEST, 'authorization code should not be empty');
  const token = env.model.getTokenByCode(code);
  if (token === undefined) return tokenError(INVALID_GRANT, `authorization code: [${code}] is invalid`);
  if (token.codeIsUsed) {
    // anti replay
    return tokenError(INVALID_GRANT, `authorization code has been used for token: [${token.owner}/${token.name}]`);
  }
  if (token.codeChallenge !== '') {
    const answer = pkceChallenge(verifier);
    if (answer !== token.codeChallenge) {
      return tokenError(INVALID_GRANT, `verifier is invalid, challengeAnswer: [${answer}], token.CodeChallenge: [${token.codeChallenge}]`);
    }
  }
  if (app.clientSecret !== clientSecret) {
    // With PKCE the secret may be empty, but a secret that is sent must be right.
    if (token.codeChallenge === '') {
      return tokenError(INVALID_CLIENT, `client_secret is invalid for application: [${app.owner}/${app.name}], token.CodeChallenge: empty`);
    }
    if (clientSecret !== '') {
      return tokenError(INVALID_CLIENT, `client_secret is invalid for application: [${app.owner}/${app.name}], token.CodeChallenge: [${token.codeChallenge}]`);
    }
  }
  if (app.name !== token.application) {
    return tokenError(
      INVALID_GRANT,
      `the token is for wrong application (client_id), application.Name: [${app.name}], token.Application: [${token.application}]`,
    );
  }
  if (env.model.behaviour.resourceIndicator && resource !== token.resource) {
    return tokenError(INVALID_GRANT, `resource parameter does not match authorization request, expected: [${token.resource}], got: [${resource}]`);
  }
  const now = Math.floor(Date.now() / 1000);
  if (now > token.codeExpireIn) {
    return tokenError(
      INVALID_GRANT,
      `authorization code has expired, nowUnix: [${new Date(now * 1000).toISOString()}], token.CodeExpireIn: [${new Date(token.codeExpireIn * 1000).toISOString()}]`,
    );
  }
  return { token };
}

/** object/token_oauth.go GetPasswordToken. */
export async function getPasswordToken(env: OAuthEnv, app: CasdoorApplication, username: string, password: string, scope: string): Promise<Minted | TokenError> {
  const [expanded, ok] = isScopeValidAndExpand(env.model, scope, app);
  if (!ok) return tokenError(INVALID_SCOPE, INVALID_SCOPE_DESCRIPTION);
  const user = env.model.getUserByFieldsForSharedApp(app, app.organization, username);
  if (user === undefined) return tokenError(INVALID_GRANT, 'the user does not exist');
  if (user.password === '') {
    return tokenError(INVALID_GRANT, 'OAuth users cannot use password grant type, please use authorization code flow');
  }
  const wrong = checkPassword(app, user, password);
  if (wrong !== undefined) return tokenError(INVALID_GRANT, `invalid username or password: ${wrong}`);
  if (user.isForbidden) return tokenError(INVALID_GRANT, 'the user is forbidden to sign in, please contact the administrator');
  return mint(env, app, user, { scope: expanded });
}

/** object/token_oauth.go GetClientCredentialsToken: the secret is checked; the "user" is the application. */
export async function getClientCredentialsToken(env: OAuthEnv, app: CasdoorApplication, clientSecret: string, scope: string): Promise<Minted | TokenError> {
  if (app.clientSecret !== clientSecret) return tokenError(INVALID_CLIENT, 'client_secret is invalid');
  const [expanded, ok] = isScopeValidAndExpand(env.model, scope, app);
  if (!ok) return tokenError(INVALID_SCOPE, INVALID_SCOPE_DESCRIPTION);
  const nullUser: CasdoorUser = {
    ...emptyUser(),
    owner: app.owner,
    id: `${app.owner}/${app.name}`,
    name: app.name,
    type: 'application',
  };
  const minted = await mint(env, app, nullUser, { scope: expanded, grantType: 'client_credentials' });
  if ('error' in minted) return minted;
  // Only the access token is kept: no refresh token for this grant.
  minted.token.refreshToken = '';
  minted.token.organization = app.organization;
  return minted;
}

/** object/token_oauth.go GetImplicitToken. */
export async function getImplicitToken(env: OAuthEnv, app: CasdoorApplication, username: string, password: string, scope: string, nonce: string): Promise<Minted | TokenError> {
  const user = env.model.getUserByFieldsForSharedApp(app, app.organization, username);
  if (user === undefined) return tokenError(INVALID_GRANT, 'the user does not exist');
  if (user.password === '') {
    return tokenError(INVALID_GRANT, 'OAuth users cannot use implicit grant type, please use authorization code flow');
  }
  const wrong = checkPassword(app, user, password);
  if (wrong !== undefined) return tokenError(INVALID_GRANT, `invalid username or password: ${wrong}`);
  return mintImplicitToken(env, app, username, scope, nonce);
}

/** object/token_oauth_util.go mintImplicitToken (the device-code grant, after the browser approval). */
export async function mintImplicitToken(env: OAuthEnv, app: CasdoorApplication, username: string, scope: string, nonce: string): Promise<Minted | TokenError> {
  // The scope stored at /api/device-auth is only checked here, after the user approved.
  const [expanded, ok] = isScopeValidAndExpand(env.model, scope, app);
  if (!ok) return tokenError(INVALID_SCOPE, INVALID_SCOPE_DESCRIPTION);
  const user = env.model.getUserByFieldsForSharedApp(app, app.organization, username);
  if (user === undefined) return tokenError(INVALID_GRANT, 'the user does not exist');
  if (user.isForbidden) return tokenError(INVALID_GRANT, 'the user is forbidden to sign in, please contact the administrator');
  return mint(env, app, user, { scope: expanded, nonce });
}

/** object/token_oauth_util.go RefreshToken. */
export async function refreshToken(
  env: OAuthEnv,
  appIn: CasdoorApplication | undefined,
  grantType: string,
  refreshTokenValue: string,
  scopeIn: string,
  clientId: string,
  clientSecret: string,
  resourceIn: string,
): Promise<TokenWrapper | TokenError> {
  if (grantType !== 'refresh_token') return tokenError(UNSUPPORTED_GRANT_TYPE, 'grant_type should be refresh_token');
  const app = appIn ?? env.model.getApplicationByClientId(clientId);
  if (app === undefined) return tokenError(INVALID_CLIENT, 'client_id is invalid');
  // The secret is checked only when one is sent.
  if (clientSecret !== '' && app.clientSecret !== clientSecret) return tokenError(INVALID_CLIENT, 'client_secret is invalid');
  const token = env.model.getTokenByRefreshToken(refreshTokenValue);
  if (token === undefined) return tokenError(INVALID_GRANT, 'refresh token is invalid or revoked');
  // ExpiresIn <= 0: expired by logout (ExpireTokenByAccessToken); checked since v2.224.
  if (env.model.behaviour.refreshChecksExpiry && token.expiresIn <= 0) return tokenError(INVALID_GRANT, 'refresh token is expired');
  const { behaviour } = env.model;
  let resource = '';
  if (behaviour.refreshBoundToApplication) {
    // v3.156: the refresh token must belong to the requesting application, and the resource is kept.
    if (app.name !== token.application) {
      return tokenError(
        INVALID_GRANT,
        `the token is for wrong application (client_id), application.Name: [${app.name}], token.Application: [${token.application}]`,
      );
    }
    if (resourceIn !== '' && resourceIn !== token.resource) {
      return tokenError(INVALID_GRANT, `resource parameter does not match the original grant, expected: [${token.resource}], got: [${resourceIn}]`);
    }
    resource = token.resource;
  }
  const cert = env.model.getCertByApplication(app);
  if (cert === undefined) return tokenError(INVALID_GRANT, `cert: ${app.cert} cannot be found`);
  let old: Record<string, unknown>;
  try {
    old = await parseJwtToken(refreshTokenValue, cert);
  } catch (err) {
    return tokenError(INVALID_GRANT, `parse refresh token error: ${err instanceof Error ? err.message : String(err)}`);
  }
  // No scope validation on refresh; an empty scope reuses the old token's.
  const scope = scopeIn === '' ? (typeof old['scope'] === 'string' ? old['scope'] : '') : scopeIn;
  const user = env.model.getUser(app.organization, token.user);
  if (user === undefined) throw new InternalError(`The user: ${app.organization}/${token.user} doesn't exist`);
  if (user.isForbidden) return tokenError(INVALID_GRANT, 'the user is forbidden to sign in, please contact the administrator');
  const minted = await mint(env, app, user, { scope, resource });
  if ('error' in minted) return minted;
  // Rotation: the old row (and with it the old refresh token) is deleted at once.
  env.model.deleteToken(token);
  return wrap(minted.token, minted.idToken);
}

export interface OAuthCodeParams {
  responseType: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  nonce: string;
  challenge: string;
  resource: string;
}

/** object/token_oauth_util.go CheckOAuthLogin: the message the authorize page shows, or "" when fine. */
export function checkOAuthLogin(model: CasdoorModel, p: Pick<OAuthCodeParams, 'responseType' | 'clientId' | 'redirectUri' | 'scope'>): { msg: string; app?: CasdoorApplication } {
  if (p.responseType !== 'code' && p.responseType !== 'token' && p.responseType !== 'id_token') {
    return { msg: `Grant_type: ${p.responseType} is not supported in this application` };
  }
  const app = model.getApplicationByClientId(p.clientId);
  if (app === undefined) return { msg: 'Invalid client_id' };
  if (!isRedirectUriValid(app, p.redirectUri)) {
    return { msg: `Redirect URI: ${p.redirectUri} doesn't exist in the allowed Redirect URI list`, app };
  }
  if (!isScopeValidAndExpand(model, p.scope, app)[1]) return { msg: 'Invalid scope', app };
  return { msg: '', app };
}

/**
 * Go's url.Parse for what matters here: undefined unless absolute with a host (WHATWG URL stands in;
 * `path` is Go's: "" when the string has none, where WHATWG says "/").
 */
function parseUrl(s: string): { protocol: string; hostname: string; port: string; path: string } | undefined {
  try {
    const u = new URL(s);
    if (u.host === '') return undefined;
    const path = u.pathname === '/' && !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\//i.test(s) ? '' : u.pathname;
    return { protocol: u.protocol, hostname: u.hostname, port: u.port, path };
  } catch {
    return undefined;
  }
}
type ParsedUrl = NonNullable<ReturnType<typeof parseUrl>>;

/**
 * object/application_util.go Application.IsRedirectUriValid: util/validation.go IsValidOrigin accepts
 * http(s)://localhost, http://127.0.0.1, http://casdoor-authenticator and *.chromiumapp.org on any port
 * and path; else one of the application's redirect URIs must match (redirectUriMatchesPattern).
 */
export function isRedirectUriValid(app: CasdoorApplication, redirectUri: string): boolean {
  const u = parseUrl(redirectUri);
  const origin = u ? `${u.protocol}//${u.hostname}` : '';
  if (['http://localhost', 'https://localhost', 'http://127.0.0.1', 'http://casdoor-authenticator'].includes(origin) || origin.endsWith('.chromiumapp.org')) return true;
  return app.redirectUris.some((target) => redirectUriMatchesPattern(redirectUri, target));
}

/**
 * object/application_util.go redirectUriMatchesPattern (v3.158): equal strings; else, for a
 * redirect URI with a host: a target URL with a host → redirectUriMatchesTarget; a host-only target
 * ("example.com/cb", read as https://…) → http(s), the host or a subdomain (".example.com": subdomains
 * only), the same path unless the target's is empty or "/"; else the target as an anchored regexp.
 */
function redirectUriMatchesPattern(redirectUri: string, target: string): boolean {
  if (target === '') return false;
  if (redirectUri === target) return true;
  const r = parseUrl(redirectUri);
  if (!r) return false;
  const t = parseUrl(target);
  if (t) return redirectUriMatchesTarget(r, t);
  const withScheme = parseUrl(`https://${target}`);
  if (withScheme) {
    const host = withScheme.hostname;
    const hostMatches = host.startsWith('.') ? r.hostname.endsWith(host) : r.hostname === host || r.hostname.endsWith(`.${host}`);
    const schemeOk = r.protocol === 'http:' || r.protocol === 'https:';
    const pathMatches = withScheme.path === '' || withScheme.path === '/' || r.path === withScheme.path;
    return schemeOk && hostMatches && pathMatches;
  }
  try {
    return new RegExp(`^(?:${target})$`).test(redirectUri); // Go's RE2; JavaScript's syntax stands in
  } catch {
    return false;
  }
}

/** object/application_util.go redirectUriMatchesTarget: same scheme and port, the host or a subdomain of it, the same path. */
function redirectUriMatchesTarget(r: ParsedUrl, t: ParsedUrl): boolean {
  if (r.protocol !== t.protocol || r.port !== t.port) return false;
  if (r.hostname !== t.hostname && !r.hostname.endsWith(`.${t.hostname}`)) return false;
  return r.path === t.path;
}

/** object/token_oauth_util.go GetOAuthCode: the code row for a signed-in user; `message` when refused. */
export async function getOAuthCode(env: OAuthEnv, user: CasdoorUser, p: OAuthCodeParams): Promise<{ message: string; code: string }> {
  if (user.isForbidden) return { message: 'error: the user is forbidden to sign in, please contact the administrator', code: '' };
  const { msg, app } = checkOAuthLogin(env.model, p);
  if (msg !== '' || app === undefined) return { message: msg, code: '' };
  // Emulator-only guard (GetOAuthCode has none): Casdoor's /api/login already finds the user in the
  // application's organization (controllers/auth.go Login → object.GetUserByFieldsForSharedApp), as
  // authorize.ts does; a caller passing another organization's user is refused here.
  if (user.owner !== app.organization && !(app.isShared && env.model.organizations.get(user.owner)?.defaultApplication === app.name)) {
    return { message: 'Unauthorized operation', code: '' };
  }
  const [scope] = isScopeValidAndExpand(env.model, p.scope, app);
  if (p.resource !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(p.resource)) return { message: 'resource must be an absolute URI', code: '' };
  const resource = env.model.behaviour.resourceIndicator ? p.resource : '';
  const minted = await mint(env, app, user, {
    scope,
    nonce: p.nonce,
    resource,
    code: {
      codeChallenge: p.challenge === 'null' ? '' : p.challenge,
      codeIsUsed: false,
      // Codes must be used within 5 minutes.
      codeExpireIn: Math.floor(Date.now() / 1000) + 300,
    },
  });
  if ('error' in minted) throw new InternalError(minted.error_description ?? minted.error);
  return { message: '', code: minted.token.code };
}

/** object/token_oauth_util.go ExpireTokenByAccessToken: ExpiresIn = 0 (the refresh token dies with it). */
export function expireTokenByAccessToken(model: CasdoorModel, accessToken: string): { token?: CasdoorToken; app?: CasdoorApplication } {
  const token = model.getTokenByAccessToken(accessToken);
  if (token === undefined) return {};
  token.expiresIn = 0;
  return { token, app: model.getApplication(`${token.owner}/${token.application}`) };
}

function emptyUser(): CasdoorUser {
  return {
    owner: '', name: '', createdTime: '', id: '', type: '', password: '', displayName: '', firstName: '', lastName: '',
    avatar: '', email: '', emailVerified: false, phone: '', countryCode: '', region: '', location: '', address: [],
    affiliation: '', title: '', homepage: '', bio: '', tag: '', language: '', gender: '', birthday: '', isAdmin: false,
    isForbidden: false, isDeleted: false, signupApplication: '', groups: [], roles: [], permissions: [], properties: {},
    signinWrongTimes: 0, lastSigninWrongTime: '',
  };
}
