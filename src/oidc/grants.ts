/** Token-endpoint grants (form-encoded POSTs to the discovered token_endpoint). */
import { CliError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { extractOAuthError, httpStatusError, loginError, type GrantName } from './casdoor-errors.js';
import type { ProviderMetadata } from './discovery.js';
import { parseJson } from './discovery.js';
import type { HttpClient, HttpResponse } from './http.js';

export interface TokenSet {
  idToken: string;
  refreshToken?: string;
  accessToken?: string;
  expiresIn?: number;
}

export interface ClientCredentials {
  clientId: string;
  clientSecret?: string;
  /** Only used to explain a client-id/application-name mix-up. */
  application?: string;
  /**
   * RFC 8707 resource (--resource): sent with the authorization request and the code exchange (browser
   * grant only), and the audience the id_token must then carry instead of the client id (verify.ts).
   * Not a form field of clientFields: Casdoor reads it only in the authorization-code flow.
   */
  resource?: string;
}

/** Checks a token-endpoint answer (pure apart from registering the secrets it carries). */
export function parseTokenResponse(status: number, text: string, url: string, grant: GrantName, client: ClientCredentials & { scope?: string }): TokenSet {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const failed = httpStatusError(status, body, url, `${grant} grant`);
  if (failed) throw failed;
  const err = extractOAuthError(status, body);
  if (err) throw loginError(err, grant, client);
  if (body === undefined) parseJson(text, 'token response', url); // throws the explanatory error
  const b = body as Record<string, unknown>;
  for (const key of ['access_token', 'id_token', 'refresh_token']) {
    if (typeof b[key] === 'string') registerSecret(b[key] as string);
  }
  // Casdoor object/token_oauth.go GetClientCredentialsToken keeps only the access token of
  // generateJwtToken (id_token and refresh_token come back empty): that access token is the same signed
  // JWT an id_token is elsewhere (iss, aud = client id, exp), with the application as its user.
  if (grant === 'client_credentials' && (typeof b.id_token !== 'string' || b.id_token === '') && typeof b.access_token === 'string' && b.access_token.split('.').length === 3) {
    b.id_token = b.access_token;
  }
  if (typeof b.id_token !== 'string' || b.id_token === '') {
    throw new CliError('login', `Casdoor's token response has no id_token.`, {
      hint: 'Request the "openid" scope and check the application\'s token format in Casdoor.',
    });
  }
  return {
    idToken: b.id_token,
    ...(typeof b.refresh_token === 'string' && b.refresh_token !== '' ? { refreshToken: b.refresh_token } : {}),
    ...(typeof b.access_token === 'string' ? { accessToken: b.access_token } : {}),
    ...(typeof b.expires_in === 'number' ? { expiresIn: b.expires_in } : {}),
  };
}

/** The client's part of every form sent to Casdoor: client_id, and client_secret when there is one. */
export function clientFields(client: ClientCredentials): Record<string, string> {
  return { client_id: client.clientId, ...(client.clientSecret ? { client_secret: client.clientSecret } : {}) };
}

/** POSTs one grant to the token endpoint and returns the raw answer (device polling reads it itself). */
export function sendGrant(
  http: HttpClient,
  meta: ProviderMetadata,
  grant: GrantName,
  client: ClientCredentials,
  form: Record<string, string>,
): Promise<HttpResponse> {
  return http.postForm(meta.token_endpoint, { ...form, ...clientFields(client) }, `${grant} grant`);
}

/** POSTs one grant to the token endpoint and checks the answer. */
export async function postGrant(
  http: HttpClient,
  meta: ProviderMetadata,
  grant: GrantName,
  client: ClientCredentials,
  form: Record<string, string>,
  scope?: string,
): Promise<TokenSet> {
  const res = await sendGrant(http, meta, grant, client, form);
  return parseTokenResponse(res.status, res.text, meta.token_endpoint, grant, { ...client, ...(scope !== undefined ? { scope } : {}) });
}

/**
 * The `scope` form field, only when a scope is asked for. Casdoor's tokens carry the same claims
 * whatever the scope (the application's token format decides them: object/token_jwt.go
 * generateJwtTokenInternal), and an empty scope is always valid, also for an application that defines
 * Scopes (object/token_oauth_util.go IsScopeValidAndExpand: `len(application.Scopes) == 0 || scope == ""`),
 * so by default none is sent.
 */
export function scopeField(scope: string | undefined): Record<string, string> {
  return scope ? { scope } : {};
}

export function passwordGrant(
  http: HttpClient,
  meta: ProviderMetadata,
  client: ClientCredentials,
  username: string,
  password: string,
  scope?: string,
): Promise<TokenSet> {
  return postGrant(http, meta, 'password', client, { grant_type: 'password', username, password, ...scopeField(scope) }, scope);
}

/**
 * No scope on refresh: Casdoor then reuses the original grant's scope (object/token_oauth_util.go
 * RefreshToken: `if scope == "" { scope = oldTokenScope }`; a scope sent is taken as is, unchecked, in
 * v3.158). kubectl's oidc refresh sends none either (golang.org/x/oauth2
 * tokenRefresher). The client secret goes along only when there is one: Casdoor checks it only if sent
 * (RefreshToken: `if clientSecret != "" && application.ClientSecret != clientSecret`).
 */
export function refreshGrant(http: HttpClient, meta: ProviderMetadata, client: ClientCredentials, refreshToken: string): Promise<TokenSet> {
  return postGrant(http, meta, 'refresh_token', client, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/** Exchanges an authorization code (with its PKCE verifier and the redirect URI it was sent to). */
export function authorizationCodeGrant(
  http: HttpClient,
  meta: ProviderMetadata,
  client: ClientCredentials,
  code: { code: string; redirectUri: string; verifier: string },
): Promise<TokenSet> {
  return postGrant(http, meta, 'authorization_code', client, {
    grant_type: 'authorization_code',
    code: code.code,
    redirect_uri: code.redirectUri,
    code_verifier: code.verifier,
    // Casdoor object/token_oauth.go GetAuthorizationCodeToken: `resource != token.Resource` → invalid_grant
    // "resource parameter does not match authorization request", so the exchange repeats exactly what the
    // authorization request sent (and sends none when it sent none).
    ...(client.resource ? { resource: client.resource } : {}),
  });
}

/** What introspection said about a token. */
export interface Introspection {
  active: boolean;
}

/**
 * Token introspection, used only to prove a client secret when no refresh grant can (no refresh token,
 * or the Refresh Token grant disabled, where Casdoor answers before looking at the secret). Casdoor
 * checks the secret here always (controllers/token.go IntrospectToken: client id and secret from HTTP
 * Basic, else from the form; `application.ClientSecret != clientSecret` → "Invalid application or wrong
 * clientSecret", in the `{"status":"error"}` shape or as `invalid_client` depending on the release),
 * and answers `{"active": …}` when they are right.
 */
export async function introspect(http: HttpClient, endpoint: string, client: ClientCredentials, token: string): Promise<Introspection> {
  const res = await http.postForm(endpoint, { token, token_type_hint: 'access_token', ...clientFields(client) }, 'token introspection');
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = undefined;
  }
  const failed = httpStatusError(res.status, body, endpoint, 'token introspection');
  if (failed) throw failed;
  const err = extractOAuthError(res.status, body);
  if (err) throw loginError(err, 'introspection', client);
  if (body === undefined) parseJson(res.text, 'introspection response', endpoint);
  const b = body as Record<string, unknown>;
  if (typeof b.active !== 'boolean') {
    throw new CliError('network', `The introspection answer from ${endpoint} has no "active" field: is this Casdoor's introspection endpoint?`);
  }
  return { active: b.active };
}

/**
 * The client-credentials grant: the application itself signs in with its client secret (Casdoor checks
 * it: object/token_oauth.go GetClientCredentialsToken, "client_secret is invalid"). No scope is sent:
 * an empty scope is always valid (IsScopeValidAndExpand), while one the application does not define is
 * invalid_scope. No refresh token comes back, so an expired token means a new grant.
 */
export function clientCredentialsGrant(http: HttpClient, meta: ProviderMetadata, client: ClientCredentials): Promise<TokenSet> {
  return postGrant(http, meta, 'client_credentials', client, { grant_type: 'client_credentials' });
}
