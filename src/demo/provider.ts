/**
 * A real OpenID provider (oidc-provider 8) dressed up as Casdoor, for the end-to-end tests and the
 * `demo` command. It speaks HTTPS on 127.0.0.1 with throwaway TLS material, serves Casdoor's paths,
 * and answers with Casdoor's token and error shapes (see the shared Casdoor notes).
 *
 * Where oidc-provider and Casdoor disagree, Casdoor wins, through small, documented adjustments:
 * - the password grant is registered by hand (oidc-provider does not ship one);
 * - one confidential client also accepts requests without its secret for the password, refresh and
 *   device grants and for PKCE code exchanges, as Casdoor does (see `secretOptional`);
 * - any loopback redirect URI is accepted for that client, any port and any path;
 * - the id_token is re-signed on its way out so that `aud` can be an array (oidc-provider always
 *   writes the client id as a string), `nbf` is present, `exp` follows `settings.idTokenTtl` (which
 *   may be short or already past) and `at_hash` is gone;
 * - `access_token` is the id_token itself, as in Casdoor (`settings.accessTokenIsIdToken`);
 * - a rotated refresh token is deleted, so presenting it again fails without revoking the new one;
 * - error descriptions use Casdoor's wording, or the legacy HTTP 200 `{"status":"error"}` shape.
 *
 * Nothing here is imported on the tool's normal start-up path: the demo command loads it lazily.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';

import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import Provider, {
  errors,
  type ClientInstance,
  type InteractionDetails,
  type KoaContextLike,
  type Middleware,
  type OIDCContext,
} from 'oidc-provider';

import { closeServer, listenOnLoopback } from '../listen.js';
import { createMemoryStore } from './adapter.js';
import { makeTlsMaterial, type TlsMaterial } from './certs.js';
import { loginPage, page } from './pages.js';
import { CASDOOR_CLAIM_NAMES, DEFAULT_USERS, casdoorClaims, findUser, userId, type DemoUser } from './users.js';

/** Casdoor's paths, relative to the issuer's origin. Discovery stays at /.well-known/openid-configuration. */
export const CASDOOR_ROUTES = {
  authorization: '/login/oauth/authorize',
  token: '/api/login/oauth/access_token',
  jwks: '/.well-known/jwks',
  userinfo: '/api/userinfo',
  device_authorization: '/api/device-auth',
  end_session: '/api/logout',
  code_verification: '/login/device',
} as const;

export const DEFAULT_CLIENT_ID = '294b09fbc17f95daf2fe';
export const DEFAULT_CLIENT_SECRET = 'a4b5c6d7e8f90123456789abcdef0123456789ab';
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const DEFAULT_GRANT_TYPES: readonly string[] = [
  'authorization_code',
  'refresh_token',
  'password',
  DEVICE_CODE_GRANT,
];

/** What can be changed while the provider runs: tests flip these instead of starting a second provider. */
export interface ProviderSettings {
  /**
   * Lifetime in seconds of the id_token (and of the access token, which is the same JWT). May be small
   * (kubectl's oidc auth-provider refreshes when now + 10 s >= exp) or zero/negative for a token that
   * is already expired when it is issued. Default 3600.
   */
  idTokenTtl: number;
  /** `aud: ["<client_id>"]` as Casdoor sends it (true, default) or a plain string (false). */
  audAsArray: boolean;
  /** Token responses carry the id_token as `access_token` too, as Casdoor does. Default true. */
  accessTokenIsIdToken: boolean;
  /** Finish every login and consent as this user without a person (default: show a login form). */
  autoLoginAs: string | undefined;
  /** Token endpoint errors as older Casdoor answers them: HTTP 200 `{"status":"error","msg":...}`. */
  legacyErrors: boolean;
  /** `interval` in the device authorization response (Casdoor: 5). */
  deviceInterval: number;
}

