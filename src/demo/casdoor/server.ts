/**
 * What the Casdoor emulator's handlers share: the model, counters for tests, the not-Casdoor test
 * knobs, and Casdoor's origin rules and token-endpoint answer shapes.
 */
import { casdoorTime, type CasdoorModel, type CasdoorToken } from './model.js';
import type { OAuthEnv, TokenError, TokenWrapper } from './oauth.js';
import type { RouteContext } from './router.js';

/** Counters the tests read (no timed assertions: they count requests instead). */
export interface ProviderStats {
  /** Every POST to the token endpoint, successful or not. */
  tokenRequests: number;
  /** Token endpoint requests answered with an error (whatever the HTTP status). */
  failedTokenRequests: number;
  passwordGrants: number;
  refreshGrants: number;
  codeGrants: number;
  deviceGrants: number;
  clientCredentialsGrants: number;
  /** Successful /api/device-auth answers. */
  deviceAuthorizations: number;
  /** Token endpoint requests carrying a device_code (every poll, answered or pending). */
  devicePolls: number;
  discoveryRequests: number;
  jwksRequests: number;
  userinfoRequests: number;
  introspections: number;
  logouts: number;
}

export const newStats = (): ProviderStats => ({
  tokenRequests: 0,
  failedTokenRequests: 0,
  passwordGrants: 0,
  refreshGrants: 0,
  codeGrants: 0,
  deviceGrants: 0,
  clientCredentialsGrants: 0,
  deviceAuthorizations: 0,
  devicePolls: 0,
  discoveryRequests: 0,
  jwksRequests: 0,
  userinfoRequests: 0,
  introspections: 0,
  logouts: 0,
});

/** Not Casdoor settings: how the test harness drives the emulator. */
export interface HarnessSettings {
  /** Finish every browser login (authorize page, device page) as this user without a person. */
  autoLoginAs: string | undefined;
  /** Casdoor: true (id_token == access_token). False issues a separate id_token JWT. */
  accessTokenIsIdToken: boolean;
}

export interface EmulatorState {
  model: CasdoorModel;
  stats: ProviderStats;
  harness: HarnessSettings;
}

/**
 * object/wellknown_oidc_discovery.go getOriginFromHost: the `origin` setting verbatim when set (for
 * both), else from the Host header — http:// for a host without a dot or an IP address, https://
 * otherwise; `originFrontend` overrides the frontend one.
 */
export function originsOf(model: CasdoorModel, host: string): { frontend: string; backend: string } {
  let frontend: string;
  let backend: string;
  if (model.config.origin !== '') {
    frontend = model.config.origin;
    backend = model.config.origin;
  } else {
    const hostname = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const isIp = /^\d+\.\d+\.\d+\.\d+$/.test(hostname) || hostname.includes(':');
    const protocol = !host.includes('.') || isIp ? 'http://' : 'https://';
    frontend = protocol + host;
    backend = protocol + host;
  }
  if (model.config.originFrontend !== '') frontend = model.config.originFrontend;
  return { frontend, backend };
}

/** Who is calling: a user or `app/<name>` (with the access token that said so), anonymous, or the filter's refusal. */
export type Subject = { owner: string; name: string; token?: CasdoorToken } | { anonymous: true } | { error: string };

/** object/token.go Token.IsUserActive. */
function isUserActive(model: CasdoorModel, token: CasdoorToken): boolean {
  if (token.grantType === 'client_credentials' || token.user === '') return true;
  const user = model.getUser(token.organization, token.user);
  return user !== undefined && !user.isForbidden && !user.isDeleted;
}

/**
 * routers/auto_signin_filter.go AutoSigninFilter (every route but the token endpoint) and routers/base.go
 * getUsernameByClientIdSecret. An access token (`accessToken`/`access_token` query, else the Bearer
 * header) must exist (object/token.go GetTokenByAccessToken), be unexpired (util/time.go
 * IsTokenExpired: createdTime + expiresIn; logout sets expiresIn 0), belong to an active user
 * (object/token.go Token.IsUserActive: not forbidden, not deleted, still there) and to an existing
 * application; any failure ends the request, public endpoints included.
 */
