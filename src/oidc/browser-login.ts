/**
 * Browser login: the authorization-code flow with PKCE (S256), redirected to a one-shot listener on
 * 127.0.0.1 (RFC 8252 loopback redirect; Casdoor accepts any `http://127.0.0.1:<port>` redirect URI).
 *
 * Security decisions:
 * - the listener binds 127.0.0.1 only, on a port the OS picks, and lives only for this login;
 * - `state` ties the callback to this login: a callback with another state (a stale tab, a forged
 *   request) fails the login instead of being exchanged;
 * - PKCE binds the code to this process, so a code seen by someone else is useless to them;
 * - `nonce` ties the id_token to this request: the caller checks it after the signature (checkNonce).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { CliError } from '../errors.js';
import { closeServer, listenOnLoopback } from '../listen.js';
import { formatListenAddress, isLoopbackHost, listenOnFirstFree, redirectHostFor, sshForwardCommand, type ListenAddress } from './loopback.js';
import { registerSecret } from '../redact.js';
import type { ProviderMetadata } from './discovery.js';
import { scopeHint } from './casdoor-errors.js';
import { authorizationCodeGrant, type ClientCredentials, type TokenSet } from './grants.js';
import type { HttpClient } from './http.js';
import { pkcePair, randomToken, sameSecret } from './pkce.js';

export const CALLBACK_PATH = '/callback';
/** How long the listener waits for the browser to come back. */
export const BROWSER_LOGIN_TIMEOUT_MS = 5 * 60_000;

export interface AuthorizationRequest {
  url: string;
  redirectUri: string;
  state: string;
  nonce: string;
  verifier: string;
}

/** `scope` undefined or '': none is sent (Casdoor accepts that always: see grants.ts scopeField). */
export function buildAuthorizationRequest(meta: ProviderMetadata, client: ClientCredentials, redirectUri: string, scope?: string): AuthorizationRequest {
  if (!meta.authorization_endpoint) {
    throw new CliError('login', `Casdoor's discovery document lists no authorization_endpoint: browser login is not possible.`, {
      hint: 'Use --grant password or --grant device.',
    });
  }
  const pkce = pkcePair();
  const state = randomToken(16);
  const nonce = randomToken(16);
  const url = new URL(meta.authorization_endpoint);
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', redirectUri);
  // Casdoor checks it on its authorize page (object/token_oauth_util.go CheckOAuthLogin → IsScopeValid).
  if (scope) url.searchParams.set('scope', scope);
  // RFC 8707: Casdoor (v2.318+) stores it with the code (object/token_oauth_util.go GetOAuthCode → Token.Resource)
  // and mints the tokens with aud = [resource] instead of the client id (object/token_jwt.go generateJwtToken).
  if (client.resource) url.searchParams.set('resource', client.resource);
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);
  url.searchParams.set('code_challenge', pkce.challenge);
  url.searchParams.set('code_challenge_method', pkce.method);
  return { url: url.href, redirectUri, state, nonce, verifier: pkce.verifier };
}

/** Checks the query the browser brought back (pure): returns the code, or throws why the login fails. */
export function checkCallback(query: URLSearchParams, expectedState: string): string {
  const error = query.get('error');
  if (error) {
    const description = query.get('error_description');
    return fail(new CliError('login', `Casdoor refused the sign-in (${error})${description ? `: "${description}"` : ''}.`, {
      hint: error === 'access_denied' ? 'Sign in again and allow the request.' : 'Check the application\'s redirect URLs and grant types in Casdoor.',
    }));
  }
  if (!sameSecret(query.get('state') ?? undefined, expectedState)) {
    return fail(new CliError('login', 'The sign-in response carries another state than this login sent: it is not the answer to this login (a stale tab or a forged request), so it was refused.', {
      hint: 'Run the command again and finish signing in in the tab it opens.',
    }));
  }
  const code = query.get('code');
  if (!code) return fail(new CliError('login', 'The sign-in response has no authorization code.'));
  registerSecret(code);
  return code;
}

function fail(err: CliError): never {
  throw err;
}

