/**
 * A Casdoor stand-in for the end-to-end tests and the `demo` command: a small hand-written emulator of
 * Casdoor's OAuth/OIDC endpoints (src/demo/casdoor/), served over HTTPS on 127.0.0.1 with throwaway
 * TLS material.
 *
 * Why hand-written and not a general OpenID provider library (this used to be oidc-provider dressed up
 * as Casdoor): Casdoor's semantics fight a standards-minded provider at every step — the client secret
 * is not checked for the password and device grants, refresh tokens are JWTs (`tokenType:
 * refresh-token`) that rotate by deletion, the id_token *is* the access token, internal errors come as
 * HTTP 200 `{"status":"error"}`, the device flow has its own codes and quirks, scopes are checked
 * against an application list, and the claims depend on the application's token format. Each of those
 * took a patch against the library (prototype overrides, re-signing tokens, rewriting responses), and
 * each patch was a place where the fixture was kinder than Casdoor. The emulator instead follows
 * Casdoor's Go code function by function (the Go function is named next to each behaviour), keeps its
 * state as Casdoor's own objects (`CasdoorModel`), and has a switch for every version difference and
 * application setting the tool must cope with.
 *
 * Nothing here is imported on the tool's normal start-up path: the demo command loads it lazily.
 */
import { createPrivateKey, generateKeyPair } from 'node:crypto';
import { createServer, type Server } from 'node:https';

import { decodeJwt, decodeProtectedHeader, SignJWT, type JWK } from 'jose';

import { closeServer, listenOnLoopback } from '../listen.js';
import { AUTHORIZE_PATH } from './casdoor/authorize.js';
import { approveDeviceAuth, cancelDeviceAuth, DEVICE_AUTH_PATH, DEVICE_PAGE_PREFIX } from './casdoor/device.js';
import { DISCOVERY_PATH, JWKS_PATH, jwkOf, USERINFO_PATH } from './casdoor/discovery.js';
import { createCasdoorEmulator } from './casdoor/index.js';
import { INTROSPECT_PATH } from './casdoor/introspect.js';
import { generateJwtToken, hoursToSeconds } from './casdoor/jwt.js';
import { LOGOUT_PATH } from './casdoor/logout.js';
import {
  addBuiltIns,
  behaviourOf,
  CasdoorModel,
  DEVICE_CODE_GRANT,
  deviceLoginSigninMethod,
  groupsForUsers,
  makeApplication,
  makeOrganization,
  passwordSigninMethod,
  type CasdoorApplication,
  type CasdoorBehaviour,
  type CasdoorCert,
  type CasdoorOrganization,
  type TokenSigningMethod,
} from './casdoor/model.js';
import { getPasswordToken, wrap, type TokenWrapper } from './casdoor/oauth.js';
import type { Router } from './casdoor/router.js';
import { oauthEnvOf, type EmulatorState, type ProviderStats } from './casdoor/server.js';
import { TOKEN_PATH } from './casdoor/token.js';
import { makeTlsMaterial, selfSignedCertificate, type TlsMaterial } from './certs.js';
import { DEFAULT_ORGANIZATION, DEFAULT_USERS, findUser, toCasdoorUser, type DemoUser } from './users.js';

export { DEVICE_CODE_GRANT };
export type { ProviderStats };

/** Casdoor's paths, relative to the origin. */
export const CASDOOR_ROUTES = {
  authorization: AUTHORIZE_PATH,
  token: TOKEN_PATH,
  jwks: JWKS_PATH,
  userinfo: USERINFO_PATH,
  device_authorization: DEVICE_AUTH_PATH,
  end_session: LOGOUT_PATH,
  introspection: INTROSPECT_PATH,
  /** Prefix of the device flow's verification_uri: `<prefix>/<user code>?cancelToken=…`. */
  code_verification: DEVICE_PAGE_PREFIX,
} as const;