export function autoSigninFilter(ctx: RouteContext, model: CasdoorModel): Subject {
  const q = (k: string): string => ctx.req.query.get(k) ?? '';
  const auth = ctx.req.headers.authorization ?? '';
  const bearer = q('accessToken') || q('access_token') || (/^bearer /i.test(auth) ? auth.slice(7).trim() : '');
  if (bearer !== '') {
    const token = model.getTokenByAccessToken(bearer);
    if (!token) return { error: "Access token doesn't exist in database" };
    const expiresAt = Date.parse(token.createdTime) + token.expiresIn * 1000;
    if (Date.now() > expiresAt) return { error: `Access token has expired, expireTime = ${casdoorTime(new Date(expiresAt))}` };
    if (!isUserActive(model, token)) return { error: 'The user is forbidden to sign in, please contact the administrator' };
    if (!model.getApplication(`admin/${token.application}`)) return { error: `No application is found for userId: app/${token.application}` };
    if (token.grantType === 'client_credentials') return { owner: 'app', name: token.application, token };
    return { owner: token.organization, name: token.user, token };
  }
  const basic = ctx.req.basicAuth();
  const clientId = basic ? basic.username : q('clientId');
  const clientSecret = basic ? basic.password : q('clientSecret');
  if (clientId !== '' && clientSecret !== '') {
    const app = model.getApplicationByClientId(clientId);
    // A bad Basic pair is ignored (may be a proxy's); bad query credentials are an error.
    if (!app) return basic ? { anonymous: true } : { error: `Application not found for client ID: ${clientId}` };
    if (app.clientSecret !== clientSecret) return basic ? { anonymous: true } : { error: `Incorrect client secret for application: ${app.name}` };
    return { owner: 'app', name: app.name };
  }
  return { anonymous: true };
}

export const oauthEnvOf = (state: EmulatorState, host: string): OAuthEnv => ({
  model: state.model,
  issuer: originsOf(state.model, host).backend,
  accessTokenIsIdToken: state.harness.accessTokenIsIdToken,
});

/** The error texts of Casdoor before v1.62.5 (object/token.go GetOAuthToken of v1.62.0), where they differed. */
function legacyText(e: TokenError): string {
  const d = e.error_description ?? '';
  if (d === 'client_id is invalid') return 'error: invalid client_id';
  if (d.startsWith('invalid username or password')) return 'error: invalid username or password';
  if (d.startsWith('client_secret is invalid')) return 'error: invalid client_secret';
  return `error: ${d === '' ? e.error : d}`;
}

/**
 * Sends a token-endpoint result as Casdoor does: the TokenWrapper with HTTP 200; a TokenError with
 * HTTP 401 + `WWW-Authenticate` for invalid_client, else 400 (controllers/util.go
 * ApiController.SetTokenErrorHttpStatus); before v1.62.5, every error as HTTP 200 inside the token wrapper, with the
 * text in both `access_token` and `error`.
 */
export function sendTokenResult(state: EmulatorState, ctx: RouteContext, result: TokenWrapper | TokenError): void {
  if (!('error' in result)) {
    ctx.json(200, result);
    return;
  }
  if (state.model.behaviour.legacyErrors) {
    const text = legacyText(result);
    ctx.json(200, { access_token: text, id_token: '', refresh_token: '', token_type: '', expires_in: 0, scope: '', error: text });
    return;
  }
  const body = result.error_description === undefined || result.error_description === '' ? { error: result.error } : result;
  if (result.error === 'invalid_client') ctx.json(401, body, { 'www-authenticate': 'Basic realm="OAuth2"' });
  else ctx.json(400, body);
}