export interface ProviderStats {
  /** Every POST to the token endpoint, successful or not. */
  tokenRequests: number;
  /** Token endpoint requests answered with an error (whatever the HTTP status). */
  failedTokenRequests: number;
  passwordGrants: number;
  refreshGrants: number;
  codeGrants: number;
  deviceGrants: number;
  deviceAuthorizations: number;
  discoveryRequests: number;
  jwksRequests: number;
  userinfoRequests: number;
}

export interface CasdoorProviderOptions {
  /** TLS material to serve with (share one CA between servers); made (and removed on close) when absent. */
  tls?: TlsMaterial;
  /**
   * The issuer string to put in discovery and tokens instead of `https://127.0.0.1:<port>`: a string,
   * or a function of that origin. Endpoints keep following the request's host, so a mismatch between
   * the URL a client used and the `iss` it gets back can be tested (Casdoor does this with `origin`).
   */
  issuerOverride?: string | ((origin: string) => string);
  /** Append `/` to the issuer (only when `issuerOverride` is not given). */
  trailingSlash?: boolean;
  clientId?: string;
  clientSecret?: string;
  /**
   * Casdoor checks the client secret only for the client-credentials grant and code exchanges without
   * PKCE; the password, refresh-token and device grants, and the device authorization request, work
   * without it (a secret that is sent is still checked). True by default; false makes the client a
   * plain confidential client that always needs its secret.
   */
  secretOptional?: boolean;
  /** The client's allowed grant types (default: code, refresh, password, device code). */
  grantTypes?: readonly string[];
  /** More redirect URIs besides any loopback one. */
  redirectUris?: readonly string[];
  users?: readonly DemoUser[];
  /** Signing algorithm of the provider's key (Casdoor default RS256). */
  alg?: 'RS256' | 'ES256';
  /** Refresh token lifetime in seconds (Casdoor default 168 h). */
  refreshTokenTtl?: number;
  /** Initial values of `settings`. */
  idTokenTtl?: number;
  audAsArray?: boolean;
  accessTokenIsIdToken?: boolean;
  autoLoginAs?: string;
  legacyErrors?: boolean;
  deviceInterval?: number;
}

export interface MintOptions {
  /** Seconds from now to `exp` (negative: already expired). Default `settings.idTokenTtl`. */
  ttl?: number;
  /** `iat` and `nbf`, epoch seconds. Default now. */
  iat?: number;
  /** Default the client id, shaped by `settings.audAsArray`. */
  audience?: string | string[];
  /** Default the provider's issuer. */
  issuer?: string;
  /** Merged last: override or remove (`undefined`) any claim. */
  claims?: Record<string, unknown>;
}

export interface CasdoorProvider {
  /** The issuer as it appears in discovery and in `iss`. */
  issuer: string;
  /** `https://127.0.0.1:<port>`: where the provider really is (equals `issuer` unless overridden). */
  url: string;
  port: number;
  caPem: string;
  caFile: string;
  tls: TlsMaterial;
  clientId: string;
  clientSecret: string;
  /** Absolute URLs of the Casdoor endpoints (based on `url`) and of discovery. */
  endpoints: Record<keyof typeof CASDOOR_ROUTES | 'discovery', string>;
  users: readonly DemoUser[];
  alg: 'RS256' | 'ES256';
  /** The public signing key, as served at the JWKS endpoint. */
  publicJwk: JWK;
  settings: ProviderSettings;
  stats: ProviderStats;
  resetStats(): void;
  /** Approves a pending device authorization as `username`, as if the person had signed in. */
  approveDevice(userCode: string, username: string): Promise<void>;
  /** Denies a pending device authorization: polling then answers `access_denied`. */
  denyDevice(userCode: string): Promise<void>;
  /**
   * Signs a Casdoor-shaped id_token for `username` with the provider's key without any grant:
   * for tokens no flow would produce (expired, wrong audience or issuer, odd claims).
   */
  mintIdToken(username: string, options?: MintOptions): Promise<string>;
  /** The raw oidc-provider instance. */
  provider: Provider;
  close(): Promise<void>;
}

