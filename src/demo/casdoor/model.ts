/**
 * The state of the Casdoor emulator, as Casdoor's own objects (JSON shapes of `object.Application`,
 * `object.Organization`, `object.User`, `object.Group`, `object.Cert`, `object.Token` and the device
 * authorization cache), so that request handlers and admin endpoints read and write the same things
 * Casdoor's do. Field names and defaults follow Casdoor v3.158 (`object/application.go`,
 * `object/organization.go`, `object/user.go`, `object/group.go`, `object/cert.go`, `object/token.go`,
 * `object/token_oauth_util.go`); only the fields this project's behaviour depends on are modelled, the
 * rest of a Casdoor object is kept verbatim when an admin endpoint writes it (see `extra` below).
 *
 * Version differences are explicit switches (`CasdoorBehaviour`), derived from a version string by
 * `behaviourOf` or set one by one.
 */
import { createHash, randomBytes } from 'node:crypto';

// ---------------------------------------------------------------------------------------------------
// Casdoor objects
// ---------------------------------------------------------------------------------------------------

/** `object.ScopeItem` (object/application.go): an entry of the application's "Scopes" list. */
export interface ScopeItem {
  name: string;
  displayName: string;
  description: string;
  tools?: string[];
}

/** `object.SigninMethod` (object/application.go). `rule: "Hide password"` disables it (HasSigninMethod). */
export interface SigninMethod {
  name: string;
  displayName: string;
  rule: string;
}

/** `object.JwtItem` (object/application.go): a JWT-Custom "Token attribute". */
export interface JwtItem {
  name: string;
  /** "Existing Field" (a user field by Go name) or "Static Value"/"" (a template with $user.… variables). */
  category: string;
  value: string;
  /** "String": the first value only; anything else: the list. */
  type: string;
}

/** Casdoor's token formats (object/token_jwt.go generateJwtToken; "" means "JWT"). */
export type TokenFormat = 'JWT' | 'JWT-Standard' | 'JWT-Empty' | 'JWT-Custom';
/** The application's "Token signing method" (object/token_jwt.go generateJwtToken; "" means RS256). */
export type TokenSigningMethod = 'RS256' | 'RS512' | 'ES256' | 'ES384' | 'ES512';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** The sign-in method /api/device-auth requires since v3.27 (controllers/auth.go DeviceAuth: HasSigninMethod("Device login")). */
export const DEVICE_LOGIN_METHOD = 'Device login';

/**
 * `object.Application` (object/application.go). `owner` is always "admin" in Casdoor. Unknown fields
 * written by an admin endpoint are kept in `extra` and sent back as they came.
 */
export interface CasdoorApplication {
  owner: string;
  name: string;
  createdTime: string;
  displayName: string;
  organization: string;
  /** Name of the certificate (object.Cert) whose key signs the tokens; its `name` is the JWT `kid`. */
  cert: string;
  enablePassword: boolean;
  enableSignUp: boolean;
  /** "Sign-in methods": Password, Verification code, WebAuthn, Face ID, LDAP, Device login … */
  signinMethods: SigninMethod[];
  /** Allowed grants besides authorization_code, which is always allowed (IsGrantTypeValid). */
  grantTypes: string[];
  /** The application's "Scopes" list (v2.331+): when non-empty every requested scope must be in it. */
  scopes: ScopeItem[];
  /** Shared application: `aud` becomes `<clientId>-org-<user's organization>` (generateJwtToken). */
  isShared: boolean;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  tokenFormat: TokenFormat | '';
  tokenSigningMethod: TokenSigningMethod | '';
  /** JWT-Custom: Go field names of `object.User` to copy into the token (getClaimsCustom). */
  tokenFields: string[];
  /** JWT-Custom: extra claims from templates or fields (getClaimsCustom's tokenAttributes). */
  tokenAttributes: JwtItem[];
  /** Access token (= id_token) lifetime in hours; may be fractional. */
  expireInHours: number;
  /** Refresh token lifetime in hours; 0 = expires together with the access token (generateJwtToken). */
  refreshExpireInHours: number;
  /** Device flow: `expires_in` of /api/device-auth when non-zero (else 120). */
  codeResendTimeout: number;
  failedSigninLimit: number;
  failedSigninFrozenTime: number;
  homepageUrl: string;
  extra: Record<string, unknown>;
}

