/**
 * A stand-in for kube-apiserver that authenticates bearer tokens the way its OIDC authenticator does
 * with the legacy `--oidc-*` flags (k8s.io/apiserver plugin/pkg/authenticator/token/oidc), and serves
 * just enough of the API for `kubectl version`, `kubectl get --raw` and `kubectl auth whoami`.
 *
 * Rules reproduced in kube-apiserver's order, each recorded as a `reason` when a request is refused
 * (kubernetes/kubernetes staging/src/k8s.io/apiserver/plugin/pkg/authenticator/token/oidc/oidc.go and
 * the vendored github.com/coreos/go-oidc v2 verify.go / jwks.go):
 * - oidc.go AuthenticateToken hasCorrectIssuer: the unverified `iss` must equal the issuer URL exactly
 *   (trailing slash and scheme included), else the token is not this authenticator's;
 * - go-oidc IDTokenVerifier.Verify: `iss` again, `aud` (string or array) contains the client id (one of
 *   `audiences` for an AuthenticationConfiguration, oidc.go verifyAudience), `exp` with no leeway (absent =
 *   expired), `nbf` with 60 s, `iat` unchecked, the header alg in `signingAlgs` (default RS256), then the
 *   signature by a JWKS key with the token's `kid` (all keys without one; the JWK's `alg` is not compared),
 *   found through discovery over HTTPS trusting only `issuerCaPem` (`--oidc-ca-file`). With
 *   `goOidcVerifier` this whole step is the real go-oidc library's verdict;
 * - oidc.go getUsername: the claim must be a JSON string; with `email`, `email_verified` is checked only
 *   when present (then it must be true); prefix: unset (null) and claim != email -> `<issuer>#<value>`,
 *   '-' -> none, else prefix;
 * - oidc.go getGroups: string, array of strings, or null (no groups), each prefixed with `groupsPrefix`;
 * - oidc.go AuthenticateToken: `requiredClaims` (string values), then `claimValidationRules` (the CEL
 *   expressions apiserver-config emits; see src/oidc/kube-rules.ts evaluateRule).
 * Requests without any credentials are anonymous: only /version, /healthz, /livez and /readyz answer
 * them (system:public-info-viewer); a bad token is a 401 even where anonymous would be allowed.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { decodeJwt, type JSONWebKeySet, type JWTPayload } from 'jose';
import { Agent, fetch } from 'undici';

import { closeServer, listenOnLoopback } from '../listen.js';
import { audiencesOf, checkTokenTimes, emailVerdict, evaluateRule, parseGroupsClaim, type ValidationRule } from '../oidc/kube-rules.js';
import { verifySignatureAsGoOidc } from '../oidc/verify.js';
import { makeTlsMaterial, type TlsMaterial } from './certs.js';
import { startGoOidcVerifier, type GoOidcVerifier } from './go-oidc.js';

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
  | 'required-claim'
  | 'claim-validation';

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
  /** Who took the signature/iss/aud/exp/nbf verdict: the real go-oidc library or this file's port of it. */
  verifiedBy?: 'go-oidc' | 'port';
}