/** After verification: the id_token must carry the nonce this login sent. */
export function checkNonce(claims: Record<string, unknown>, expected: string): void {
  const nonce = claims['nonce'];
  if (!sameSecret(typeof nonce === 'string' ? nonce : undefined, expected)) {
    throw new CliError('verify', 'The id_token failed verification: its nonce is not the one this login sent (a replayed or injected token).', {
      hint: 'Run the command again; if it keeps failing, something between you and Casdoor is altering the sign-in.',
    });
  }
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function resultPage(ok: boolean, text: string): string {
  const title = ok ? 'Signed in' : 'Sign-in failed';
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title} · casdoor-kubeconfig</title>
<style>body{font-family:sans-serif;max-width:30em;margin:4em auto;line-height:1.5}h1{color:${ok ? '#1b7f3b' : '#b00020'}}</style></head>
<body><h1>${title}</h1><p>${escapeHtml(text)}</p></body></html>`;
}

export interface CallbackListener {
  redirectUri: string;
  /** Resolves with the code of the first callback that passes checkCallback; rejects on a bad one or the timeout. */
  waitForCode(state: string, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

/** `listen`: --listen-address values (first free wins); none: 127.0.0.1 on a port the OS picks. */
export async function startCallbackListener(listen: readonly ListenAddress[] = []): Promise<CallbackListener & { bound: ListenAddress }> {
  let onRequest: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' }).end('not ready\n');
  };
  const server = createServer((req, res) => onRequest(req, res));
  const bound = listen.length > 0 ? await listenOnFirstFree(server, listen) : { host: '127.0.0.1', port: await listenOnLoopback(server) };
  const redirectUri = `http://${redirectHostFor(bound.host)}:${bound.port}${CALLBACK_PATH}`;
  // Cleared by close() too: a login that fails before the callback must not keep the process alive.
  let timer: NodeJS.Timeout | undefined;
  return {
    redirectUri,
    bound,
    waitForCode: (state, timeoutMs) =>
      new Promise<string>((resolve, reject) => {
        let settled = false;
        timer = setTimeout(() => {
          settled = true;
          reject(new CliError('login', `No sign-in came back within ${Math.round(timeoutMs / 1000)} s (waiting at ${redirectUri}).`, {
            hint: 'Run the command again and finish signing in in the browser; without a browser on this machine use --grant device.',
          }));
        }, timeoutMs);
        onRequest = (req, res) => {
          const url = new URL(req.url ?? '/', redirectUri);
          const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' };
          if (url.pathname !== CALLBACK_PATH || req.method !== 'GET') {
            res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
            return;
          }
          if (settled) {
            res.writeHead(200, headers).end(resultPage(true, 'This sign-in is already finished. You can close this tab.'));
            return;
          }
          settled = true;
          clearTimeout(timer);
          let code: string;
          try {
            code = checkCallback(url.searchParams, state);
          } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            res.writeHead(400, headers).end(resultPage(false, `${message} Return to the terminal for details. You can close this tab.`), () => reject(err));
            return;
          }
          res.writeHead(200, headers).end(
            resultPage(true, 'You are signed in to Casdoor; casdoor-kubeconfig got your tokens. You can close this tab and return to the terminal.'),
            () => resolve(code),
          );
        };
      }),
    close: async () => {
      clearTimeout(timer);
      await closeServer(server);
    },
  };
}

export function exchangeCode(http: HttpClient, meta: ProviderMetadata, client: ClientCredentials, code: string, request: AuthorizationRequest): Promise<TokenSet> {
  return authorizationCodeGrant(http, meta, client, { code, redirectUri: request.redirectUri, verifier: request.verifier });
}

export interface BrowserLoginOptions {
  http: HttpClient;
  meta: ProviderMetadata;
  client: ClientCredentials;
  /** Opens the URL (a browser, a script); failures are the opener's to report: the URL is printed anyway. */
  openUrl(url: string): Promise<void>;
  /** A message for the person (stderr). */
  notify(text: string): void;
  timeoutMs?: number;
  /** The scope to ask for; none by default. */
  scope?: string;
  /** --listen-address values, in order (first free wins). */
  listen?: readonly ListenAddress[];
  /** The environment: SSH_CONNECTION makes the login print the `ssh -L` command that carries the callback. */
  env?: NodeJS.ProcessEnv;
}

export interface CodeLogin {
  tokens: TokenSet;
  /** The nonce sent; the caller checks it against the verified id_token. */
  nonce: string;
}

export async function browserLogin(options: BrowserLoginOptions): Promise<CodeLogin> {
  const listener = await startCallbackListener(options.listen ?? []);
  try {
    const request = buildAuthorizationRequest(options.meta, options.client, listener.redirectUri, options.scope);
    if (!isLoopbackHost(listener.bound.host)) {
      options.notify(`The sign-in callback listens on ${formatListenAddress(listener.bound)}, reachable from other machines (state and PKCE still tie it to this login).`);
    }
    const forward = options.env ? sshForwardCommand(options.env, listener.bound.port) : undefined;
    if (forward) {
      options.notify(
        `This is an SSH session: the browser on your machine can reach the sign-in callback (${listener.redirectUri}) only through a tunnel. On your machine, run:\n  ${forward}\n` +
          `then open the URL below there.${options.listen?.length ? '' : ' (Pin the port with --listen-address 127.0.0.1:PORT to keep one tunnel for every login.)'}`,
      );
    }
    const code = listener.waitForCode(request.state, options.timeoutMs ?? BROWSER_LOGIN_TIMEOUT_MS);
    // Attach the handler now: a rejection (timeout, bad callback) must not go unhandled while opening.
    code.catch(() => undefined);
    options.notify(`Sign in to Casdoor in the browser. If no browser opens, open this URL on this machine:\n  ${request.url}`);
    // Casdoor answers a refused scope with an "Invalid scope" page, not with a redirect back here
    // (object/token_oauth_util.go CheckOAuthLogin / GetOAuthCode): only the person sees it.
    if (options.scope) options.notify(`If Casdoor shows "Invalid scope": ${scopeHint(options.scope)}`);
    await options.openUrl(request.url);
    const tokens = await exchangeCode(options.http, options.meta, options.client, await code, request);
    return { tokens, nonce: request.nonce };
  } finally {
    await listener.close();
  }
}