/** `object.Organization` (object/organization.go), the fields that matter here. */
export interface CasdoorOrganization {
  owner: string;
  name: string;
  displayName: string;
  /** Shared applications also find users of organizations whose default application they are (GetUserByFieldsForSharedApp). */
  defaultApplication: string;
  passwordType: string;
  extra: Record<string, unknown>;
}

/** `object.Group` (object/group.go). Users list groups as `<owner>/<name>`. */
export interface CasdoorGroup {
  owner: string;
  name: string;
  createdTime: string;
  displayName: string;
  /** The parent group's name, or the organization's name for a top group. */
  parentId: string;
  isTopGroup: boolean;
  type: string;
  isEnabled: boolean;
}

/** `object.Role` as it appears in the JWT format's `roles` claim: objects, never strings. */
export interface CasdoorRole {
  owner: string;
  name: string;
  displayName: string;
  [field: string]: unknown;
}

/** `object.User` (object/user.go): what tokens, login and admin endpoints read. */
export interface CasdoorUser {
  owner: string;
  name: string;
  createdTime: string;
  /** Casdoor's user id (a UUID): the `sub` claim. */
  id: string;
  /** "normal-user"; "application" only for the client-credentials pseudo-user. */
  type: string;
  /** Plain text here ("plain" password type); "" = an OAuth-only user who cannot use the password grant. */
  password: string;
  displayName: string;
  firstName: string;
  lastName: string;
  avatar: string;
  email: string;
  emailVerified: boolean;
  phone: string;
  countryCode: string;
  region: string;
  location: string;
  address: string[];
  affiliation: string;
  title: string;
  homepage: string;
  bio: string;
  tag: string;
  language: string;
  gender: string;
  birthday: string;
  isAdmin: boolean;
  isForbidden: boolean;
  isDeleted: boolean;
  signupApplication: string;
  /** `<organization>/<group>` ids. */
  groups: string[];
  roles: CasdoorRole[];
  permissions: Array<Record<string, unknown>>;
  properties: Record<string, string>;
  signinWrongTimes: number;
  lastSigninWrongTime: string;
  /** Claims added to the JWT format only (tests use it for odd claims); not a Casdoor field. */
  extraClaims?: Record<string, unknown>;
}

/** `object.Cert` (object/cert.go): `cryptoAlgorithm` becomes the JWKS `alg` (GetJsonWebKeySet). */
export interface CasdoorCert {
  owner: string;
  name: string;
  createdTime?: string;
  displayName: string;
  scope: 'JWT';
  type: 'x509';
  cryptoAlgorithm: 'RS256' | 'RS512' | 'ES256' | 'ES384' | 'ES512';
  bitSize: number;
  expireInYears: number;
  /** PEM X.509 certificate / private key (PKCS#8). */
  certificate: string;
  privateKey: string;
}

/** `object.Token` (object/token.go): one row per issued token pair or authorization code. */
export interface CasdoorToken {
  owner: string;
  name: string;
  createdTime: string;
  application: string;
  organization: string;
  user: string;
  code: string;
  accessToken: string;
  refreshToken: string;
  /** Seconds; set to 0 by logout (ExpireTokenByAccessToken), which also kills the refresh token. */
  expiresIn: number;
  scope: string;
  tokenType: string;
  codeChallenge: string;
  codeIsUsed: boolean;
  /** Epoch seconds: codes live 5 minutes (GetOAuthCode). */
  codeExpireIn: number;
  resource: string;
  grantType?: string;
}

/** `object.DeviceAuthCache` (object/token_oauth_util.go), stored under both device code and user code. */
export interface DeviceAuthCache {
  userSignIn: boolean;
  /** Under the device code: the approving user's name. Under the user code: the device code. */
  userName: string;
  applicationId: string;
  clientId: string;
  scope: string;
  /** Epoch milliseconds. */
  requestAt: number;
  status: 'pending' | 'approved' | 'denied' | 'token_issued';
  cancelToken: string;
  expiresIn: number;
}

// ---------------------------------------------------------------------------------------------------
// Version switches
// ---------------------------------------------------------------------------------------------------