export const DEFAULT_CLIENT_ID = '294b09fbc17f95daf2fe';
export const DEFAULT_CLIENT_SECRET = 'a4b5c6d7e8f90123456789abcdef0123456789ab';
export const DEFAULT_APPLICATION = 'kubernetes';
/** Casdoor's default certificate name: the `kid` of every token. */
export const DEFAULT_CERT = 'cert-built-in';
/** The demo application's grants (a new Casdoor application has no device code; the demo adds it). */
export const DEFAULT_GRANT_TYPES: readonly string[] = ['authorization_code', 'refresh_token', 'password', DEVICE_CODE_GRANT];

/** Run-time knobs the tests flip instead of starting a second provider. Setters write into the model. */
export interface ProviderSettings {
  /**
   * Lifetime in seconds of the access token (= id_token): the application's expireInHours × 3600. May
   * be small or zero/negative for a token already expired when issued. Default 3600.
   */
  idTokenTtl: number;
  /** `aud` as an array (every Casdoor with golang-jwt v4+, default) or a plain string. */
  audAsArray: boolean;
  /** Casdoor: true (id_token == access_token); false issues a separate id_token JWT. */
  accessTokenIsIdToken: boolean;
  /** Finish every browser login (authorize page, device page) as this user without a person. */
  autoLoginAs: string | undefined;
  /** Casdoor before v1.62.5: token-endpoint errors as HTTP 200 inside the token wrapper. */
  legacyErrors: boolean;
  /** `interval` of /api/device-auth (Casdoor 5; 0 in v1.901–v3.26). */
  deviceInterval: number;
}

export interface CasdoorProviderOptions {
  /** TLS material to serve with (share one CA between servers); made (and removed on close) when absent. */
  tls?: TlsMaterial;
  /**
   * Casdoor's `origin` setting: the issuer and every endpoint URL, verbatim (a string, or a function of
   * `https://127.0.0.1:<port>`). Default that URL; `''` derives it from the Host header as Casdoor does
   * without the setting (http:// for an IP address).
   */
  issuerOverride?: string | ((origin: string) => string);
  /** `origin` = the URL with a trailing `/` (only when `issuerOverride` is not given). */
  trailingSlash?: boolean;
  /** Casdoor release to imitate (default 3.158.0); see `behaviourOf`. */
  version?: string;
  /** Single switches on top of `version`. */
  behaviour?: Partial<CasdoorBehaviour>;
  clientId?: string;
  clientSecret?: string;
  /** The application's grant types (default: code, refresh, password, device code). */
  grantTypes?: readonly string[];
  /** More redirect URIs besides the loopback ones Casdoor always accepts. */
  redirectUris?: readonly string[];
  users?: readonly DemoUser[];
  /** Both the certificate's algorithm and the application's token signing method (default RS256). */
  alg?: TokenSigningMethod;
  /** The certificate's crypto algorithm (the JWKS `alg`) when it differs from the signing method. */
  certAlgorithm?: TokenSigningMethod;
  /** The application's token signing method (the token header `alg`). */
  tokenSigningMethod?: TokenSigningMethod;
  /** Refresh token lifetime in seconds (application refreshExpireInHours; 0 = dies with the access token). Default 168 h. */
  refreshTokenTtl?: number;
  /** Any other application field (tokenFormat, scopes, isShared, signinMethods, tokenFields …). */
  application?: Partial<CasdoorApplication>;
  /** Initial values of `settings`. */
  idTokenTtl?: number;
  audAsArray?: boolean;
  accessTokenIsIdToken?: boolean;
  autoLoginAs?: string;
  legacyErrors?: boolean;
  deviceInterval?: number;
  /** Password of Casdoor's global admin `built-in/admin` (Casdoor's initial one: "123"). */
  adminPassword?: string;
  /** Adds routes (e.g. admin endpoints) to the emulator's router; they see the same model. */
  routes?: (router: Router, state: EmulatorState) => void;
}

