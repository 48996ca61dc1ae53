/**
 * HTTPS calls for tests against the demo peers: undici with a dispatcher that trusts the throwaway CA
 * (and nothing is changed globally, so other tests' TLS stays strict).
 */
import { Agent, fetch, type Headers } from 'undici';

export interface HttpResult {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text. */
  body: unknown;
}

export function trustingAgent(caPem: string): Agent {
  return new Agent({ connect: { ca: caPem } });
}

async function result(res: Awaited<ReturnType<typeof fetch>>): Promise<HttpResult> {
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = text === '' ? undefined : JSON.parse(text);
  return { status: res.status, headers: res.headers, body };
}

/** POSTs an application/x-www-form-urlencoded body; `basic` adds HTTP Basic client authentication. */
export async function postForm(
  dispatcher: Agent,
  url: string,
  form: Record<string, string>,
  options: { basic?: [string, string]; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.basic !== undefined) {
    const [user, pass] = options.basic;
    headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(user)}:${encodeURIComponent(pass)}`).toString('base64')}`;
  }
  return result(await fetch(url, { dispatcher, method: 'POST', body: new URLSearchParams(form), headers }));
}

export async function getJson(dispatcher: Agent, url: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  return result(await fetch(url, { dispatcher, headers: { accept: 'application/json', ...headers } }));
}

export async function postJson(dispatcher: Agent, url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return result(
    await fetch(url, {
      dispatcher,
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    }),
  );
}

/** The payload of a JWT, unverified: for asserting on claims. */
export function jwtClaims(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1];
  if (part === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
