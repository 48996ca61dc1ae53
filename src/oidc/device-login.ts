/**
 * Device login (RFC 8628): ask the discovered device_authorization_endpoint for a user code, show it
 * with the verification URL, and poll the token endpoint at the server's interval.
 *
 * Casdoor specifics (controllers/auth.go DeviceAuth, object/wellknown_oidc_discovery.go
 * GetDeviceAuthResponse, object/token_oauth_util.go DeviceAuthExpiresIn / DeviceAuthInterval):
 * - `/api/device-auth` answers its errors with HTTP 200: `{"error":"unauthorized_client"}` when the
 *   application lacks the "Device login" sign-in method (`application.HasSigninMethod("Device login")`,
 *   v3.27+), and `error` = the translated "Invalid client_id" for an unknown client. The error body is
 *   what counts, whatever the status.
 * - `interval` is 5 since v3.27 and 0 in v1.901–v3.26: below 1 means 5 s here, never a tight loop.
 * - `expires_in` is the application's code resend timeout, else 120 (DeviceAuthExpiresIn); older
 *   releases expire the code after 120 s whatever they announce.
 * - `verification_uri` is `<frontend>/login/oauth/device/<user_code>?cancelToken=…`: the code is
 *   already in it, and there is no `verification_uri_complete`.
 * - polling answers `authorization_pending`, `expired_token` (also for a code Casdoor does not know),
 *   `access_denied` (denied, or already used); never `slow_down`, which is still honored (+5 s, as the
 *   RFC says) for a Casdoor that adds it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { CliError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { CasdoorRefusal, extractOAuthError, httpStatusError, loginError, type OAuthErrorBody } from './casdoor-errors.js';
import { parseJson, type ProviderMetadata } from './discovery.js';
import { clientFields, parseTokenResponse, scopeField, sendGrant, type ClientCredentials, type TokenSet } from './grants.js';
import type { HttpClient } from './http.js';

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.5: on slow_down the interval grows by 5 seconds for this and all later polls. */
export const SLOW_DOWN_STEP_SECONDS = 5;
/** RFC 8628's default when the server names no interval, or one below 1 s (Casdoor v1.901–v3.26 send 0). */
export const DEFAULT_INTERVAL_SECONDS = 5;
/** Casdoor's DeviceAuthExpiresIn, used when no expires_in comes back. */
export const DEFAULT_EXPIRES_IN_SECONDS = 120;

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresIn: number;
  interval: number;
}

function parseBody(status: number, text: string, url: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (status >= 400) return undefined; // the status alone is the error
    return parseJson(text, what, url); // throws the explanatory error
  }
}

/** A positive number of seconds, else the fallback: 0 (or less, or junk) never means "poll without pause". */
const seconds = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 1 ? v : fallback);

/**
 * `/api/device-auth` refusing: an application without the "Device login" sign-in method says
 * unauthorized_client (controllers/auth.go DeviceAuth, v3.27+). Enabling the Device Code grant type does
 * not help there, so the hint says which setting it is.
 */
function deviceAuthRefusal(err: OAuthErrorBody, client: ClientCredentials): CliError {
  if (err.error === 'unauthorized_client') {
    return new CasdoorRefusal(
      err,
      'device_code',
      `Casdoor refused the device login (unauthorized_client)${err.description ? `: "${err.description}"` : ''}.`,
      'The application lacks the "Device login" sign-in method (required since Casdoor v3.27): add it under the application\'s "Sign-in methods" in Casdoor (the "Device Code" grant type is needed too), or use --grant browser or --grant password.',
    );
  }
  return loginError(err, 'device_code', client);
}

/** Checks the device authorization answer (pure apart from registering the device code as a secret). */
export function parseDeviceAuthorization(status: number, text: string, url: string, client: ClientCredentials): DeviceAuthorization {
  const body = parseBody(status, text, url, 'device authorization response');
  const failed = httpStatusError(status, body, url, 'device authorization');
  if (failed) throw failed;
  const err = extractOAuthError(status, body);
  if (err) throw deviceAuthRefusal(err, client);
  const b = (body ?? {}) as Record<string, unknown>;
  // Some servers (Google's) say verification_url; accept both.
  const verificationUri = typeof b.verification_uri === 'string' ? b.verification_uri : typeof b.verification_url === 'string' ? b.verification_url : undefined;
  if (typeof b.device_code !== 'string' || !b.device_code || typeof b.user_code !== 'string' || !b.user_code || !verificationUri) {
    throw new CliError('login', `The device authorization response from ${url} lacks device_code, user_code or verification_uri.`, {
      hint: 'Is device login enabled for this application in Casdoor? Otherwise use --grant browser or --grant password.',
    });
  }
  registerSecret(b.device_code);
  return {
    deviceCode: b.device_code,
    userCode: b.user_code,
    verificationUri,
    ...(typeof b.verification_uri_complete === 'string' && b.verification_uri_complete ? { verificationUriComplete: b.verification_uri_complete } : {}),
    expiresIn: seconds(b.expires_in, DEFAULT_EXPIRES_IN_SECONDS),
    interval: seconds(b.interval, DEFAULT_INTERVAL_SECONDS),
  };
}