const newStats = (): ProviderStats => ({
  tokenRequests: 0,
  failedTokenRequests: 0,
  passwordGrants: 0,
  refreshGrants: 0,
  codeGrants: 0,
  deviceGrants: 0,
  deviceAuthorizations: 0,
  discoveryRequests: 0,
  jwksRequests: 0,
  userinfoRequests: 0,
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Casdoor's wording for the errors a client is likely to meet (from object/token_oauth.go). */
function casdoorDescription(error: string, detail: string | undefined, grantType: string | undefined, fallback: string): string {
  if (error === 'invalid_client') {
    return detail === 'client not found' ? 'client_id is invalid' : 'client_secret is invalid';
  }
  if (error === 'invalid_grant' && grantType === 'refresh_token') {
    return detail === 'refresh token is expired' ? 'refresh token is expired' : 'refresh token is invalid or revoked';
  }
  if ((error === 'unsupported_grant_type' || detail === 'requested grant type is not allowed for this client') && grantType) {
    return `grant_type: ${grantType} is not supported in this application`;
  }
  return fallback;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(buf);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Starts the provider. Resolves once it listens; `close()` stops it and removes TLS material it made. */
export async function startCasdoorProvider(options: CasdoorProviderOptions = {}): Promise<CasdoorProvider> {
  const alg = options.alg ?? 'RS256';
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
  const secretOptional = options.secretOptional ?? true;
  const users = options.users ?? DEFAULT_USERS;
  const refreshTokenTtl = options.refreshTokenTtl ?? 168 * 3600;
  const settings: ProviderSettings = {
    idTokenTtl: options.idTokenTtl ?? 3600,
    audAsArray: options.audAsArray ?? true,
    accessTokenIsIdToken: options.accessTokenIsIdToken ?? true,
    autoLoginAs: options.autoLoginAs,
    legacyErrors: options.legacyErrors ?? false,
    deviceInterval: options.deviceInterval ?? 5,
  };
  const stats = newStats();
  const usersById = new Map(users.map((u) => [userId(u), u]));

  // The signing key and (unless given) the certificates are made in parallel: both take a moment.
  const ownTls = options.tls === undefined;
  const [tls, keyPair] = await Promise.all([
    options.tls ?? makeTlsMaterial(),
    generateKeyPair(alg, { extractable: true }),
  ]);
  const kid = `demo-${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`;
  const privateJwk: JWK = { ...(await exportJWK(keyPair.privateKey)), kid, alg, use: 'sig' };
  const publicJwk: JWK = { ...(await exportJWK(keyPair.publicKey)), kid, alg, use: 'sig' };

  // The issuer must contain the port, which is known only after listening: listen first, attach the
  // provider's request handler later. Everything in between is synchronous, so no request can arrive
  // before the handler does.
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem });
  const port = await listenOnLoopback(server);
  const url = `https://127.0.0.1:${port}`;
  const issuer =
    typeof options.issuerOverride === 'function'
      ? options.issuerOverride(url)
      : (options.issuerOverride ?? (options.trailingSlash === true ? `${url}/` : url));

  const store = createMemoryStore(new Set(['RefreshToken']));
  // Lets the client-authentication override below see the request it is evaluated for.
  const currentRequest = new AsyncLocalStorage<KoaContextLike>();
  const claimNames = [
    ...new Set([...CASDOOR_CLAIM_NAMES, ...users.flatMap((u) => Object.keys(u.extraClaims ?? {}))]),
  ];

  const provider = new Provider(issuer, {
    adapter: store.adapter,
    jwks: { keys: [privateJwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        client_name: 'casdoor-kubeconfig demo application',
        // 'native' lets http://127.0.0.1/callback match any port (RFC 8252 loopback redirection).
        application_type: 'native',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [...(options.grantTypes ?? DEFAULT_GRANT_TYPES)],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback', ...(options.redirectUris ?? [])],
        id_token_signed_response_alg: alg,
      },
    ],
    findAccount: async (ctx: KoaContextLike | undefined, sub: string) => {
      const user = usersById.get(sub);
      if (user === undefined) return undefined;
      return { accountId: sub, claims: () => casdoorClaims(user, ctx?.oidc?.client?.clientId) };
    },
    // Everything under `openid`: Casdoor puts the whole user in the id_token whatever the scope, and
    // undeclared claims would be dropped silently.
    claims: {
      acr: null,
      auth_time: null,
      sid: null,
      openid: claimNames,
      profile: [],
      email: [],
      phone: [],
      address: [],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'phone', 'address'],
    responseTypes: ['code'],
    routes: { ...CASDOOR_ROUTES },
    pkce: { methods: ['S256'], required: () => false },
    rotateRefreshToken: true,
    // Casdoor always returns a refresh token when the application allows the grant, offline_access or not.
    issueRefreshToken: async (_ctx: unknown, client: ClientInstance) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: () => Math.max(1, settings.idTokenTtl),
      IdToken: () => Math.max(1, settings.idTokenTtl),
      RefreshToken: () => refreshTokenTtl,
      Grant: () => refreshTokenTtl,
      AuthorizationCode: 300,
      DeviceCode: 600,
      ClientCredentials: 600,
      BackchannelAuthenticationRequest: 600,
      Interaction: 3600,
      Session: 24 * 3600,
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      // Casdoor has no pushed authorization requests endpoint.
      pushedAuthorizationRequests: { enabled: false },
      userinfo: { enabled: true },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (ctx: KoaContextLike, form: string, _out: unknown, err: unknown) => {
          ctx.body = page('Device sign-in', `${err === undefined ? '' : '<p class="error">The code is not valid.</p>'}
<p>Enter the code shown on your device.</p>${form}<button type="submit" form="op.deviceInputForm">Continue</button>`);
        },
        userCodeConfirmSource: async (ctx: KoaContextLike, form: string, _client: unknown, _info: unknown, userCode: string) => {
          ctx.body = page('Confirm device', `<p>Is this the code shown on your device?</p><p><code>${userCode}</code></p>${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>`);
        },
        successSource: async (ctx: KoaContextLike) => {
          ctx.body = page('Signed in', '<p>You may close this page and return to your terminal.</p>');
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContextLike, form: string) => {
          ctx.body = page('Sign out', `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`);
        },
        postLogoutSuccessSource: async (ctx: KoaContextLike) => {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
    },
    renderError: async (ctx: KoaContextLike, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = page('Error', `<p class="error">${out['error'] ?? 'error'}: ${out['error_description'] ?? ''}</p>`);
    },
  });

  // --- Casdoor's client authentication rules --------------------------------------------------------
  // oidc-provider allows one authentication method per client. Casdoor's single application accepts
  // requests with and without its secret: the secret is not needed for the password, refresh-token and
  // device grants, nor for a code exchange with PKCE; a secret that is sent is checked.
  const secretNotNeeded = (oidc: OIDCContext | undefined): boolean => {
    if (!secretOptional || oidc === undefined) return false;
    if (oidc.route === 'device_authorization') return true;
    const grantType = oidc.params?.['grant_type'];
    if (grantType === 'password' || grantType === 'refresh_token' || grantType === DEVICE_CODE_GRANT) return true;
    return grantType === 'authorization_code' && oidc.params?.['code_verifier'] !== undefined;
  };
  // HTTP Basic with an empty secret (`<id>:`) is what kubectl's oidc auth-provider sends without a
  // client-secret. Casdoor reads it as "no secret"; oidc-provider rejects it outright. The outer
  // middleware swaps the empty secret for this marker, and compareClientSecret treats the marker as
  // absent, so no failing first attempt shows up in the stats.
  const emptySecretMarker = `empty-secret-${randomBytes(16).toString('hex')}`;
  const clientProto = provider.Client.prototype as ClientInstance & {
    compareClientSecret(actual: string): boolean | Promise<boolean>;
    redirectUriAllowed(value: string): boolean;
  };
  const registeredMethod = Object.getOwnPropertyDescriptor(clientProto, 'clientAuthMethod')?.get;
  if (registeredMethod === undefined) throw new Error('oidc-provider changed: Client#clientAuthMethod getter not found');
  Object.defineProperty(clientProto, 'clientAuthMethod', {
    configurable: true,
    get(this: ClientInstance): string {
      const registered = registeredMethod.call(this) as string;
      if (this.clientId !== clientId) return registered;
      const oidc = currentRequest.getStore()?.oidc;
      // `methods` holds 'none' only when the request carried no secret at all.
      if (oidc?.authorization?.methods?.includes('none') !== true) return registered;
      return secretNotNeeded(oidc) ? 'none' : registered;
    },
  });
  const compareClientSecret = clientProto.compareClientSecret;
  Object.defineProperty(clientProto, 'compareClientSecret', {
    configurable: true,
    value(this: ClientInstance, actual: string): boolean | Promise<boolean> {
      if (actual === emptySecretMarker) return this.clientId === clientId && secretNotNeeded(currentRequest.getStore()?.oidc);
      return compareClientSecret.call(this, actual);
    },
  });
  // Casdoor accepts any http(s)://localhost:* or http://127.0.0.1:* redirect URI, whatever the path.
  const redirectUriAllowed = clientProto.redirectUriAllowed;
  Object.defineProperty(clientProto, 'redirectUriAllowed', {
    configurable: true,
    value(this: ClientInstance, value: string): boolean {
      if (redirectUriAllowed.call(this, value)) return true;
      if (this.clientId !== clientId) return false;
      try {
        const parsed = new URL(value);
        return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && LOOPBACK_HOSTS.has(parsed.hostname);
      } catch {
        return false;
      }
    },
  });

  // --- Password grant -------------------------------------------------------------------------------
  const passwordGrant: Middleware = async (ctx, next) => {
    const oidc = ctx.oidc;
    const client = oidc?.client;
    if (oidc === undefined || client === undefined) throw new Error('password grant called outside the token endpoint');
    const params = oidc.params ?? {};
    const user = findUser(users, params['username'] ?? '');
    if (user === undefined) throw new errors.CustomOIDCProviderError('invalid_grant', 'the user does not exist');
    if (!params['password']) {
      throw new errors.CustomOIDCProviderError('invalid_grant', 'invalid username or password: Password cannot be empty');
    }
    if (params['password'] !== user.password) {
      throw new errors.CustomOIDCProviderError(
        'invalid_grant',
        'invalid username or password: password or code is incorrect, you have 4 remaining chances',
      );
    }
    // Casdoor always answers with an id_token: openid is implied.
    const requested = new Set((params['scope'] ?? '').split(' ').filter((s) => s !== ''));
    requested.add('openid');
    const scope = [...requested].join(' ');
    const accountId = userId(user);

    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    oidc.entity('Grant', grant);
    const account = await provider.Account.findAccount(ctx, accountId);
    if (account === undefined) throw new errors.CustomOIDCProviderError('invalid_grant', 'the user does not exist');
    oidc.entity('Account', account);

    const tokenScope = grant.getOIDCScopeFiltered(requested);
    const at = new provider.AccessToken({ accountId, client, grantId, gty: 'password', scope: tokenScope });
    oidc.entity('AccessToken', at);
    const accessToken = await at.save();

    let refreshToken: string | undefined;
    if (client.grantTypeAllowed('refresh_token')) {
      const rt = new provider.RefreshToken({ accountId, client, grantId, gty: 'password', scope: tokenScope, rotations: 0 });
      oidc.entity('RefreshToken', rt);
      refreshToken = await rt.save();
    }

    const idToken = new provider.IdToken({ ...(await account.claims('id_token', scope, {}, [])) }, { ctx });
    idToken.scope = scope;

    ctx.body = {
      access_token: accessToken,
      id_token: await idToken.issue({ use: 'idtoken' }),
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: at.expiration,
      scope: tokenScope,
    };
    await next();
  };
  provider.registerGrantType('password', passwordGrant, ['username', 'password', 'scope']);

  // --- Events -> stats ------------------------------------------------------------------------------
  const grantStat: Record<string, keyof ProviderStats> = {
    password: 'passwordGrants',
    refresh_token: 'refreshGrants',
    authorization_code: 'codeGrants',
    [DEVICE_CODE_GRANT]: 'deviceGrants',
  };
  provider.on('grant.success', (ctx: KoaContextLike) => {
    const stat = grantStat[ctx.oidc?.params?.['grant_type'] ?? ''];
    if (stat !== undefined) stats[stat] += 1;
  });
  // The detail ("refresh token not found", "client not found") never reaches the response; keep it for
  // choosing Casdoor's wording below.
  provider.on('grant.error', (ctx: KoaContextLike, err: errors.OIDCProviderError) => {
    ctx.state['errorDetail'] = err.error_detail;
  });
  provider.on('device_authorization.success', () => {
    stats.deviceAuthorizations += 1;
  });

  // --- Casdoor response shapes ----------------------------------------------------------------------
  const signingKey = keyPair.privateKey;
  const accessTokenAliases = new Map<string, string>();
  /** Casdoor-shaped id_token → the one oidc-provider issued (its end_session checks the string `aud`). */
  const idTokenAliases = new Map<string, string>();
  const remember = (map: Map<string, string>, key: string, value: string): void => {
    map.set(key, value);
    if (map.size > 1000) {
      const oldest = map.keys().next();
      if (oldest.done !== true) map.delete(oldest.value);
    }
  };

  const sign = (payload: Record<string, unknown>): Promise<string> =>
    new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(signingKey);

  /** Re-signs an id_token oidc-provider made, with Casdoor's registered claims. */
  const reshapeIdToken = async (jwt: string): Promise<string> => {
    const { at_hash: _atHash, ...payload } = decodeJwt(jwt) as Record<string, unknown>;
    const iat = typeof payload['iat'] === 'number' ? payload['iat'] : Math.floor(Date.now() / 1000);
    const aud = typeof payload['aud'] === 'string' ? payload['aud'] : clientId;
    return sign({
      ...payload,
      aud: settings.audAsArray ? [aud] : aud,
      nbf: iat,
      exp: iat + settings.idTokenTtl,
    });
  };

  const shapeTokenResponse = async (ctx: KoaContextLike): Promise<void> => {
    const body = ctx.body;
    if (!isRecord(body)) return;
    if (ctx.status === 200 && typeof body['id_token'] === 'string') {
      const idToken = await reshapeIdToken(body['id_token']);
      remember(idTokenAliases, idToken, body['id_token']);
      let accessToken = body['access_token'];
      if (settings.accessTokenIsIdToken && typeof accessToken === 'string') {
        // Remember the opaque token so the userinfo endpoint still accepts the JWT in its place.
        remember(accessTokenAliases, idToken, accessToken);
        accessToken = idToken;
      }
      // All six keys, always, in Casdoor's order.
      ctx.body = {
        access_token: accessToken,
        id_token: idToken,
        refresh_token: typeof body['refresh_token'] === 'string' ? body['refresh_token'] : '',
        token_type: 'Bearer',
        expires_in: Math.max(0, settings.idTokenTtl),
        scope: typeof body['scope'] === 'string' ? body['scope'] : '',
      };
      return;
    }
    if (ctx.status >= 400 && typeof body['error'] === 'string') {
      stats.failedTokenRequests += 1;
      const detail = typeof ctx.state['errorDetail'] === 'string' ? ctx.state['errorDetail'] : undefined;
      const fallback = typeof body['error_description'] === 'string' ? body['error_description'] : body['error'];
      const description = casdoorDescription(body['error'], detail, ctx.oidc?.params?.['grant_type'], fallback);
      if (settings.legacyErrors) {
        ctx.status = 200;
        ctx.res.removeHeader('WWW-Authenticate');
        ctx.body = { status: 'error', msg: description, sub: '', name: '', data: null, data2: null };
      } else {
        const error = description.startsWith('grant_type: ') ? 'unsupported_grant_type' : body['error'];
        ctx.body = { error, error_description: description };
        if (error === 'unsupported_grant_type') ctx.status = 400;
      }
    }
  };

  provider.use(async (ctx, next) =>
    currentRequest.run(ctx, async () => {
      const path = ctx.path;
      if ((path === CASDOOR_ROUTES.token || path === CASDOOR_ROUTES.device_authorization) && ctx.method === 'POST') {
        const auth = ctx.headers.authorization;
        if (auth !== undefined && /^basic /i.test(auth)) {
          const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
          if (decoded.endsWith(':') && decoded.indexOf(':') === decoded.length - 1) {
            ctx.req.headers.authorization = `Basic ${Buffer.from(decoded + emptySecretMarker).toString('base64')}`;
          }
        }
      }
      if (path === CASDOOR_ROUTES.token && ctx.method === 'POST') {
        stats.tokenRequests += 1;
        await next();
        await shapeTokenResponse(ctx);
        return;
      }
      if (path === CASDOOR_ROUTES.end_session) {
        // Casdoor accepts its own (array-aud) id_token as id_token_hint; hand oidc-provider the original.
        const params = new URLSearchParams(ctx.querystring);
        const original = idTokenAliases.get(params.get('id_token_hint') ?? '');
        if (original !== undefined) {
          params.set('id_token_hint', original);
          ctx.querystring = params.toString();
        }
      }
      if (path === '/.well-known/openid-configuration') stats.discoveryRequests += 1;
      if (path === CASDOOR_ROUTES.jwks) stats.jwksRequests += 1;
      if (path === CASDOOR_ROUTES.userinfo) {
        stats.userinfoRequests += 1;
        const auth = ctx.headers.authorization;
        const alias = auth?.startsWith('Bearer ') === true ? accessTokenAliases.get(auth.slice(7)) : undefined;
        if (alias !== undefined) ctx.req.headers.authorization = `Bearer ${alias}`;
      }
      await next();
      // Casdoor's authorization redirect carries code and state only (no RFC 9207 `iss`), and its
      // discovery does not announce one: a client must not come to rely on it here.
      if (path.startsWith(CASDOOR_ROUTES.authorization)) {
        const location = ctx.res.getHeader('location');
        if (typeof location === 'string' && location.includes('iss=')) {
          const target = new URL(location);
          target.searchParams.delete('iss');
          ctx.set('Location', target.href);
        }
      }
      if (path === '/.well-known/openid-configuration' && isRecord(ctx.body)) {
        const { authorization_response_iss_parameter_supported: _iss, ...doc } = ctx.body;
        ctx.body = doc;
      }
      if (path === CASDOOR_ROUTES.device_authorization && ctx.status === 200 && isRecord(ctx.body)) {
        // Casdoor sends no verification_uri_complete, and an interval.
        const { verification_uri_complete: _complete, ...rest } = ctx.body;
        ctx.body = { ...rest, interval: settings.deviceInterval };
      }
    }),
  );

  // --- Interactions: a login form, or no human at all ----------------------------------------------
  const finishInteraction = async (ctx: KoaContextLike, details: InteractionDetails, user: DemoUser): Promise<void> => {
    const result: Record<string, unknown> = {};
    let accountId = details.session?.accountId;
    if (details.prompt.name === 'login' || accountId === undefined) {
      accountId = userId(user);
      result['login'] = { accountId };
    }
    // Consent is given at once for everything asked: Casdoor shows no consent page by default.
    const existing = details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId);
    const grant = existing ?? new provider.Grant({ accountId, clientId: details.params['client_id'] ?? clientId });
    grant.addOIDCScope(details.params['scope'] ?? 'openid');
    const { missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    if (missingOIDCClaims !== undefined) grant.addOIDCClaims(missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    result['consent'] = { grantId: await grant.save() };
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
  };

  provider.use(async (ctx, next) => {
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(ctx.path);
    if (match === null) {
      await next();
      return;
    }
    const action = `/interaction/${match[1] ?? ''}/login`;
    let details: InteractionDetails;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      ctx.status = 400;
      ctx.body = page('Sign-in expired', `<p class="error">${err instanceof Error ? err.message : 'interaction not found'}</p>`);
      return;
    }
    const appId = details.params['client_id'] ?? clientId;
    if (ctx.method === 'GET' && match[2] === undefined) {
      const auto = settings.autoLoginAs === undefined ? undefined : findUser(users, settings.autoLoginAs);
      if (auto !== undefined) {
        await finishInteraction(ctx, details, auto);
        return;
      }
      if (details.prompt.name !== 'login' && details.session?.accountId !== undefined) {
        const current = usersById.get(details.session.accountId);
        if (current !== undefined) {
          await finishInteraction(ctx, details, current);
          return;
        }
      }
      ctx.type = 'html';
      ctx.body = loginPage(action, appId);
      return;
    }
    if (ctx.method === 'POST' && match[2] !== undefined) {
      const form = await readForm(ctx.req);
      const user = findUser(users, form.get('username') ?? '');
      if (user === undefined || user.password !== form.get('password')) {
        ctx.status = 401;
        ctx.type = 'html';
        ctx.body = loginPage(action, appId, user === undefined ? 'the user does not exist' : 'password is incorrect');
        return;
      }
      await finishInteraction(ctx, details, user);
      return;
    }
    ctx.status = 405;
  });

  server.on('request', provider.callback());

  const findDeviceCode = async (userCode: string) => {
    // Stored normalized: upper case, separators removed (oidc-provider's helpers/user_codes.js).
    const normalized = userCode.toUpperCase().replace(/\W/g, '');
    const code = await provider.DeviceCode.findByUserCode(normalized, { ignoreExpiration: true });
    if (code === undefined) throw new Error(`no device authorization with user code ${userCode}`);
    return code;
  };

  let closed = false;
  return {
    issuer,
    url,
    port,
    caPem: tls.caPem,
    caFile: tls.caFile,
    tls,
    clientId,
    clientSecret,
    endpoints: {
      discovery: `${url}/.well-known/openid-configuration`,
      authorization: url + CASDOOR_ROUTES.authorization,
      token: url + CASDOOR_ROUTES.token,
      jwks: url + CASDOOR_ROUTES.jwks,
      userinfo: url + CASDOOR_ROUTES.userinfo,
      device_authorization: url + CASDOOR_ROUTES.device_authorization,
      end_session: url + CASDOOR_ROUTES.end_session,
      code_verification: url + CASDOOR_ROUTES.code_verification,
    },
    users,
    alg,
    publicJwk,
    settings,
    stats,
    resetStats: () => {
      Object.assign(stats, newStats());
    },
    approveDevice: async (userCode, username) => {
      const code = await findDeviceCode(userCode);
      const user = findUser(users, username);
      if (user === undefined) throw new Error(`no demo user ${username}`);
      const accountId = userId(user);
      const scope = code.params?.['scope'] ?? 'openid';
      const grant = new provider.Grant({ accountId, clientId: code.clientId });
      grant.addOIDCScope(scope);
      const grantId = await grant.save();
      Object.assign(code, { accountId, grantId, scope, authTime: Math.floor(Date.now() / 1000) });
      await code.save();
    },
    denyDevice: async (userCode) => {
      const code = await findDeviceCode(userCode);
      Object.assign(code, { error: 'access_denied', errorDescription: 'the user denied the request' });
      await code.save();
    },
    mintIdToken: async (username, mint = {}) => {
      const user = findUser(users, username);
      if (user === undefined) throw new Error(`no demo user ${username}`);
      const iat = mint.iat ?? Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: mint.issuer ?? issuer,
        ...casdoorClaims(user, clientId),
        aud: mint.audience ?? (settings.audAsArray ? [clientId] : clientId),
        iat,
        nbf: iat,
        exp: iat + (mint.ttl ?? settings.idTokenTtl),
        jti: randomBytes(12).toString('base64url'),
        ...mint.claims,
      };
      for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
      return sign(payload);
    },
    provider,
    close: async () => {
      if (closed) return;
      closed = true;
      // Keep-alive connections from clients would otherwise hold close() open.
      await closeServer(server);
      store.clear();
      if (ownTls) await tls.remove();
    },
  };
}
