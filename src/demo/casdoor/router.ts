/**
 * A tiny router for the Casdoor emulator: method + path (string or RegExp) → handler, with request
 * parsing as Casdoor's web framework (beego) does it and Casdoor's response helpers
 * (controllers/util.go ResponseOk / ResponseError / SetTokenErrorHttpStatus).
 *
 * Other modules (admin endpoints) add routes with `router.add(...)` or through
 * `CasdoorProviderOptions.routes`; every handler receives the shared `CasdoorModel`.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

import type { CasdoorModel } from './model.js';

const MAX_BODY = 1024 * 1024;

/** A parsed request. */
export interface CasdoorRequest {
  method: string;
  /** Path without query string. */
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  /** The Host header (Casdoor derives origins from it: getOriginFromHost). */
  host: string;
  /** Raw body (beego copies it into RequestBody). */
  body: Buffer;
  /** The URL query string's parameters. */
  query: URLSearchParams;
  /** The body's parameters when it is application/x-www-form-urlencoded, else empty. */
  form: URLSearchParams;
  /**
   * beego's `Input.Query(name)` / `GetString(name)`: Go's `Request.Form`, where body parameters take
   * precedence over URL query parameters; "" when absent.
   */
  input(name: string): string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json(): unknown;
  /** Go's `Request.BasicAuth()`: undefined unless a well-formed `Basic` header is present. */
  basicAuth(): { username: string; password: string } | undefined;
  /** Route parameters captured by a RegExp path. */
  params: string[];
}

/** What a handler gets. */
export interface RouteContext {
  req: CasdoorRequest;
  res: ServerResponse;
  model: CasdoorModel;
  /** Sends JSON (Go's json.Marshal of the value). */
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  html(status: number, body: string): void;
  redirect(location: string, status?: number): void;
  /** controllers/util.go ResponseOk: HTTP 200 `{"status":"ok","msg":"",...,"data":…}`. */
  responseOk(...data: unknown[]): void;
  /** controllers/util.go ResponseError: HTTP **200** `{"status":"error","msg":…}`. */
  responseError(msg: string, ...data: unknown[]): void;
}

export type RouteHandler = (ctx: RouteContext) => void | Promise<void>;

export interface Route {
  methods: readonly string[];
  path: string | RegExp;
  handler: RouteHandler;
}

/** controllers/account.go `Response`: the envelope of every non-OAuth API answer. */
export function casdoorResponse(status: 'ok' | 'error', msg: string, data: unknown[]): Record<string, unknown> {
  return { status, msg, sub: '', name: '', data: data[0] ?? null, data2: data[1] ?? null, data3: null };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export async function parseRequest(req: IncomingMessage): Promise<CasdoorRequest> {
  const host = req.headers.host ?? '127.0.0.1';
  // Repeated slashes collapse, as beego's router splits paths ("//api/x" is not a protocol-relative URL here).
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const url = new URL(`https://${host}`);
  url.pathname = (q < 0 ? raw : raw.slice(0, q)).replace(/\/{2,}/g, '/');
  url.search = q < 0 ? '' : raw.slice(q);
  const body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const form = contentType.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body.toString('utf8')) : new URLSearchParams();
  let parsedJson: { value: unknown } | undefined;
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    url,
    headers: req.headers,
    host,
    body,
    query: url.searchParams,
    form,
    input: (name) => form.get(name) ?? url.searchParams.get(name) ?? '',
    json: () => {
      if (parsedJson === undefined) {
        try {
          parsedJson = { value: body.length === 0 ? undefined : JSON.parse(body.toString('utf8')) };
        } catch {
          parsedJson = { value: undefined };
        }
      }
      return parsedJson.value;
    },
    basicAuth: () => {
      const auth = req.headers.authorization;
      if (auth === undefined || !/^basic /i.test(auth)) return undefined;
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return undefined;
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    },
    params: [],
  };
}

export class Router {
  readonly #routes: Route[] = [];

  /** Adds a route; later routes with the same method and path win (so extensions can override). */
  add(methods: string | readonly string[], path: string | RegExp, handler: RouteHandler): this {
    this.#routes.unshift({ methods: typeof methods === 'string' ? [methods] : methods, path, handler });
    return this;
  }

  find(method: string, path: string): { route: Route; params: string[] } | undefined {
    for (const route of this.#routes) {
      if (!route.methods.includes(method) && !route.methods.includes('*')) continue;
      if (typeof route.path === 'string') {
        if (route.path === path) return { route, params: [] };
        continue;
      }
      const m = route.path.exec(path);
      if (m !== null) return { route, params: m.slice(1).map((p) => decodeURIComponent(p ?? '')) };
    }
    return undefined;
  }

  /** Handles one request; answers 404 for unknown paths (Casdoor's SPA would serve its index page). */
  async handle(model: CasdoorModel, incoming: IncomingMessage, res: ServerResponse): Promise<void> {
    const ctx = makeContext(model, res);
    try {
      const req = await parseRequest(incoming);
      ctx.req = req;
      const found = this.find(req.method, req.path);
      if (found === undefined) {
        // beego: a known path with another method is 405 Method Not Allowed.
        const known = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].some((m) => this.find(m, req.path) !== undefined);
        if (known) ctx.html(405, 'Method Not Allowed');
        else ctx.json(404, casdoorResponse('error', `no route for ${req.method} ${req.path}`, []));
        return;
      }
      req.params = found.params;
      await found.route.handler(ctx);
    } catch (err) {
      // Casdoor answers internal errors with HTTP 200 and status "error" (ResponseError).
      if (!res.headersSent) ctx.responseError(err instanceof Error ? err.message : String(err));
      else res.end();
    }
  }
}

function makeContext(model: CasdoorModel, res: ServerResponse): RouteContext {
  const send = (status: number, type: string, body: string, headers: Record<string, string> = {}): void => {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(body);
  };
  const ctx: RouteContext = {
    req: undefined as unknown as CasdoorRequest,
    res,
    model,
    json: (status, body, headers) => send(status, 'application/json; charset=utf-8', JSON.stringify(body), headers),
    html: (status, body) => send(status, 'text/html; charset=utf-8', body),
    redirect: (location, status = 302) => send(status, 'text/html; charset=utf-8', '', { location }),
    responseOk: (...data) => ctx.json(200, casdoorResponse('ok', '', data)),
    responseError: (msg, ...data) => ctx.json(200, casdoorResponse('error', msg, data)),
  };
  return ctx;
}