export interface ApiServerOptions {
  /** `--oidc-issuer-url`. */
  issuer: string;
  /** `--oidc-client-id`: must be in `aud`. */
  clientId: string;
  /** An AuthenticationConfiguration's `issuer.audiences` (MatchAny); replaces clientId when given. */
  audiences?: string[];
  /** An AuthenticationConfiguration's `claimValidationRules`. */
  claimValidationRules?: ValidationRule[];
  /**
   * Path of the built go-oidc verifier (__tests__/helpers/go-oidc.ts): the signature, iss, aud, exp and
   * nbf verdicts then come from the real library. Only with one audience, as go-oidc's ClientID check.
   */
  goOidcVerifier?: string;
  /** The clock, in seconds (tests move it); default Date.now. */
  now?: () => number;
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
  const nowS = options.now ?? ((): number => Date.now() / 1000);
  const audiences = options.audiences ?? [options.clientId];
  let goOidc: GoOidcVerifier | undefined;
  let keys: Promise<JSONWebKeySet> | undefined;
  const loadKeys = async (): Promise<JSONWebKeySet> => {
    const base = (options.discoveryUrl ?? options.issuer).replace(/\/$/, '');
    const discovery = await fetch(`${base}/.well-known/openid-configuration`, { dispatcher: issuerAgent });
    if (!discovery.ok) throw new Error(`discovery answered HTTP ${discovery.status}`);
    const doc = (await discovery.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // go-oidc refuses a provider whose discovery document names another issuer.
    if (options.discoveryUrl === undefined && doc.issuer !== options.issuer) {
      throw new Error(`oidc: issuer did not match the issuer returned by provider, expected "${options.issuer}" got "${String(doc.issuer)}"`);
    }
    if (typeof doc.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
    if (options.goOidcVerifier && !goOidc) {
      if (audiences.length !== 1) throw new Error('the go-oidc verifier checks one audience (ClientID)');
      goOidc = startGoOidcVerifier({
        binary: options.goOidcVerifier,
        issuer: options.issuer,
        clientId: audiences[0] as string,
        signingAlgs,
        jwksUri: doc.jwks_uri,
        caPem: options.issuerCaPem,
      });
    }
    const jwks = await fetch(doc.jwks_uri, { dispatcher: issuerAgent });
    if (!jwks.ok) throw new Error(`jwks answered HTTP ${jwks.status}`);
    return (await jwks.json()) as JSONWebKeySet;
  };
  const getKeys = (): Promise<JSONWebKeySet> => {
    keys ??= loadKeys().catch((err: unknown) => {
      keys = undefined;
      throw new AuthError('discovery', err instanceof Error ? err.message : String(err));
    });
    return keys;
  };

  /** go-oidc v2 IDTokenVerifier.Verify, as a port (used without the real library). */
  const verifyAsGoOidc = async (token: string, claims: JWTPayload): Promise<void> => {
    if (claims.iss !== options.issuer) {
      throw new AuthError('issuer', `oidc: id token issued by a different provider, expected "${options.issuer}" got "${String(claims.iss)}"`);
    }
    const aud = audiencesOf(claims.aud);
    if (!aud.some((a) => audiences.includes(a))) {
      throw new AuthError('audience', `oidc: expected audience ${JSON.stringify(audiences.length === 1 ? audiences[0] : audiences)} got ${JSON.stringify(aud)}`);
    }
    const times = checkTokenTimes(claims, nowS());
    if (!times.ok && times.code === 'expired') throw new AuthError('expired', `oidc: token is expired (Token Expiry: ${String(times.exp)})`);
    if (!times.ok) throw new AuthError('not-yet-valid', `oidc: current time before the nbf (not before) time: ${times.nbf}`);
    const check = async (): Promise<Awaited<ReturnType<typeof verifySignatureAsGoOidc>>> => verifySignatureAsGoOidc(token, await getKeys(), signingAlgs);
    let verdict = await check();
    if (!verdict.ok && (verdict.reason === 'no-key' || verdict.reason === 'signature')) {
      // jwks.go remoteKeySet.verify: no key verified -> fetch the keys again once (the provider rotated them).
      keys = undefined;
      verdict = await check();
    }
    if (!verdict.ok) throw new AuthError(verdict.reason === 'algorithm' ? 'algorithm' : verdict.reason === 'malformed' ? 'malformed' : 'signature', verdict.message);
  };

  /** The real go-oidc's verdict, its message mapped to a reason. */
  const verifyWithGoOidc = async (token: string): Promise<void> => {
    await getKeys();
    const verdict = await (goOidc as GoOidcVerifier).verify(token, nowS());
    if (verdict.ok) return;
    const e = verdict.error ?? '';
    const reason: RejectReason = /issued by a different provider/.test(e)
      ? 'issuer'
      : /expected audience/.test(e)
        ? 'audience'
        : /token is expired/.test(e)
          ? 'expired'
          : /before the nbf/.test(e)
            ? 'not-yet-valid'
            : /unsupported algorithm/.test(e)
              ? 'algorithm'
              : /malformed|unmarshal/.test(e)
                ? 'malformed'
                : 'signature';
    throw new AuthError(reason, e);
  };

  const authenticate = async (token: string, record: ApiRequestRecord): Promise<UserInfo> => {
    let payload: JWTPayload;
    try {
      payload = decodeJwt(token);
    } catch (err) {
      throw new AuthError('malformed', err instanceof Error ? err.message : 'not a JWT');
    }
    // oidc.go AuthenticateToken: hasCorrectIssuer, else the token is "not mine" -> 401.
    if (payload.iss !== options.issuer) {
      throw new AuthError('issuer', `iss ${JSON.stringify(payload.iss)} is not ${JSON.stringify(options.issuer)}`);
    }
    if (options.goOidcVerifier) {
      record.verifiedBy = 'go-oidc';
      await verifyWithGoOidc(token);
    } else {
      record.verifiedBy = 'port';
      await verifyAsGoOidc(token, payload);
    }
    const claims = payload as Record<string, unknown>;

    // oidc.go getUsername: unmarshalClaim into a string (absent or not a string -> error; null -> "").
    if (!Object.hasOwn(claims, usernameClaim) || (claims[usernameClaim] !== null && typeof claims[usernameClaim] !== 'string')) {
      throw new AuthError('username-claim', `oidc: parse username claims "${usernameClaim}": claim not present or not a string`);
    }
    const rawUsername = (claims[usernameClaim] as string | null) ?? '';
    if (usernameClaim === 'email' && emailVerdict(claims) === 'refused') {
      throw new AuthError('email-not-verified', 'oidc: email not verified');
    }
    let username: string;
    if (usernamePrefix === null) username = usernameClaim === 'email' ? rawUsername : `${options.issuer}#${rawUsername}`;
    else if (usernamePrefix === '-') username = rawUsername;
    else username = usernamePrefix + rawUsername;

    // oidc.go getGroups: stringOrArray, null = none.
    let groups: string[] = [];
    if (groupsClaim !== null && Object.hasOwn(claims, groupsClaim)) {
      const parsed = parseGroupsClaim(claims[groupsClaim]);
      if (parsed === undefined) throw new AuthError('groups-claim', `oidc: parse groups claim "${groupsClaim}": not a string or an array of strings`);
      groups = parsed;
    }

    // oidc.go AuthenticateToken: required claims, then claimValidationRules.
    for (const [claim, value] of Object.entries(options.requiredClaims ?? {})) {
      const refusal = evaluateRule({ claim, requiredValue: value }, claims);
      if (refusal) throw new AuthError('required-claim', refusal);
    }
    for (const rule of options.claimValidationRules ?? []) {
      const refusal = evaluateRule(rule, claims);
      if (refusal) throw new AuthError('claim' in rule ? 'required-claim' : 'claim-validation', refusal);
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
        user = await authenticate(match[1], record);
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
      await goOidc?.close();
      await issuerAgent.close();
      if (ownTls) await tls.remove();
    },
  };
}