export interface MintOptions {
  /** Seconds from now to `exp` (negative: already expired). Default `settings.idTokenTtl`. */
  ttl?: number;
  /** `iat` and `nbf`, epoch seconds. Default now. */
  iat?: number;
  /** Default what Casdoor would put (the client id, shaped by `settings.audAsArray`). */
  audience?: string | string[];
  /** Default the provider's issuer. */
  issuer?: string;
  /** Merged last: override or remove (`undefined`) any claim. */
  claims?: Record<string, unknown>;
}

export interface CasdoorProvider {
  /** The issuer as it appears in discovery and in `iss`. */
  issuer: string;
  /** `https://127.0.0.1:<port>`: where the provider really is. */
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
  /** The certificate's algorithm (JWKS `alg`). */
  alg: TokenSigningMethod;
  /** The public signing key, as served at the JWKS endpoint. */
  publicJwk: JWK;
  settings: ProviderSettings;
  stats: ProviderStats;
  resetStats(): void;
  /** Casdoor's objects: change them at run time (e.g. `application.tokenFormat = 'JWT-Standard'`). */
  model: CasdoorModel;
  /** The demo application (live object of the model). */
  application: CasdoorApplication;
  organization: CasdoorOrganization;
  cert: CasdoorCert;
  /** The version switches in force (live object of the model). */
  behaviour: CasdoorBehaviour;
  /** The router, for adding endpoints after start. */
  router: Router;
  /** Approves a pending device authorization as `username`, as the person's sign-in on the device page does. */
  approveDevice(userCode: string, username: string): Promise<void>;
  /** The person presses Cancel on the device page (/api/cancel-device-auth): polling then gets `expired_token`. */
  denyDevice(userCode: string): Promise<void>;
  /**
   * Signs a Casdoor-shaped access token (= id_token) for `username` in the application's token format,
   * without any grant and without a token row: for tokens no flow would produce.
   */
  mintIdToken(username: string, options?: MintOptions): Promise<string>;
  /** Like `mintIdToken`, the matching refresh token (also without a token row: Casdoor refuses it). */
  mintRefreshToken(username: string, options?: MintOptions): Promise<string>;
  /** Runs the password grant in-process (no HTTP, no stats): a recorded token pair, as Casdoor issues it. */
  issueTokens(username: string, options?: { scope?: string }): Promise<TokenWrapper>;
  close(): Promise<void>;
}

/** A key for a cert of `alg` (RSA 2048 for RS*, the matching curve for ES*): PKCS#8 key and self-signed X.509 certificate. */
function makeCertKeys(alg: TokenSigningMethod): Promise<{ certificate: string; privateKey: string }> {
  const encoding = { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } } as const;
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, certificate: string, privateKey: string): void => {
      if (err !== null) reject(err);
      else selfSignedCertificate(privateKey, 'Casdoor Cert').then((pem) => resolve({ certificate: pem, privateKey }), reject);
    };
    if (alg.startsWith('RS')) {
      generateKeyPair('rsa', { modulusLength: 2048, ...encoding }, done);
      return;
    }
    const namedCurve = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }[alg as 'ES256' | 'ES384' | 'ES512'];
    generateKeyPair('ec', { namedCurve, ...encoding }, done);
  });
}

