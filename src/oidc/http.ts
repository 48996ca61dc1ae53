/**
 * The one HTTP client for talking to Casdoor: undici with the user's extra CA, proxies from the
 * environment, timeouts and a cap on response size. Every request and its outcome can be traced
 * (`--verbose`) with secrets redacted.
 */
import { rootCertificates } from 'node:tls';
import type { Dispatcher, request as undiciRequest } from 'undici';
import { CliError } from '../errors.js';
import { redact } from '../redact.js';
import { hostOf } from '../validate.js';
import { classifyNetError } from './net-errors.js';

export interface HttpOptions {
  /** PEM text of an extra CA to trust besides the system roots (`--casdoor-ca`). */
  caPem?: string;
  /** Proxy settings, read from the environment the tool was given (HTTPS_PROXY, NO_PROXY …). */
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  maxResponseBytes?: number;
  trace?: (line: string) => void;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface HttpClient {
  /** `headers`: extra request headers (e.g. Authorization for Casdoor's admin API); never traced. */
  get(url: string, what: string, headers?: Record<string, string>): Promise<HttpResponse>;
  postForm(url: string, form: Record<string, string>, what: string): Promise<HttpResponse>;
  /** A JSON body (Casdoor's /api/add-… and /api/update-…); the body is not traced, only its size. */
  postJson?(url: string, body: unknown, what: string, headers?: Record<string, string>): Promise<HttpResponse>;
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
/** Discovery documents, JWKS and token responses are a few KiB; anything near this is not Casdoor. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name] ?? env[name.toLowerCase()] ?? undefined;
}

export function createHttpClient(options: HttpOptions): HttpClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  // Setting `ca` replaces Node's roots, so the system roots are passed along with the extra CA.
  const tls = options.caPem ? { ca: [...rootCertificates, options.caPem] } : {};
  const httpProxy = envValue(options.env, 'HTTP_PROXY');
  const httpsProxy = envValue(options.env, 'HTTPS_PROXY');
  const noProxy = envValue(options.env, 'NO_PROXY');
  // undici costs ~100 ms to load: only commands that really talk to Casdoor pay for it, on first use.
  let dispatcher: Dispatcher | undefined;
  let closed = false;
  const undiciLoaded = async (): Promise<{ dispatcher: Dispatcher; request: typeof undiciRequest }> => {
    const { EnvHttpProxyAgent, request } = await import('undici');
    // close() may have run while undici was loading: then no dispatcher may be created any more.
    if (closed) throw new CliError('internal', 'HTTP client used after close');
    dispatcher ??= new EnvHttpProxyAgent({
      ...(httpProxy ? { httpProxy } : { httpProxy: '' }),
      ...(httpsProxy ? { httpsProxy } : { httpsProxy: '' }),
      ...(noProxy ? { noProxy } : { noProxy: '' }),
      connect: { ...tls, timeout: timeoutMs },
      requestTls: tls,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    return { dispatcher, request };
  };
  const trace = options.trace ?? (() => undefined);

  async function send(
    method: 'GET' | 'POST',
    url: string,
    what: string,
    body?: string,
    extra: { headers?: Record<string, string>; json?: boolean } = {},
  ): Promise<HttpResponse> {
    const started = Date.now();
    const shown = body === undefined ? '' : extra.json ? ` (JSON, ${body.length} bytes)` : ` (${redactForm(body)})`;
    trace(`→ ${method} ${url}${shown}`);
    try {
      const { dispatcher, request } = await undiciLoaded();
      const res = await request(url, {
        method,
        dispatcher,
        headers: {
          accept: 'application/json',
          'user-agent': 'casdoor-kubeconfig',
          ...(body !== undefined ? { 'content-type': extra.json ? 'application/json' : 'application/x-www-form-urlencoded' } : {}),
          ...extra.headers,
        },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await readCapped(res.body, maxBytes, url, what);
      trace(`← ${res.statusCode} ${url} (${text.length} bytes, ${Date.now() - started} ms)`);
      return { status: res.statusCode, headers: res.headers, text };
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw networkError(err, url, what, timeoutMs);
    }
  }

  return {
    get: (url, what, headers) => send('GET', url, what, undefined, headers ? { headers } : {}),
    postForm: (url, form, what) => send('POST', url, what, new URLSearchParams(form).toString()),
    postJson: (url, body, what, headers) => send('POST', url, what, JSON.stringify(body), { json: true, ...(headers ? { headers } : {}) }),
    close: async () => {
      closed = true;
      await dispatcher?.close();
    },
  };
}

function redactForm(body: string): string {
  const params = new URLSearchParams(body);
  const shown: string[] = [];
  for (const [k, v] of params) {
    shown.push(`${k}=${/^(grant_type|client_id|username|scope|redirect_uri)$/.test(k) ? v : '<redacted>'}`);
  }
  return redact(shown.join('&'));
}

async function readCapped(body: AsyncIterable<Buffer>, maxBytes: number, url: string, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      throw new CliError('network', `The ${what} response from ${url} is larger than ${maxBytes} bytes; that is not a Casdoor answer.`, {
        hint: 'Check --casdoor-url: it should be the Casdoor origin (the OIDC issuer).',
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Turns what undici/Node throw into one clear line with the fix (exit 5). */
export function networkError(err: unknown, url: string, what: string, timeoutMs: number): CliError {
  const failure = classifyNetError(err);
  const host = hostOf(url);
  switch (failure.kind) {
    case 'tls':
      return new CliError('network', `TLS: ${host} presented a certificate that is not trusted (${failure.code}) while fetching the ${what}.`, {
        hint: failure.problem === 'altname'
          ? `The certificate is not valid for ${host}; use the host name the certificate was issued for.`
          : `If Casdoor uses a private or self-signed CA, pass it with --casdoor-ca FILE.`,
        cause: err,
        // Only an unknown issuer is fixed by a CA file (the wizard asks for one on this reason).
        ...(failure.problem === 'untrusted' ? { reason: 'untrusted-ca' as const } : {}),
      });
    case 'timeout':
      return new CliError('network', `No answer from ${host} within ${Math.round(timeoutMs / 1000)} s while fetching the ${what}.`, {
        hint: 'Check that the Casdoor URL is reachable from this machine (VPN, proxy settings HTTPS_PROXY/NO_PROXY).',
        cause: err,
      });
    case 'refused':
      return new CliError('network', `Connection refused by ${host} while fetching the ${what}.`, {
        hint: 'Is Casdoor running at that address and port?',
        cause: err,
      });
    case 'dns':
      return new CliError('network', `Cannot resolve ${host} (${failure.code}) while fetching the ${what}.`, {
        hint: 'Check the host name in the URL, or your DNS/VPN.',
        cause: err,
      });
    case 'other':
      return new CliError('network', `Request to ${host} for the ${what} failed: ${redact(failure.detail)}${failure.code ? ` (${failure.code})` : ''}.`, { cause: err });
  }
}
