/**
 * Device login (RFC 8628): ask the discovered device_authorization_endpoint for a user code, show it
 * with the verification URL, and poll the token endpoint at the server's interval.
 *
 * Casdoor specifics: `/api/device-auth` answers some errors with HTTP 200 (`{"error":"unauthorized_client"}`
 * when device login is not enabled), never sends `verification_uri_complete` and never `slow_down`;
 * the error body is what counts, whatever the status. `slow_down` is still honored (+5 s, as the RFC says)
 * for other servers and for a Casdoor that adds it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { CliError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { extractOAuthError, httpStatusError, loginError } from './casdoor-errors.js';
import { parseJson, type ProviderMetadata } from './discovery.js';
import { clientFields, parseTokenResponse, sendGrant, type ClientCredentials, type TokenSet } from './grants.js';
import type { HttpClient } from './http.js';
import { LOGIN_SCOPE } from './browser-login.js';

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.5: on slow_down the interval grows by 5 seconds for this and all later polls. */
export const SLOW_DOWN_STEP_SECONDS = 5;
/** RFC 8628's default when the server names no interval (also Casdoor's value). */
export const DEFAULT_INTERVAL_SECONDS = 5;
const DEFAULT_EXPIRES_IN_SECONDS = 600;

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

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback);

/** Checks the device authorization answer (pure apart from registering the device code as a secret). */
export function parseDeviceAuthorization(status: number, text: string, url: string, client: ClientCredentials): DeviceAuthorization {
  const body = parseBody(status, text, url, 'device authorization response');
  const failed = httpStatusError(status, body, url, 'device authorization');
  if (failed) throw failed;
  const err = extractOAuthError(status, body);
  if (err) throw loginError(err, 'device_code', client);
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
    expiresIn: num(b.expires_in, DEFAULT_EXPIRES_IN_SECONDS),
    interval: num(b.interval, DEFAULT_INTERVAL_SECONDS),
  };
}

export type PollResult = { kind: 'pending' } | { kind: 'slow_down' } | { kind: 'tokens'; tokens: TokenSet };

export function deviceExpiredError(): CliError {
  return new CliError('login', 'The device code expired before the sign-in was approved.', {
    hint: 'Run the command again and approve the sign-in in the browser before the code expires.',
  });
}

/** Classifies one poll answer (pure apart from registering token secrets). */
export function parsePollResponse(status: number, text: string, url: string, client: ClientCredentials): PollResult {
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
        throw deviceExpiredError();
      case 'access_denied':
        throw new CliError('login', `The sign-in was denied${err.description ? `: "${err.description}"` : ''}.`, {
          hint: 'Run the command again and approve the request in the browser.',
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
}

export async function requestDeviceAuthorization(http: HttpClient, meta: ProviderMetadata, client: ClientCredentials): Promise<DeviceAuthorization> {
  const endpoint = meta.device_authorization_endpoint;
  if (!endpoint) {
    throw new CliError('login', "Casdoor's discovery document lists no device_authorization_endpoint: this server offers no device login.", {
      hint: 'Use --grant browser or --grant password.',
    });
  }
  const res = await http.postForm(endpoint, { ...clientFields(client), scope: LOGIN_SCOPE }, 'device authorization');
  return parseDeviceAuthorization(res.status, res.text, endpoint, client);
}

export async function deviceLogin(options: DeviceLoginOptions): Promise<TokenSet> {
  const { http, meta, client } = options;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const now = options.now ?? Date.now;
  const auth = await requestDeviceAuthorization(http, meta, client);
  const deadline = now() + auth.expiresIn * 1000;
  options.notify(
    auth.verificationUriComplete
      ? `To sign in, open ${auth.verificationUriComplete}\n  (or open ${auth.verificationUri} and enter the code ${auth.userCode}).`
      : `To sign in, open ${auth.verificationUri} and enter the code ${auth.userCode}`,
  );
  let interval = auth.interval;
  for (;;) {
    if (now() + interval * 1000 > deadline) throw deviceExpiredError();
    await sleep(interval * 1000);
    const res = await sendGrant(http, meta, 'device_code', client, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: auth.deviceCode });
    const result = parsePollResponse(res.status, res.text, meta.token_endpoint, client);
    if (result.kind === 'tokens') return result.tokens;
    if (result.kind === 'slow_down') interval += SLOW_DOWN_STEP_SECONDS;
  }
}