/** Starts the provider. Resolves once it listens; `close()` stops it and removes TLS material it made. */
export async function startCasdoorProvider(options: CasdoorProviderOptions = {}): Promise<CasdoorProvider> {
  const signing = options.tokenSigningMethod ?? options.alg ?? 'RS256';
  const certAlg = options.certAlgorithm ?? options.alg ?? signing;
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
  const users = options.users ?? DEFAULT_USERS;

  const ownTls = options.tls === undefined;
  const [tls, keys] = await Promise.all([options.tls ?? makeTlsMaterial(), makeCertKeys(certAlg)]);

  const behaviour: CasdoorBehaviour = { ...behaviourOf(options.version), ...options.behaviour };
  if (options.legacyErrors !== undefined) behaviour.legacyErrors = options.legacyErrors;
  if (options.deviceInterval !== undefined) behaviour.deviceInterval = options.deviceInterval;
  if (options.audAsArray !== undefined) behaviour.audAsArray = options.audAsArray;
  const model = new CasdoorModel(behaviour);

  const cert = model.addCert({
    owner: 'admin',
    name: DEFAULT_CERT,
    displayName: 'Built-in Cert',
    scope: 'JWT',
    type: 'x509',
    cryptoAlgorithm: certAlg,
    bitSize: certAlg.startsWith('RS') ? 2048 : Number(certAlg.slice(2)),
    expireInYears: 20,
    ...keys,
  });
  const organizations = new Set([DEFAULT_ORGANIZATION, ...users.map((u) => u.organization ?? DEFAULT_ORGANIZATION)]);
  for (const name of organizations) model.addOrganization(makeOrganization(name));
  const organization = model.organizations.get(DEFAULT_ORGANIZATION) as CasdoorOrganization;
  const application = model.addApplication(
    makeApplication({
      name: DEFAULT_APPLICATION,
      displayName: 'Kubernetes',
      organization: DEFAULT_ORGANIZATION,
      cert: DEFAULT_CERT,
      clientId,
      clientSecret,
      grantTypes: [...(options.grantTypes ?? DEFAULT_GRANT_TYPES)],
      // The demo application offers device login too (required by /api/device-auth since v3.27).
      signinMethods: [passwordSigninMethod(), deviceLoginSigninMethod()],
      redirectUris: [...(options.redirectUris ?? [])],
      tokenSigningMethod: signing,
      expireInHours: (options.idTokenTtl ?? 3600) / 3600,
      refreshExpireInHours: options.refreshTokenTtl === undefined ? 168 : options.refreshTokenTtl / 3600,
      ...options.application,
    }),
  );
  organization.defaultApplication = application.name;
  for (const u of users) model.addUser(toCasdoorUser(u));
  groupsForUsers(model);
  addBuiltIns(model, options.adminPassword);

  const { router, state } = createCasdoorEmulator(model, {
    autoLoginAs: options.autoLoginAs,
    accessTokenIsIdToken: options.accessTokenIsIdToken ?? true,
  });
  options.routes?.(router, state);

  // The origin contains the port, known only after listening: listen first, attach the handler after
  // (synchronously, so no request arrives in between).
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem });
  const port = await listenOnLoopback(server);
  const url = `https://127.0.0.1:${port}`;
  model.config.origin =
    typeof options.issuerOverride === 'function'
      ? options.issuerOverride(url)
      : (options.issuerOverride ?? (options.trailingSlash === true ? `${url}/` : url));
  server.on('request', (req, res) => {
    void router.handle(model, req, res);
  });
  const issuer = oauthEnvOf(state, `127.0.0.1:${port}`).issuer;

  const settings: ProviderSettings = {
    get idTokenTtl() {
      return hoursToSeconds(application.expireInHours);
    },
    set idTokenTtl(v: number) {
      application.expireInHours = v / 3600;
    },
    get audAsArray() {
      return model.behaviour.audAsArray;
    },
    set audAsArray(v: boolean) {
      model.behaviour.audAsArray = v;
    },
    get accessTokenIsIdToken() {
      return state.harness.accessTokenIsIdToken;
    },
    set accessTokenIsIdToken(v: boolean) {
      state.harness.accessTokenIsIdToken = v;
    },
    get autoLoginAs() {
      return state.harness.autoLoginAs;
    },
    set autoLoginAs(v: string | undefined) {
      state.harness.autoLoginAs = v;
    },
    get legacyErrors() {
      return model.behaviour.legacyErrors;
    },
    set legacyErrors(v: boolean) {
      model.behaviour.legacyErrors = v;
    },
    get deviceInterval() {
      return model.behaviour.deviceInterval;
    },
    set deviceInterval(v: number) {
      model.behaviour.deviceInterval = v;
    },
  };

  const userOf = (username: string) => {
    const demo = findUser(users, username);
    const user = model.getUserByFields(application.organization, username) ?? (demo === undefined ? undefined : model.getUserByFields(demo.organization ?? DEFAULT_ORGANIZATION, demo.username));
    if (user === undefined) throw new Error(`no demo user ${username}`);
    return user;
  };

  const mint = async (username: string, which: 'access' | 'refresh', mintOptions: MintOptions = {}): Promise<string> => {
    const user = userOf(username);
    const generated = await generateJwtToken({ application, user, cert, behaviour: model.behaviour, issuer, scope: '' });
    const token = which === 'access' ? generated.accessToken : generated.refreshToken;
    const header = decodeProtectedHeader(token);
    const payload: Record<string, unknown> = decodeJwt(token);
    const iat = mintOptions.iat ?? Number(payload['iat']);
    const lifetime = mintOptions.ttl ?? Number(payload['exp']) - Number(payload['iat']);
    payload['iat'] = iat;
    payload['nbf'] = iat;
    payload['exp'] = iat + lifetime;
    if (mintOptions.issuer !== undefined) payload['iss'] = mintOptions.issuer;
    if (mintOptions.audience !== undefined) payload['aud'] = mintOptions.audience;
    for (const [k, v] of Object.entries(mintOptions.claims ?? {})) {
      if (v === undefined) delete payload[k];
      else payload[k] = v;
    }
    return new SignJWT(payload).setProtectedHeader({ ...header, alg: header.alg ?? 'RS256' }).sign(createPrivateKey(cert.privateKey));
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
      discovery: url + DISCOVERY_PATH,
      authorization: url + CASDOOR_ROUTES.authorization,
      token: url + CASDOOR_ROUTES.token,
      jwks: url + CASDOOR_ROUTES.jwks,
      userinfo: url + CASDOOR_ROUTES.userinfo,
      device_authorization: url + CASDOOR_ROUTES.device_authorization,
      end_session: url + CASDOOR_ROUTES.end_session,
      introspection: url + CASDOOR_ROUTES.introspection,
      code_verification: url + CASDOOR_ROUTES.code_verification,
    },
    users,
    alg: certAlg,
    publicJwk: jwkOf(cert) as JWK,
    settings,
    stats: state.stats,
    resetStats: () => {
      for (const key of Object.keys(state.stats) as Array<keyof ProviderStats>) state.stats[key] = 0;
    },
    model,
    application,
    organization,
    cert,
    behaviour: model.behaviour,
    router,
    approveDevice: async (userCode, username) => {
      const problem = approveDeviceAuth(model, userCode, userOf(username));
      if (problem !== undefined) throw new Error(`device approval refused: ${problem}`);
    },
    denyDevice: async (userCode) => {
      const cache = model.deviceAuth.get(userCode);
      if (cache === undefined) throw new Error(`no device authorization with user code ${userCode}`);
      const problem = cancelDeviceAuth(model, userCode, cache.cancelToken);
      if (problem !== undefined) throw new Error(`device cancel refused: ${problem}`);
    },
    mintIdToken: (username, mintOptions) => mint(username, 'access', mintOptions),
    mintRefreshToken: (username, mintOptions) => mint(username, 'refresh', mintOptions),
    issueTokens: async (username, issueOptions = {}) => {
      const user = userOf(username);
      const result = await getPasswordToken(oauthEnvOf(state, `127.0.0.1:${port}`), application, user.name, user.password, issueOptions.scope ?? '');
      if ('error' in result) throw new Error(`${result.error}: ${result.error_description ?? ''}`);
      return wrap(result.token, result.idToken);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      // Keep-alive connections from clients would otherwise hold close() open.
      await closeServer(server);
      model.clear();
      if (ownTls) await tls.remove();
    },
  };
}