/** What differs between Casdoor releases (see the shared Casdoor notes' version table). */
export interface CasdoorBehaviour {
  /** Before v1.62.5: OAuth errors as HTTP 200 `{"status":"error","msg":...}` instead of 400/401 JSON errors. */
  legacyErrors: boolean;
  /** `interval` of /api/device-auth: 0 in v1.901–v3.26, 5 since v3.27 (object.DeviceAuthInterval). */
  deviceInterval: number;
  /** v3.27+: /api/device-auth needs the "Device login" sign-in method (controllers/auth.go DeviceAuth). */
  deviceLoginMethodRequired: boolean;
  /**
   * v3.27+: cancelToken in verification_uri, device codes kept after use (`access_denied` "device_code has
   * already been used") and the `expired_token` check before `authorization_pending`; before, a used code
   * was deleted (so `expired_token`), and the 120 s check came after the pending one.
   */
  deviceCancelToken: boolean;
  /** v3.156+: the refresh token must belong to the requesting application and `resource` is kept (RefreshToken). */
  refreshBoundToApplication: boolean;
  /** v3.99+: `id_token_hint` is optional at /api/logout. */
  logoutHintOptional: boolean;
  /** v2.331+: requested scopes checked against the application's Scopes list (IsScopeValidAndExpand). */
  scopeValidation: boolean;
  /** v2.318+: RFC 8707 `resource` in the code flow becomes the `aud`. */
  resourceIndicator: boolean;
  /** v1.832+: `azp` claim. */
  azp: boolean;
  /** v2.224+: the refresh grant refuses a token expired by logout ("refresh token is expired"). */
  refreshChecksExpiry: boolean;
  /** v1.914+: device-code polling errors (pending, expired) as HTTP 400; before, HTTP 200. */
  devicePollErrorsHttp400: boolean;
  /** v3.94+: the per-application discovery's issuer is the origin (before: `<origin>/.well-known/<application>`). */
  perAppIssuerIsOrigin: boolean;
  /** `aud` as an array (every Casdoor with golang-jwt v4+); false = a plain string, as very old releases sent it. */
  audAsArray: boolean;
}

/** Compares dotted version strings ("3.158.0" vs "3.27"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export const DEFAULT_CASDOOR_VERSION = '3.158.0';

/** The behaviour of a Casdoor release (default v3.158.0). */
export function behaviourOf(version: string = DEFAULT_CASDOOR_VERSION): CasdoorBehaviour {
  const atLeast = (v: string): boolean => compareVersions(version, v) >= 0;
  return {
    legacyErrors: !atLeast('1.62.5'),
    deviceInterval: atLeast('3.27') ? 5 : 0,
    deviceLoginMethodRequired: atLeast('3.27'),
    deviceCancelToken: atLeast('3.27'),
    refreshBoundToApplication: atLeast('3.156'),
    logoutHintOptional: atLeast('3.99'),
    scopeValidation: atLeast('2.331'),
    resourceIndicator: atLeast('2.318'),
    azp: atLeast('1.832'),
    refreshChecksExpiry: atLeast('2.224'),
    perAppIssuerIsOrigin: atLeast('3.94'),
    devicePollErrorsHttp400: atLeast('1.914'),
    audAsArray: true,
  };
}

// ---------------------------------------------------------------------------------------------------
// Builders with Casdoor's defaults
// ---------------------------------------------------------------------------------------------------

