/**
 * Casdoor answers token-endpoint errors in two shapes: the OAuth one (HTTP 400/401 with
 * `error`/`error_description`) and older Casdoor's HTTP 200 `{"status":"error","msg":…}`.
 * This module recognises both (pure) and turns them into messages that quote Casdoor's own words.
 *
 * Only those shapes are Casdoor refusing a request (exit 3). A 5xx, or a 4xx without either shape
 * (a proxy's error page, a wrong endpoint), says nothing about the credentials: it is a network error
 * (exit 5), so that the token command keeps a refresh token that may well still work.
 */
import { CliError, type ErrorReason } from '../errors.js';
import { redact } from '../redact.js';
import { hostOf } from '../validate.js';

export interface OAuthErrorBody {
  error: string;
  description: string;
  legacy: boolean;
}

/**
 * Returns the refusal carried by an answer below HTTP 500, or undefined when there is none (a success,
 * or an answer that is not an OAuth error: see `httpStatusError`).
 */
export function extractOAuthError(status: number, body: unknown): OAuthErrorBody | undefined {
  if (status >= 500) return undefined;
  return oauthShape(body);
}

function oauthShape(body: unknown): OAuthErrorBody | undefined {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    if (typeof b.error === 'string' && b.error !== '') {
      return { error: b.error, description: typeof b.error_description === 'string' ? b.error_description : '', legacy: false };
    }
    if (b.status === 'error') {
      return { error: 'casdoor_error', description: typeof b.msg === 'string' ? b.msg : '', legacy: true };
    }
  }
  return undefined;
}

/**
 * An HTTP error status that is not Casdoor refusing the request: any 5xx (Casdoor or a proxy in front
 * of it failed), or a 4xx without an OAuth error body. A network error (exit 5) in one line, no hint:
 * kubectl shows the plugin's stderr as is.
 */
export function httpStatusError(status: number, body: unknown, url: string, what: string): CliError | undefined {
  if (status < 400 || (status < 500 && oauthShape(body))) return undefined;
  const description = oauthShape(body)?.description;
  const quoted = description ? ` ("${redact(description)}")` : '';
  const answered = `Casdoor answered HTTP ${status} to the ${what} at ${hostOf(url)}`;
  return new CliError(
    'network',
    status >= 500
      ? `${answered}${quoted}: Casdoor or a proxy in front of it failed, which says nothing about the login; try again later.`
      : `${answered} without an OAuth error: check that ${url} is Casdoor's endpoint and that no proxy is in the way.`,
  );
}

export type GrantName = 'password' | 'refresh_token' | 'authorization_code' | 'device_code' | 'client_credentials' | 'introspection';

const GRANT_LABEL: Record<GrantName, string> = {
  password: 'Password',
  refresh_token: 'Refresh Token',
  authorization_code: 'Authorization Code',
  device_code: 'Device Code',
  client_credentials: 'Client Credentials',
  introspection: 'Token introspection',
};

/**
 * Which refusal it is, from the OAuth error code and Casdoor's own words in the description. Callers
 * branch on the reason, never on the message text (the wizard re-asks the password but not the
 * username, and gives up on a locked account); the hint is derived from it, so the two never disagree.
 * Undefined for a refusal nothing reacts to in particular.
 */
export function reasonFor(e: Pick<OAuthErrorBody, 'error' | 'description'>): ErrorReason | undefined {
  const d = e.description.toLowerCase();
  // Casdoor says invalid_client for a wrong secret too: the description tells which half is wrong.
  // controllers/token.go IntrospectToken says "Invalid application or wrong clientSecret".
  if (d.includes('client_secret') || d.includes('wrong clientsecret') || (e.error === 'invalid_client' && d.includes('secret'))) return 'wrong-client-secret';
  // /api/device-auth puts the translated "Invalid client_id" in `error` itself (controllers/auth.go DeviceAuth).
  if (e.error === 'invalid_client' || d.includes('client_id is invalid') || d.includes('invalid client_id') || e.error.toLowerCase().includes('invalid client_id')) return 'invalid-client';
  if (e.error === 'unsupported_grant_type' || e.error === 'unauthorized_client' || d.includes('is not supported in this application')) return 'grant-disabled';
  if (d.includes('user does not exist')) return 'unknown-user';
  if (d.includes('password or code is incorrect') || d.includes('password cannot be empty')) return 'wrong-password';
  if (d.includes('please wait')) return 'account-locked';
  if (d.includes('oauth users cannot use password grant')) return 'external-account';
  // Not in Casdoor v3.158 (object/token_oauth.go GetPasswordToken has no MFA check): kept for a server that says so.
  if (d.includes('mfa enabled')) return 'mfa-required';
  // object/token_oauth.go GetPasswordToken, object/token_oauth_util.go mintImplicitToken (the device grant): IsScopeValidAndExpand.
  // (object/token_oauth_util.go RefreshToken checks no scope in v3.158.)
  if (e.error === 'invalid_scope') return 'invalid-scope';
  if (d.includes('forbidden to sign in')) return 'account-forbidden';
  return undefined;
}

