/**
 * A stand-in for kube-apiserver that authenticates bearer tokens the way its OIDC authenticator does
 * with the legacy `--oidc-*` flags (k8s.io/apiserver plugin/pkg/authenticator/token/oidc), and serves
 * just enough of the API for `kubectl version`, `kubectl get --raw` and `kubectl auth whoami`.
 *
 * Rules reproduced, each recorded as a `reason` when a request is refused:
 * - the token's `iss` must equal the issuer URL exactly (trailing slash and scheme included);
 * - signature by a key from the issuer's JWKS, found through its discovery document over HTTPS
 *   trusting only `issuerCaPem` (`--oidc-ca-file`), with an allowed algorithm (default RS256);
 * - `aud` (string or array) must contain the client id;
 * - `exp` is checked with no leeway; `nbf` with go-oidc's five minutes;
 * - the username claim must be a string; with `email`, `email_verified: false` is refused;
 * - username prefix: unset (null) and claim != email -> `<issuer>#<value>`, '-' -> none, else prefix;
 * - the groups claim may be a string or an array of strings, each prefixed with `groupsPrefix`.
 * Requests without any credentials are anonymous: only /version, /healthz, /livez and /readyz answer
 * them (system:public-info-viewer); a bad token is a 401 even where anonymous would be allowed.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';

import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { Agent, fetch } from 'undici';

import { closeServer, listenOnLoopback } from '../listen.js';
import { makeTlsMaterial, type TlsMaterial } from './certs.js';

export type RejectReason =
  | 'no-token'
  | 'malformed'
  | 'issuer'
  | 'discovery'
  | 'algorithm'
  | 'signature'
  | 'audience'
  | 'expired'
  | 'not-yet-valid'
  | 'username-claim'
  | 'email-not-verified'
  | 'groups-claim'
  | 'required-claim';

export interface ApiRequestRecord {
  method: string;
  path: string;
  status: number;
  /** The authenticated username (after prefixing); absent for anonymous or refused requests. */
  user?: string;
  groups?: string[];
  /** Why authentication failed, or 'no-token' for an anonymous request. */
  reason?: RejectReason;
  /** The verifier's message behind `reason`. */
  detail?: string;
  userAgent?: string;
}

export interface ApiServerOptions {
  /** `--oidc-issuer-url`. */
  issuer: string;
  /** `--oidc-client-id`: must be in `aud`. */
  clientId: string;
  /** `--oidc-ca-file` contents: the CA trusted for discovery and JWKS. */
  issuerCaPem: string;
  /**
   * Where discovery is fetched from, when it is not `issuer` (for an issuer that names an unreachable
   * host; the real API server always uses the issuer URL).
   */
  discoveryUrl?: string;
  /** `--oidc-username-claim`; default 'name' (Casdoor's username; kube-apiserver's own default is sub). */
  usernameClaim?: string;
  /** `--oidc-username-prefix`; default '-' (none); null = flag not set. */
  usernamePrefix?: string | null;
  /** `--oidc-groups-claim`; default 'groups'; null = no groups claim. */
  groupsClaim?: string | null;
  /** `--oidc-groups-prefix`; default ''. */
  groupsPrefix?: string;
  /** `--oidc-required-claim` pairs. */
  requiredClaims?: Record<string, string>;
  /** `--oidc-signing-algs`; default ['RS256']. */
  signingAlgs?: string[];
  /** Serving certificate; made (and removed on close) when absent. */
  tls?: TlsMaterial;
  /** Anonymous requests may read /version (and health endpoints), as with --anonymous-auth=true. Default true. */
  anonymousVersion?: boolean;
  /** `gitVersion` answered at /version. Default v1.32.0. */
  version?: string;
}

export interface ApiServer {
  url: string;
  port: number;
  caPem: string;
  caFile: string;
  tls: TlsMaterial;
  requests: ApiRequestRecord[];
  /** Forgets the cached discovery document and JWKS (the real one refreshes on an unknown kid). */
  resetKeys(): void;
  close(): Promise<void>;
}

interface UserInfo {
  username: string;
  groups: string[];
}

class AuthError extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
  }
}