/** Casdoor's `util.GetCurrentTime()` format (RFC 3339 with offset). */
export const casdoorTime = (date = new Date()): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Casdoor's `util.GenerateId()`: a random UUID. */
export const generateId = (): string => {
  const b = randomBytes(16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** Casdoor's `util.GenerateClientId()`: 20 hex characters. */
export const generateClientId = (): string => randomBytes(10).toString('hex');

/** A stable UUID-shaped id, so `sub` is the same in every run (Casdoor's ids are UUIDs). */
export function stableUserId(organization: string, name: string): string {
  const hex = createHash('sha256').update(`${organization}/${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The sign-in methods of a new application (object/application.go / web defaults): Password first. */
export const passwordSigninMethod = (): SigninMethod => ({ name: 'Password', displayName: 'Password', rule: 'All' });
export const deviceLoginSigninMethod = (): SigninMethod => ({ name: DEVICE_LOGIN_METHOD, displayName: DEVICE_LOGIN_METHOD, rule: 'All' });

export function makeApplication(fields: Partial<CasdoorApplication> & Pick<CasdoorApplication, 'name' | 'organization' | 'clientId' | 'clientSecret' | 'cert'>): CasdoorApplication {
  return {
    owner: 'admin',
    createdTime: casdoorTime(),
    displayName: fields.name,
    enablePassword: true,
    enableSignUp: false,
    signinMethods: [passwordSigninMethod()],
    grantTypes: ['authorization_code', 'password', 'client_credentials', 'token', 'id_token', 'refresh_token'],
    scopes: [],
    isShared: false,
    redirectUris: [],
    tokenFormat: 'JWT',
    tokenSigningMethod: 'RS256',
    tokenFields: [],
    tokenAttributes: [],
    expireInHours: 168,
    refreshExpireInHours: 168,
    codeResendTimeout: 0,
    // object/check.go DefaultFailedSigninLimit / DefaultFailedSigninFrozenTime
    failedSigninLimit: 5,
    failedSigninFrozenTime: 15,
    homepageUrl: '',
    extra: {},
    ...fields,
  };
}

export function makeOrganization(name: string, fields: Partial<CasdoorOrganization> = {}): CasdoorOrganization {
  return { owner: 'admin', name, displayName: name, defaultApplication: '', passwordType: 'plain', extra: {}, ...fields };
}

export function makeUser(fields: Partial<CasdoorUser> & Pick<CasdoorUser, 'owner' | 'name'>): CasdoorUser {
  return {
    createdTime: casdoorTime(),
    id: stableUserId(fields.owner, fields.name),
    type: 'normal-user',
    password: '',
    displayName: fields.name,
    firstName: '',
    lastName: '',
    avatar: '',
    email: '',
    emailVerified: false,
    phone: '',
    countryCode: '',
    region: '',
    location: '',
    address: [],
    affiliation: '',
    title: '',
    homepage: '',
    bio: '',
    tag: '',
    language: '',
    gender: '',
    birthday: '',
    isAdmin: false,
    isForbidden: false,
    isDeleted: false,
    signupApplication: '',
    groups: [],
    roles: [],
    permissions: [],
    properties: {},
    signinWrongTimes: 0,
    lastSigninWrongTime: '',
    ...fields,
  };
}

/**
 * What every Casdoor has from its first start (object/init.go initBuiltInOrganization,
 * initBuiltInApplication, initBuiltInUser): the "built-in" organization, the "app-built-in"
 * application (no grant types) and the global admin `built-in/admin` (password "123" until changed).
 */
export function addBuiltIns(model: CasdoorModel, adminPassword = '123'): void {
  model.addOrganization(makeOrganization('built-in', { displayName: 'Built-in Organization', defaultApplication: 'app-built-in' }));
  model.addApplication(
    makeApplication({
      name: 'app-built-in',
      displayName: 'Casdoor',
      organization: 'built-in',
      cert: 'cert-built-in',
      clientId: generateClientId(),
      clientSecret: randomBytes(20).toString('hex'),
      enableSignUp: true,
      signinMethods: [
        passwordSigninMethod(),
        { name: 'Verification code', displayName: 'Verification code', rule: 'All' },
        { name: 'WebAuthn', displayName: 'WebAuthn', rule: 'None' },
        { name: 'Face ID', displayName: 'Face ID', rule: 'None' },
      ],
      grantTypes: [],
      homepageUrl: 'https://casdoor.org',
      expireInHours: 168,
      refreshExpireInHours: 0,
    }),
  );
  model.addUser(
    makeUser({
      owner: 'built-in',
      name: 'admin',
      id: generateId(),
      password: adminPassword,
      displayName: 'Admin',
      email: 'admin@example.com',
      phone: '12345678910',
      countryCode: 'US',
      affiliation: 'Example Inc.',
      tag: 'staff',
      isAdmin: true,
      signupApplication: 'app-built-in',
    }),
  );
}

/** Casdoor groups for the `<org>/<group>` ids users carry (object/group.go shape, top-level virtual groups). */
export function groupsForUsers(model: CasdoorModel): void {
  for (const user of model.users) {
    for (const id of user.groups) {
      const [owner = '', name = ''] = id.split('/');
      if (name === '' || model.groups.some((g) => g.owner === owner && g.name === name)) continue;
      model.groups.push({ owner, name, createdTime: casdoorTime(), displayName: name, parentId: owner, isTopGroup: true, type: 'Virtual', isEnabled: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------------

/** Casdoor's "origin" setting and friends (conf/app.conf). */
export interface CasdoorConfig {
  /** `origin`: when set, the issuer and every backend URL, verbatim (getOriginFromHostInternal). */
  origin: string;
  /** `originFrontend`: the authorize page and verification_uri origin. */
  originFrontend: string;
  /** `useGroupPathInToken`: `groups` as full paths (User.GetUserFullGroupPath). */
  useGroupPathInToken: boolean;
}

/**
 * Everything the emulator knows. Handlers and admin endpoints mutate these objects directly; lookups
 * follow Casdoor's functions of the same name.
 */
export class CasdoorModel {
  readonly organizations = new Map<string, CasdoorOrganization>();
  /** Keyed by `owner/name`. */
  readonly applications = new Map<string, CasdoorApplication>();
  readonly users: CasdoorUser[] = [];
  readonly groups: CasdoorGroup[] = [];
  readonly certs = new Map<string, CasdoorCert>();
  readonly tokens: CasdoorToken[] = [];
  /** object.DeviceAuthMap: device codes and user codes in one map, as in Casdoor. */
  readonly deviceAuth = new Map<string, DeviceAuthCache>();
  behaviour: CasdoorBehaviour;
  config: CasdoorConfig;

  constructor(behaviour: CasdoorBehaviour = behaviourOf(), config: Partial<CasdoorConfig> = {}) {
    this.behaviour = behaviour;
    this.config = { origin: '', originFrontend: '', useGroupPathInToken: false, ...config };
  }

  addOrganization(org: CasdoorOrganization): CasdoorOrganization {
    this.organizations.set(org.name, org);
    return org;
  }

  addApplication(app: CasdoorApplication): CasdoorApplication {
    this.applications.set(`${app.owner}/${app.name}`, app);
    return app;
  }

  addUser(user: CasdoorUser): CasdoorUser {
    this.users.push(user);
    return user;
  }

  addCert(cert: CasdoorCert): CasdoorCert {
    this.certs.set(cert.name, cert);
    return cert;
  }

  /** object.GetApplication("admin/<name>"). */
  getApplication(id: string): CasdoorApplication | undefined {
    return this.applications.get(id);
  }

  /** object.GetApplicationByClientId. */
  getApplicationByClientId(clientId: string): CasdoorApplication | undefined {
    if (clientId === '') return undefined;
    for (const app of this.applications.values()) if (app.clientId === clientId) return app;
    return undefined;
  }

  /** object.getCertByApplication: the application's cert by name. */
  getCertByApplication(app: CasdoorApplication): CasdoorCert | undefined {
    return this.certs.get(app.cert);
  }

  /** object.getUser(owner, name). */
  getUser(owner: string, name: string): CasdoorUser | undefined {
    return this.users.find((u) => u.owner === owner && u.name === name && !u.isDeleted);
  }

  /**
   * object.GetUserByFields (object/user_util.go): by name, then email (when it has an @), phone, id.
   */
  getUserByFields(organization: string, field: string): CasdoorUser | undefined {
    const f = field.trim();
    const inOrg = this.users.filter((u) => u.owner === organization && !u.isDeleted);
    return (
      inOrg.find((u) => u.name === f) ??
      (f.includes('@') ? inOrg.find((u) => u.email !== '' && u.email.toLowerCase() === f.toLowerCase()) : undefined) ??
      inOrg.find((u) => u.phone !== '' && u.phone === f) ??
      inOrg.find((u) => u.id === f)
    );
  }

  /** object.GetUserByFieldsForSharedApp: a shared application also serves organizations that made it their default. */
  getUserByFieldsForSharedApp(app: CasdoorApplication, organization: string, field: string): CasdoorUser | undefined {
    const user = this.getUserByFields(organization, field);
    if (user !== undefined || !app.isShared) return user;
    for (const org of this.organizations.values()) {
      if (org.name === organization || org.defaultApplication !== app.name) continue;
      const found = this.getUserByFields(org.name, field);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  getTokenByAccessToken(accessToken: string): CasdoorToken | undefined {
    return accessToken === '' ? undefined : this.tokens.find((t) => t.accessToken === accessToken);
  }

  getTokenByRefreshToken(refreshToken: string): CasdoorToken | undefined {
    return refreshToken === '' ? undefined : this.tokens.find((t) => t.refreshToken === refreshToken);
  }

  getTokenByCode(code: string): CasdoorToken | undefined {
    return code === '' ? undefined : this.tokens.find((t) => t.code === code);
  }

  addToken(token: CasdoorToken): void {
    this.tokens.push(token);
    // Bound the memory of a demo left running: drop the oldest rows beyond 5000.
    if (this.tokens.length > 5000) this.tokens.splice(0, this.tokens.length - 5000);
  }

  deleteToken(token: CasdoorToken): void {
    const i = this.tokens.indexOf(token);
    if (i >= 0) this.tokens.splice(i, 1);
  }

  /**
   * object/user.go GetUserFullGroupPath, quirks included: each group's parent is looked up among the
   * organization's groups, so a top group (whose parent is the organization) fails with
   * "The group: <org> does not exist".
   */
  userFullGroupPath(user: CasdoorUser): string[] {
    const byName = new Map(this.groups.filter((g) => g.owner === user.owner).map((g) => [g.name, g]));
    const paths: string[] = [];
    for (const id of user.groups) {
      const name = id.slice(id.indexOf('/') + 1);
      const group = byName.get(name);
      if (group === undefined) continue;
      let path = name;
      let cur = byName.get(group.parentId);
      if (cur === undefined) throw new Error(`The group: ${group.parentId} does not exist`);
      for (;;) {
        path = `${cur.name}/${path}`;
        if (cur.isTopGroup) break;
        const parentId: string = cur.parentId;
        cur = byName.get(parentId);
        if (cur === undefined) throw new Error(`The group: ${parentId} does not exist`);
      }
      paths.push(`${cur.owner}/${path}`);
    }
    return paths;
  }

  clear(): void {
    this.tokens.length = 0;
    this.deviceAuth.clear();
  }
}

// ---------------------------------------------------------------------------------------------------
// JSON in and out (for admin endpoints, admin-api.ts): Casdoor's JSON field names, unknown fields kept in `extra`
// ---------------------------------------------------------------------------------------------------

/** An application as Casdoor's API sends it (`extra` fields merged back in). */
export function applicationToJson(app: CasdoorApplication): Record<string, unknown> {
  const { extra, ...known } = app;
  return { ...extra, ...known };
}

/**
 * An application from a JSON body, as Go's json.Unmarshal into object.Application fills it: known
 * fields take the body's value or their zero value (a whole-object update replaces everything), the
 * rest is kept in `extra`.
 */
export function applicationFromJson(body: Record<string, unknown>): CasdoorApplication {
  const str = (k: string): string => (typeof body[k] === 'string' ? (body[k] as string) : '');
  const num = (k: string): number => (typeof body[k] === 'number' ? (body[k] as number) : 0);
  const bool = (k: string): boolean => body[k] === true;
  const list = <T>(k: string): T[] => (Array.isArray(body[k]) ? ([...(body[k] as T[])]) : []);
  const known: Omit<CasdoorApplication, 'extra'> = {
    owner: str('owner'),
    name: str('name'),
    createdTime: str('createdTime'),
    displayName: str('displayName'),
    organization: str('organization'),
    cert: str('cert'),
    enablePassword: bool('enablePassword'),
    enableSignUp: bool('enableSignUp'),
    signinMethods: list<SigninMethod>('signinMethods'),
    grantTypes: list<string>('grantTypes'),
    scopes: list<ScopeItem>('scopes'),
    isShared: bool('isShared'),
    clientId: str('clientId'),
    clientSecret: str('clientSecret'),
    redirectUris: list<string>('redirectUris'),
    tokenFormat: str('tokenFormat') as TokenFormat | '',
    tokenSigningMethod: str('tokenSigningMethod') as TokenSigningMethod | '',
    tokenFields: list<string>('tokenFields'),
    tokenAttributes: list<JwtItem>('tokenAttributes'),
    expireInHours: num('expireInHours'),
    refreshExpireInHours: num('refreshExpireInHours'),
    codeResendTimeout: num('codeResendTimeout'),
    failedSigninLimit: num('failedSigninLimit'),
    failedSigninFrozenTime: num('failedSigninFrozenTime'),
    homepageUrl: str('homepageUrl'),
  };
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!(k in known)) extra[k] = v;
  return { ...known, extra };
}