/** What the user should do about a refusal, from its reason. */
function hintFor(reason: ErrorReason | undefined, grant: GrantName, ctx: LoginErrorContext): string | undefined {
  switch (reason) {
    case 'wrong-client-secret':
      return "Check --client-secret / CASDOOR_CLIENT_SECRET (the application's Client Secret).";
    case 'invalid-client': {
      const nameHint = ctx.application && ctx.application === ctx.clientId
        ? ` You passed the application name "${ctx.application}" as the client ID.`
        : '';
      return `--client-id must be the application's Client ID (shown on its page in Casdoor), not its name.${nameHint}`;
    }
    case 'grant-disabled':
      return `Enable the "${GRANT_LABEL[grant]}" grant type in the Casdoor application's settings (Grant types).`;
    case 'unknown-user':
      return 'Use the bare username (not org/username) of a user in the application\'s organization.';
    case 'wrong-password':
      return 'Check the password (pass it with --password-stdin or CASDOOR_PASSWORD).';
    case 'account-locked':
      return 'Casdoor locked the account after too many failed attempts; wait and try again.';
    case 'external-account':
      return 'This account signs in through another provider: use --grant browser or --grant device.';
    case 'account-forbidden':
      return 'Ask a Casdoor administrator to unblock the account.';
    case 'mfa-required':
      return 'Casdoor refuses the password grant to users with multi-factor authentication: use --grant browser or --grant device.';
    case 'invalid-scope':
      return scopeHint(ctx.scope);
    default:
      return grant === 'refresh_token' ? 'Log in again (re-run casdoor-kubeconfig setup).' : undefined;
  }
}

/** What is known about the request when a refusal is explained. */
export interface LoginErrorContext {
  clientId: string;
  application?: string;
  /** The scope requested ('' or undefined: none). */
  scope?: string;
}

/**
 * invalid_scope, precisely: Casdoor checks the requested scope only when the application defines
 * Scopes, and then every requested scope must be one of them (or a regular expression matching one);
 * an empty scope is always valid (object/token_oauth_util.go IsScopeValidAndExpand). Casdoor's message
 * does not say which scope it refused, so the hint names all of them.
 */
export function scopeHint(scope: string | undefined): string {
  const asked = scope ? scope.split(/\s+/).filter(Boolean) : [];
  const which = asked.length === 1 ? `the scope "${asked[0]}" is` : `one of the scopes ${asked.map((s) => `"${s}"`).join(', ')} is`;
  return asked.length
    ? `The application defines Scopes in Casdoor and ${which} not among them. Ask only for scopes the application lists (--scope), or for none (--scope '': an empty scope is always accepted), or add the scope to the application's Scopes.`
    : "The application defines Scopes in Casdoor and refused the scope of the original login: log in again with --scope ''.";
}

/** Casdoor refused a request (exit 3); carries the refusal so callers can tell a dead refresh token from a misconfiguration. */
export class CasdoorRefusal extends CliError {
  readonly oauth: OAuthErrorBody;
  readonly grant: GrantName;

  constructor(oauth: OAuthErrorBody, grant: GrantName, message: string, hint: string | undefined) {
    const reason = reasonFor(oauth);
    super('login', message, { ...(hint === undefined ? {} : { hint }), ...(reason === undefined ? {} : { reason }) });
    this.oauth = oauth;
    this.grant = grant;
  }
}

export function loginError(e: OAuthErrorBody, grant: GrantName, ctx: LoginErrorContext): CliError {
  const quoted = e.description ? `: "${redact(e.description)}"` : '';
  const what = e.legacy ? 'Casdoor refused the request' : `Casdoor refused the request (${e.error})`;
  return new CasdoorRefusal(e, grant, `${what}${quoted}.`, hintFor(reasonFor(e), grant, ctx));
}

/** Casdoor's words for a dead refresh token (object/token_oauth_util.go RefreshToken; token_oauth.go before v2.403.1), in either error shape. */
const DEAD_REFRESH_TOKEN = /refresh token is (invalid or revoked|expired)/i;

/**
 * True only when Casdoor refused a refresh because the refresh token itself is dead (invalid_grant,
 * or its description in the legacy HTTP-200 shape): then, and only then, forgetting it and logging in
 * again is right. A wrong client id or secret, a disabled grant or an outage leave it usable.
 */
export function isRefreshTokenRefused(err: unknown): boolean {
  if (!(err instanceof CasdoorRefusal) || err.grant !== 'refresh_token') return false;
  return err.oauth.error === 'invalid_grant' || DEAD_REFRESH_TOKEN.test(err.oauth.description);
}