const PUBLIC_PATHS = new Set(['/version', '/version/', '/healthz', '/livez', '/readyz']);
const REVIEW_PATH = /^\/apis\/authentication\.k8s\.io\/(v1|v1beta1|v1alpha1)\/selfsubjectreviews$/;

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function resourceList(groupVersion: string, resources: Array<{ name: string; kind: string; verbs: string[] }>) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: resources.map((r) => ({ ...r, singularName: '', namespaced: false })),
  };
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const usernameClaim = options.usernameClaim ?? 'name';
  const usernamePrefix = options.usernamePrefix === undefined ? '-' : options.usernamePrefix;
  const groupsClaim = options.groupsClaim === undefined ? 'groups' : options.groupsClaim;
  const groupsPrefix = options.groupsPrefix ?? '';
  const signingAlgs = options.signingAlgs ?? ['RS256'];
  const anonymousVersion = options.anonymousVersion ?? true;
  const gitVersion = options.version ?? 'v1.32.0';
  const ownTls = options.tls === undefined;
  const tls = options.tls ?? (await makeTlsMaterial());
  const requests: ApiRequestRecord[] = [];
  const issuerAgent = new Agent({ connect: { ca: options.issuerCaPem } });

  // kube-apiserver loads discovery and keys lazily and retries until the issuer answers; so does this.
  let keys: Promise<ReturnType<typeof createLocalJWKSet>> | undefined;
  const loadKeys = async (): Promise<ReturnType<typeof createLocalJWKSet>> => {
    const base = (options.discoveryUrl ?? options.issuer).replace(/\/$/, '');
    const discovery = await fetch(`${base}/.well-known/openid-configuration`, { dispatcher: issuerAgent });
    if (!discovery.ok) throw new Error(`discovery answered HTTP ${discovery.status}`);
    const doc = (await discovery.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // go-oidc refuses a provider whose discovery document names another issuer.
    if (options.discoveryUrl === undefined && doc.issuer !== options.issuer) {
      throw new Error(`oidc: issuer did not match the issuer returned by provider, expected "${options.issuer}" got "${String(doc.issuer)}"`);
    }
    if (typeof doc.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
    const jwks = await fetch(doc.jwks_uri, { dispatcher: issuerAgent });
    if (!jwks.ok) throw new Error(`jwks answered HTTP ${jwks.status}`);
    return createLocalJWKSet((await jwks.json()) as JSONWebKeySet);
  };
  const getKeys = (): Promise<ReturnType<typeof createLocalJWKSet>> => {
    keys ??= loadKeys().catch((err: unknown) => {
      keys = undefined;
      throw new AuthError('discovery', err instanceof Error ? err.message : String(err));
    });
    return keys;
  };

  const authenticate = async (token: string): Promise<UserInfo> => {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch (err) {
      throw new AuthError('malformed', err instanceof Error ? err.message : 'not a JWT');
    }
    // The authenticator only looks at tokens from its own issuer; others are "not mine" -> 401.
    if (unverified.iss !== options.issuer) {
      throw new AuthError('issuer', `iss ${JSON.stringify(unverified.iss)} is not ${JSON.stringify(options.issuer)}`);
    }
    // go-oidc's order: audience, expiry, not-before, algorithm, then the signature.
    const audiences = typeof unverified.aud === 'string' ? [unverified.aud] : (unverified.aud ?? []);
    if (!audiences.includes(options.clientId)) {
      throw new AuthError('audience', `oidc: expected audience "${options.clientId}" got ${JSON.stringify(unverified.aud ?? [])}`);
    }
    const now = Date.now() / 1000;
    // No leeway on exp: expired the second after it.
    if (typeof unverified.exp !== 'number' || unverified.exp < now) {
      throw new AuthError('expired', `oidc: token is expired (Token Expiry: ${String(unverified.exp)})`);
    }
    // go-oidc allows five minutes of clock skew on nbf.
    if (typeof unverified.nbf === 'number' && unverified.nbf > now + 300) {
      throw new AuthError('not-yet-valid', `oidc: current time before the nbf (not before) time: ${unverified.nbf}`);
    }
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch (err) {
      throw new AuthError('malformed', err instanceof Error ? err.message : 'bad header');
    }
    if (typeof header.alg !== 'string' || !signingAlgs.includes(header.alg)) {
      throw new AuthError('algorithm', `oidc: id token signed with unsupported algorithm, expected ${JSON.stringify(signingAlgs)} got "${String(header.alg)}"`);
    }
    const verify = async (): Promise<void> => {
      await compactVerify(token, await getKeys(), { algorithms: signingAlgs });
    };
    try {
      try {
        await verify();
      } catch (err) {
        // An unknown kid makes the real authenticator fetch the JWKS again (the provider rotated keys).
        if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
        keys = undefined;
        await verify();
      }
    } catch (err) {
      if (err instanceof AuthError) throw err;
      throw new AuthError('signature', `oidc: failed to verify signature: ${err instanceof Error ? err.message : String(err)}`);
    }
    const payload = unverified;

    for (const [claim, value] of Object.entries(options.requiredClaims ?? {})) {
      if (payload[claim] !== value) throw new AuthError('required-claim', `required claim ${claim} not equal to ${value}`);
    }

    const rawUsername = payload[usernameClaim];
    if (typeof rawUsername !== 'string') {
      throw new AuthError('username-claim', `oidc: parse username claims "${usernameClaim}": claim not present or not a string`);
    }
    if (usernameClaim === 'email' && 'email_verified' in payload && payload['email_verified'] !== true) {
      throw new AuthError('email-not-verified', 'oidc: email not verified');
    }
    let username: string;
    if (usernamePrefix === null) username = usernameClaim === 'email' ? rawUsername : `${options.issuer}#${rawUsername}`;
    else if (usernamePrefix === '-') username = rawUsername;
    else username = usernamePrefix + rawUsername;

    let groups: string[] = [];
    if (groupsClaim !== null && payload[groupsClaim] !== undefined) {
      const raw = payload[groupsClaim];
      if (typeof raw === 'string') groups = [raw];
      else if (Array.isArray(raw) && raw.every((g): g is string => typeof g === 'string')) groups = raw;
      else throw new AuthError('groups-claim', `oidc: parse groups claim "${groupsClaim}": not a string or an array of strings`);
    }
    return { username, groups: groups.map((g) => groupsPrefix + g) };
  };

  const send = (res: ServerResponse, record: ApiRequestRecord, code: number, body: unknown): void => {
    record.status = code;
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    const method = req.method ?? 'GET';
    const record: ApiRequestRecord = { method, path, status: 0 };
    if (req.headers['user-agent'] !== undefined) record.userAgent = req.headers['user-agent'];
    requests.push(record);

    let user: UserInfo | undefined;
    const authorization = req.headers.authorization;
    if (authorization === undefined) {
      record.reason = 'no-token';
      if (!anonymousVersion) {
        send(res, record, 401, status(401, 'Unauthorized', 'Unauthorized'));
        return;
      }
    } else {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      try {
        if (match?.[1] === undefined) throw new AuthError('malformed', 'not a bearer token');
        user = await authenticate(match[1]);
        record.user = user.username;
        record.groups = user.groups;
      } catch (err) {
        record.reason = err instanceof AuthError ? err.reason : 'malformed';
        record.detail = err instanceof Error ? err.message : String(err);
        send(res, record, 401, status(401, 'Unauthorized', 'Unauthorized'));
        return;
      }
    }

    if (method === 'GET' && (path === '/version' || path === '/version/')) {
      const [, major = '1', minor = '32'] = /^v(\d+)\.(\d+)/.exec(gitVersion) ?? [];
      send(res, record, 200, {
        major,
        minor,
        gitVersion,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2024-12-11T00:00:00Z',
        goVersion: 'go1.23.4',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
      return;
    }
    if (method === 'GET' && PUBLIC_PATHS.has(path)) {
      record.status = 200;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (user === undefined) {
      // Anonymous, and only public-info paths are open to system:anonymous.
      send(res, record, 403, status(403, 'Forbidden', `forbidden: User "system:anonymous" cannot ${method.toLowerCase()} path "${path}"`));
      return;
    }
    const authenticated = user;

    if (method === 'GET' && path === '/api') {
      send(res, record, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '127.0.0.1' }],
      });
      return;
    }
    if (method === 'GET' && path === '/api/v1') {
      send(res, record, 200, resourceList('v1', []));
      return;
    }
    if (method === 'GET' && path === '/apis') {
      const versions = ['v1', 'v1beta1'].map((v) => ({ groupVersion: `authentication.k8s.io/${v}`, version: v }));
      send(res, record, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [{ name: 'authentication.k8s.io', versions, preferredVersion: versions[0] }],
      });
      return;
    }
    const group = /^\/apis\/authentication\.k8s\.io\/(v1|v1beta1)$/.exec(path);
    if (method === 'GET' && group !== null) {
      send(res, record, 200, resourceList(`authentication.k8s.io/${group[1] ?? 'v1'}`, [
        { name: 'selfsubjectreviews', kind: 'SelfSubjectReview', verbs: ['create'] },
      ]));
      return;
    }
    const review = REVIEW_PATH.exec(path);
    if (method === 'POST' && review !== null) {
      await readBody(req);
      const apiVersion = `authentication.k8s.io/${review[1] ?? 'v1'}`;
      // Like the real server: empty uid and extra are omitted (omitempty), system:authenticated is added.
      send(res, record, 201, {
        kind: 'SelfSubjectReview',
        apiVersion,
        metadata: { creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
        status: {
          userInfo: { username: authenticated.username, groups: [...authenticated.groups, 'system:authenticated'] },
        },
      });
      return;
    }
    send(res, record, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
  };

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status(500, 'InternalError', err instanceof Error ? err.message : String(err))));
      }
    });
  });
  const port = await listenOnLoopback(server);

  let closed = false;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caPem: tls.caPem,
    caFile: tls.caFile,
    tls,
    requests,
    resetKeys: () => {
      keys = undefined;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await closeServer(server);
      await issuerAgent.close();
      if (ownTls) await tls.remove();
    },
  };
}