export type PollResult = { kind: 'pending' } | { kind: 'slow_down' } | { kind: 'tokens'; tokens: TokenSet };

/**
 * expired_token: the code's time ran out, or Casdoor no longer knows it (it keeps device codes in
 * memory unless Redis is configured: a restart, or another replica, loses them).
 */
export function deviceExpiredError(expiresIn?: number): CliError {
  return new CliError('login', `The device code expired before the sign-in was approved${expiresIn ? ` (Casdoor gives ${expiresIn} s)` : ''}, or Casdoor no longer knows it.`, {
    hint: 'Run the command again and approve the sign-in in the browser within the time; Casdoor keeps device codes in memory, so a Casdoor restart (or several Casdoor replicas without Redis) loses them.',
  });
}

/** Classifies one poll answer (pure apart from registering token secrets). */
export function parsePollResponse(status: number, text: string, url: string, client: ClientCredentials & { scope?: string }, expiresIn?: number): PollResult {
  const body = parseBody(status, text, url, 'token response');
  const failed = httpStatusError(status, body, url, 'device_code grant');
  if (failed) throw failed;
  const err = extractOAuthError(status, body);
  if (err) {
    switch (err.error) {
      case 'authorization_pending':
        return { kind: 'pending' };
      case 'slow_down':
        return { kind: 'slow_down' };
      case 'expired_token':
        throw deviceExpiredError(expiresIn);
      case 'access_denied':
        // Casdoor says access_denied both when the request was denied and when its code was already used.
        throw new CliError('login', `Casdoor refused the device login (access_denied)${err.description ? `: "${err.description}"` : ''}: the request was denied in the browser, or its code was already used.`, {
          hint: 'Run the command again and approve the new request in the browser.',
        });
      default:
        throw loginError(err, 'device_code', client);
    }
  }
  return { kind: 'tokens', tokens: parseTokenResponse(status, text, url, 'device_code', client) };
}

export interface DeviceLoginOptions {
  http: HttpClient;
  meta: ProviderMetadata;
  client: ClientCredentials;
  /** Shows the code and URL to the person (stderr). */
  notify(text: string): void;
  /** Injected by tests; defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch; injected by tests. */
  now?: () => number;
  /** The scope to ask for; none by default (Casdoor checks it only after approval: object/token_oauth_util.go mintImplicitToken). */
  scope?: string;
}

/**
 * What to tell the person. Casdoor's verification_uri already carries the user code, so it is a URL to
 * open, not a page to type the code into.
 */
export function deviceInstructions(auth: Pick<DeviceAuthorization, 'verificationUri' | 'verificationUriComplete' | 'userCode'>): string {
  if (auth.verificationUriComplete) return `To sign in, open ${auth.verificationUriComplete}\n  (or open ${auth.verificationUri} and enter the code ${auth.userCode}).`;
  if (auth.verificationUri.includes(auth.userCode)) return `To sign in, open this URL on any device and approve the request (code ${auth.userCode}):\n  ${auth.verificationUri}`;
  return `To sign in, open ${auth.verificationUri} and enter the code ${auth.userCode}`;
}

export async function requestDeviceAuthorization(http: HttpClient, meta: ProviderMetadata, client: ClientCredentials, scope?: string): Promise<DeviceAuthorization> {
  const endpoint = meta.device_authorization_endpoint;
  if (!endpoint) {
    throw new CliError('login', "Casdoor's discovery document lists no device_authorization_endpoint: this server offers no device login.", {
      hint: 'Use --grant browser or --grant password.',
    });
  }
  const res = await http.postForm(endpoint, { ...clientFields(client), ...scopeField(scope) }, 'device authorization');
  return parseDeviceAuthorization(res.status, res.text, endpoint, client);
}

export async function deviceLogin(options: DeviceLoginOptions): Promise<TokenSet> {
  const { http, meta, client } = options;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const now = options.now ?? Date.now;
  const auth = await requestDeviceAuthorization(http, meta, client, options.scope);
  const deadline = now() + auth.expiresIn * 1000;
  options.notify(deviceInstructions(auth));
  let interval = auth.interval;
  for (;;) {
    if (now() + interval * 1000 > deadline) throw deviceExpiredError(auth.expiresIn);
    await sleep(interval * 1000);
    const res = await sendGrant(http, meta, 'device_code', client, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: auth.deviceCode });
    const result = parsePollResponse(res.status, res.text, meta.token_endpoint, { ...client, ...(options.scope ? { scope: options.scope } : {}) }, auth.expiresIn);
    if (result.kind === 'tokens') return result.tokens;
    if (result.kind === 'slow_down') interval += SLOW_DOWN_STEP_SECONDS;
  }
}
