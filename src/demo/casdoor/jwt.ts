/**
 * Casdoor's tokens: claims per token format and signing, after object/token_jwt.go generateJwtToken,
 * getClaimsWithoutThirdIdp ("JWT"), getShortClaims ("JWT-Empty"), getClaimsCustom ("JWT-Custom") and
 * object/token_standard_jwt.go getStandardClaims ("JWT-Standard").
 *
 * Key order follows Go's json.Marshal of those structs (embedded user first, then token metadata,
 * then the registered claims); `omitempty` fields are left out when empty, exactly as Go does (so
 * `email_verified: false` vanishes in JWT-Standard and JWT-Empty but not in JWT).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

import { compactVerify, decodeProtectedHeader, SignJWT } from 'jose';

import { generateId, type CasdoorApplication, type CasdoorBehaviour, type CasdoorCert, type CasdoorUser, type JwtItem } from './model.js';

/** Go field name of object.User → its JSON key, in the order of `UserWithoutThirdIdp` (object/token_jwt.go). */
const USER_WITHOUT_THIRD_IDP: ReadonlyArray<readonly [string, string]> = [
  ['Owner', 'owner'], ['Name', 'name'], ['CreatedTime', 'createdTime'], ['UpdatedTime', 'updatedTime'],
  ['DeletedTime', 'deletedTime'], ['Id', 'id'], ['Type', 'type'], ['Password', 'password'],
  ['PasswordSalt', 'passwordSalt'], ['PasswordType', 'passwordType'], ['DisplayName', 'displayName'],
  ['FirstName', 'firstName'], ['LastName', 'lastName'], ['Avatar', 'avatar'], ['AvatarType', 'avatarType'],
  ['PermanentAvatar', 'permanentAvatar'], ['Email', 'email'], ['EmailVerified', 'email_verified'],
  ['Phone', 'phone'], ['CountryCode', 'countryCode'], ['Region', 'region'], ['Location', 'location'],
  ['Address', 'address'], ['Affiliation', 'affiliation'], ['Title', 'title'], ['IdCardType', 'idCardType'],
  ['IdCard', 'idCard'], ['Homepage', 'homepage'], ['Bio', 'bio'], ['Tag', 'tag'], ['Language', 'language'],
  ['Gender', 'gender'], ['Birthday', 'birthday'], ['Education', 'education'], ['Score', 'score'],
  ['Karma', 'karma'], ['Ranking', 'ranking'], ['IsDefaultAvatar', 'isDefaultAvatar'], ['IsOnline', 'isOnline'],
  ['IsAdmin', 'isAdmin'], ['IsForbidden', 'isForbidden'], ['IsDeleted', 'isDeleted'],
  ['SignupApplication', 'signupApplication'], ['Hash', 'hash'], ['PreHash', 'preHash'],
  ['RegisterType', 'registerType'], ['RegisterSource', 'registerSource'], ['GitHub', 'github'],
  ['Google', 'google'], ['QQ', 'qq'], ['WeChat', 'wechat'], ['Facebook', 'facebook'], ['DingTalk', 'dingtalk'],
  ['Weibo', 'weibo'], ['Gitee', 'gitee'], ['LinkedIn', 'linkedin'], ['Wecom', 'wecom'], ['Lark', 'lark'],
  ['Gitlab', 'gitlab'], ['CreatedIp', 'createdIp'], ['LastSigninTime', 'lastSigninTime'],
  ['LastSigninIp', 'lastSigninIp'], ['PreferredMfaType', 'preferredMfaType'], ['RecoveryCodes', 'recoveryCodes'],
  ['TotpSecret', 'totpSecret'], ['MfaPhoneEnabled', 'mfaPhoneEnabled'], ['MfaEmailEnabled', 'mfaEmailEnabled'],
  ['Ldap', 'ldap'], ['Properties', 'properties'], ['Roles', 'roles'], ['Permissions', 'permissions'],
  ['Groups', 'groups'], ['LastSigninWrongTime', 'lastSigninWrongTime'], ['SigninWrongTimes', 'signinWrongTimes'],
  ['ManagedAccounts', 'managedAccounts'],
];
/** Go field name → the user's key. */
const USER_KEY_BY_GO_NAME = new Map(USER_WITHOUT_THIRD_IDP);

/** Zero values of the Go fields this model does not keep (Go marshals a nil slice as null). */
const ZERO: Record<string, unknown> = {
  score: 0, karma: 0, ranking: 0, isDefaultAvatar: false, isOnline: false, mfaPhoneEnabled: false,
  mfaEmailEnabled: false, recoveryCodes: null, managedAccounts: null, signinWrongTimes: 0,
};

/** The value of a user field by its JSON key, as object.User holds it after refineUser (object/token_jwt.go). */
function userValue(user: CasdoorUser, key: string): unknown {
  // refineUser: the password is blanked, nil slices and maps become empty ones.
  if (key === 'password') return '';
  if (key === 'email_verified') return user.emailVerified;
  const value = (user as unknown as Record<string, unknown>)[key];
  if (value !== undefined) return value;
  return key in ZERO ? ZERO[key] : '';
}

/** util.CamelToSnakeCase then util.SnakeToCamel (util/string.go), as getClaimsCustom names a picked field. */
export function customClaimName(goField: string): string {
  let snake = '';
  for (const c of goField) {
    if (c >= 'A' && c <= 'Z') snake += (snake.length > 0 ? '_' : '') + c.toLowerCase();
    else snake += c;
  }
  return snake
    .replace(/ /g, '')
    .split('_')
    .map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
}

export interface TokenMetadata {
  tokenType: 'access-token' | 'refresh-token';
  nonce: string;
  scope: string;
  azp: string;
  provider: string;
  signinMethod: string;
}

export interface RegisteredClaims {
  iss: string;
  sub: string;
  aud: string[] | string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
}

/** Go's omitempty: drops "", false, 0, null, empty arrays and maps. */
function omitEmpty(target: Record<string, unknown>, key: string, value: unknown): void {
  const empty =
    value === '' || value === false || value === 0 || value === null || value === undefined ||
    (Array.isArray(value) && value.length === 0);
  if (!empty) target[key] = value;
}

/**
 * The token metadata fields of Casdoor's Claims and ClaimsShort structs (object/token_jwt.go: TokenType, Nonce,
 * Scope, Azp, Provider, SigninMethod, each `json:",omitempty"`); JSON key order does not matter to a verifier.
 */
function metadataClaims(c: Record<string, unknown>, m: TokenMetadata): void {
  omitEmpty(c, 'tokenType', m.tokenType);
  omitEmpty(c, 'nonce', m.nonce);
  omitEmpty(c, 'scope', m.scope);
  omitEmpty(c, 'azp', m.azp);
  omitEmpty(c, 'provider', m.provider);
  omitEmpty(c, 'signinMethod', m.signinMethod);
}

function registered(target: Record<string, unknown>, r: RegisteredClaims): Record<string, unknown> {
  // jwt.RegisteredClaims: every field omitempty.
  omitEmpty(target, 'iss', r.iss);
  omitEmpty(target, 'sub', r.sub);
  omitEmpty(target, 'aud', r.aud);
  target['exp'] = r.exp;
  target['nbf'] = r.nbf;
  target['iat'] = r.iat;
  omitEmpty(target, 'jti', r.jti);
  return target;
}

/** "JWT": ClaimsWithoutThirdIdp — nearly the whole user, `name` = username, `email_verified` always. */
function claimsJwt(user: CasdoorUser, m: TokenMetadata, r: RegisteredClaims): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  for (const [, key] of USER_WITHOUT_THIRD_IDP) c[key] = userValue(user, key);
  c['tag'] = user.tag;
  metadataClaims(c, m);
  registered(c, r);
  // Not Casdoor: claims a test asked for on this user, merged last (undefined removes one).
  for (const [k, v] of Object.entries(user.extraClaims ?? {})) {
    if (v === undefined) delete c[k];
    else c[k] = v;
  }
  return c;
}

/** "JWT-Empty": ClaimsShort (getShortUser). */
function claimsEmpty(user: CasdoorUser, m: TokenMetadata, r: RegisteredClaims): Record<string, unknown> {
  const c: Record<string, unknown> = {
    owner: user.owner,
    name: user.name,
    id: user.id,
    displayName: user.displayName,
    avatar: user.avatar,
    email: user.email,
  };
  omitEmpty(c, 'email_verified', user.emailVerified);
  c['phone'] = user.phone;
  metadataClaims(c, m);
  return registered(c, r);
}

/** "JWT-Standard": ClaimsStandard (getStandardClaims): preferred_username = username, name = display name. */
function claimsStandard(user: CasdoorUser, m: TokenMetadata, r: RegisteredClaims): Record<string, unknown> {
  const c: Record<string, unknown> = { owner: user.owner };
  omitEmpty(c, 'preferred_username', user.name);
  c['id'] = user.id;
  omitEmpty(c, 'name', user.displayName);
  omitEmpty(c, 'picture', user.avatar);
  omitEmpty(c, 'email', user.email);
  // getStandardClaims blanks Phone (omitempty: gone); EmailVerified at depth 0 hides UserStandard's.
  omitEmpty(c, 'email_verified', user.emailVerified);
  const scopes = m.scope.includes(',') ? m.scope.split(',') : m.scope.split(' ');
  let phoneNumber = '';
  let phoneVerified = false;
  let gender = '';
  let address = { formatted: '', street_address: '', locality: '', region: '', postal_code: '', country: '' };
  for (const s of scopes) {
    if (s === 'address') address = { ...address, street_address: user.address.map((a) => `${a}\n`).join('') };
    else if (s === 'profile') gender = user.gender;
    else if (s === 'phone' && user.phone !== '') {
      // util.GetE164Number: only a number it can place is sent (approximated: already in E.164 form).
      phoneVerified = /^\+\d{6,15}$/.test(user.phone);
      if (phoneVerified) phoneNumber = user.phone;
    }
  }
  omitEmpty(c, 'phone_number', phoneNumber);
  omitEmpty(c, 'phone_number_verified', phoneVerified);
  omitEmpty(c, 'gender', gender);
  omitEmpty(c, 'tokenType', m.tokenType);
  omitEmpty(c, 'nonce', m.nonce);
  omitEmpty(c, 'scope', m.scope);
  // OIDCAddress is a struct: omitempty never drops it in Go. ClaimsStandard has no SigninMethod.
  c['address'] = address;
  omitEmpty(c, 'azp', m.azp);
  omitEmpty(c, 'provider', m.provider);
  return registered(c, r);
}

/** object/user_util.go replaceAttributeValue: $user.roles/permissions/groups multiply the value (none: no value at all). */
function replaceAttributeValue(user: CasdoorUser, value: string): string[] {
  let list = [value];
  const withList = (v: string, replacements: string[]): void => {
    list = list.flatMap((x) => replacements.map((r) => x.split(v).join(r)));
  };
  if (value.includes('$user.roles')) withList('$user.roles', user.roles.map((x) => x.name));
  if (value.includes('$user.permissions')) withList('$user.permissions', user.permissions.map((x) => String(x['name'])));
  if (value.includes('$user.groups')) withList('$user.groups', user.groups);
  const single: Array<[string, string]> = [['$user.owner', user.owner], ['$user.name', user.name], ['$user.email', user.email], ['$user.id', user.id], ['$user.phone', user.phone]];
  for (const [v, r] of single) list = list.map((x) => x.split(v).join(r));
  return list;
}

/** object/token_jwt.go getUserFieldValue ("Existing Field" token attributes). */
function userFieldValue(user: CasdoorUser, field: string): [unknown, boolean] {
  if (field === 'Roles') return [user.roles.map((x) => x.name), true];
  if (field === 'Permissions' || field === 'permissionNames') return [user.permissions.map((x) => x['name']), true];
  if (field.startsWith('Properties.')) {
    const parts = field.split('.');
    const prop = parts[1];
    return parts.length === 2 && prop !== undefined && prop in user.properties ? [user.properties[prop], true] : [undefined, false];
  }
  const key = USER_KEY_BY_GO_NAME.get(field);
  return key === undefined ? [undefined, false] : [userValue(user, key), true];
}

/** "JWT-Custom": getClaimsCustom — registered claims, tokenType, azp, nonce and scope, then the picked fields. */
function claimsCustom(user: CasdoorUser, m: TokenMetadata, r: RegisteredClaims, tokenFields: readonly string[], attributes: readonly JwtItem[]): Record<string, unknown> {
  const c: Record<string, unknown> = { iss: r.iss, sub: r.sub, aud: r.aud, exp: r.exp, nbf: r.nbf, iat: r.iat, jti: r.jti };
  c['tokenType'] = 'access-token';
  if (m.azp !== '') c['azp'] = m.azp;
  c['nonce'] = m.nonce;
  c['scope'] = m.scope;
  if (tokenFields.includes('signinMethod')) c['signinMethod'] = m.signinMethod;
  if (tokenFields.includes('provider')) c['provider'] = m.provider;
  for (const field of tokenFields) {
    if (field.startsWith('Properties.')) {
      const parts = field.split('.');
      const prop = parts[1];
      if (parts.length === 2 && prop !== undefined && prop in user.properties) c[prop] = user.properties[prop];
    } else if (field === 'permissionNames') {
      c['permissionNames'] = user.permissions.map((p) => p['name']);
    } else {
      // reflect FieldByName on object.User: unknown names are skipped.
      const key = USER_KEY_BY_GO_NAME.get(field);
      if (key !== undefined) c[customClaimName(field)] = userValue(user, key);
    }
  }
  for (const item of attributes) {
    if (item.category === 'Existing Field') {
      const [value, found] = userFieldValue(user, item.value);
      if (found) c[item.name] = value;
      continue;
    }
    const values = replaceAttributeValue(user, item.value);
    if (values.length === 0) continue;
    c[item.name] = item.type === 'String' ? values[0] : values;
  }
  return c;
}

export interface GenerateInput {
  application: CasdoorApplication;
  user: CasdoorUser;
  cert: CasdoorCert | undefined;
  behaviour: CasdoorBehaviour;
  /** originBackend (getOriginFromHost): the `iss`. */
  issuer: string;
  nonce?: string;
  scope: string;
  resource?: string;
  provider?: string;
  signinMethod?: string;
  /** Epoch milliseconds (default now). */
  now?: number;
  /** The server's useGroupPathInToken: `groups` replaced by their full paths (GetUserFullGroupPath). */
  groupPath?: (user: CasdoorUser) => string[];
}

export interface GeneratedTokens {
  accessToken: string;
  refreshToken: string;
  /** The token row's name (a UUID); `jti` = `<application owner>/<name>`. */
  name: string;
  /** `int(application.ExpireInHours * 3600)`: the token row's ExpiresIn and the response's expires_in. */
  expiresIn: number;
}

/** An error generateJwtToken returns; callers turn it into `endpoint_error` "generate jwt token error: …". */
export class JwtGenerationError extends Error {}

/** Hours → seconds without float noise (5/3600 h must give 5 s). */
export const hoursToSeconds = (hours: number): number => Math.round(hours * 3600 * 1000) / 1000;

const keyCache = new WeakMap<CasdoorCert, { pem: string; key: KeyObject }>();
function privateKeyOf(cert: CasdoorCert): KeyObject {
  const cached = keyCache.get(cert);
  if (cached !== undefined && cached.pem === cert.privateKey) return cached.key;
  const key = createPrivateKey(cert.privateKey);
  keyCache.set(cert, { pem: cert.privateKey, key });
  return key;
}

/** object/token_jwt.go generateJwtToken. */
export async function generateJwtToken(input: GenerateInput): Promise<GeneratedTokens> {
  const { application: app, behaviour } = input;
  let user = input.user;
  if (input.groupPath !== undefined) {
    try {
      user = { ...user, groups: input.groupPath(user) };
    } catch (err) {
      throw new JwtGenerationError(err instanceof Error ? err.message : String(err));
    }
  }
  const nowMs = input.now ?? Date.now();
  const nowSec = nowMs / 1000;
  const ttl = hoursToSeconds(app.expireInHours);
  const iat = Math.floor(nowSec);
  const exp = Math.floor(nowSec + ttl);
  // RefreshExpireInHours == 0: the refresh token expires with the access token.
  const refreshExp = app.refreshExpireInHours === 0 ? exp : Math.floor(nowSec + hoursToSeconds(app.refreshExpireInHours));

  const name = generateId();
  let aud: string[] = [app.clientId];
  // RFC 8707: the resource replaces the audience; a shared application names the user's organization.
  if (input.resource !== undefined && input.resource !== '') aud = [input.resource];
  else if (app.isShared) aud = [`${app.clientId}-org-${user.owner}`];
  const r: RegisteredClaims = {
    iss: input.issuer,
    sub: user.id,
    aud: behaviour.audAsArray ? aud : (aud[0] ?? ''),
    exp,
    nbf: iat,
    iat,
    jti: `${app.owner}/${name}`,
  };
  const meta: TokenMetadata = {
    tokenType: 'access-token',
    nonce: input.nonce ?? '',
    scope: input.scope,
    azp: behaviour.azp ? app.clientId : '',
    provider: input.provider ?? '',
    signinMethod: input.signinMethod ?? '',
  };
  const format = app.tokenFormat === '' ? 'JWT' : app.tokenFormat;
  let access: Record<string, unknown>;
  let refresh: Record<string, unknown>;
  switch (format) {
    case 'JWT':
      access = claimsJwt(user, meta, r);
      refresh = claimsJwt(user, { ...meta, tokenType: 'refresh-token' }, { ...r, exp: refreshExp });
      break;
    case 'JWT-Empty':
      access = claimsEmpty(user, meta, r);
      refresh = claimsEmpty(user, { ...meta, tokenType: 'refresh-token' }, { ...r, exp: refreshExp });
      break;
    case 'JWT-Standard':
      access = claimsStandard(user, meta, r);
      refresh = claimsStandard(user, { ...meta, tokenType: 'refresh-token' }, { ...r, exp: refreshExp });
      break;
    case 'JWT-Custom':
      access = claimsCustom(user, meta, r, app.tokenFields, app.tokenAttributes ?? []);
      // Both carry tokenType "access-token"; only the refresh token adds TokenType "refresh-token".
      refresh = { ...claimsCustom(user, meta, r, app.tokenFields, app.tokenAttributes ?? []), exp: refreshExp, TokenType: 'refresh-token' };
      break;
    default:
      throw new JwtGenerationError(`unknown application TokenFormat: ${String(format)}`);
  }

  const cert = input.cert;
  if (cert === undefined) {
    throw new JwtGenerationError(
      app.cert === '' ? `The cert field of the application "${app.owner}/${app.name}" should not be empty` : `The cert "${app.cert}" does not exist`,
    );
  }
  // Unknown signing methods fall back to RS256; the key is parsed as RSA for RS*/"" and as EC for ES*.
  const method = (['RS256', 'RS512', 'ES256', 'ES384', 'ES512'] as const).find((m) => m === app.tokenSigningMethod) ?? 'RS256';
  const key = privateKeyOf(cert);
  const wantsEc = method.startsWith('ES');
  if (wantsEc && key.asymmetricKeyType !== 'ec') throw new JwtGenerationError('key is not a valid ECDSA private key');
  if (!wantsEc && key.asymmetricKeyType !== 'rsa') throw new JwtGenerationError('key is not a valid RSA private key');
  if (wantsEc) {
    // golang-jwt SigningMethodECDSA.Sign: the curve must match the method ("key is invalid").
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const expected = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }[method as 'ES256' | 'ES384' | 'ES512'];
    if (curve !== expected) throw new JwtGenerationError('key is invalid');
  }
  // The access token's header names the cert (kid); the refresh token's has no kid.
  const accessToken = await new SignJWT(access).setProtectedHeader({ alg: method, kid: cert.name, typ: 'JWT' }).sign(key);
  const refreshToken = await new SignJWT(refresh).setProtectedHeader({ alg: method, typ: 'JWT' }).sign(key);
  return { accessToken, refreshToken, name, expiresIn: Math.trunc(ttl) };
}

/**
 * object/token_jwt.go ParseJwtToken: verifies the signature with the cert's key (any RS or ES method the
 * header names) and exp/nbf, with golang-jwt v5's error texts. Returns the claims.
 */
export async function parseJwtToken(token: string, cert: CasdoorCert): Promise<Record<string, unknown>> {
  let header: { alg?: string };
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new Error('token is malformed: could not JSON decode header');
  }
  const alg = header.alg ?? '';
  if (!/^(RS|ES)(256|384|512)$/.test(alg)) throw new Error(`token is unverifiable: error while executing keyfunc: unexpected signing method: ${alg}`);
  // The cert's certificate (its public key), as ParseJwtToken uses cert.Certificate.
  const publicKey = createPublicKey(cert.certificate);
  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(token, publicKey, { algorithms: [alg] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    throw new Error(`token signature is invalid: ${alg.startsWith('RS') ? 'crypto/rsa: verification error' : 'ECDSA verification failed'}`);
  }
  const now = Date.now() / 1000;
  if (typeof payload['exp'] === 'number' && now > payload['exp']) throw new Error('token has invalid claims: token is expired');
  if (typeof payload['nbf'] === 'number' && now < payload['nbf']) throw new Error('token has invalid claims: token is not valid yet');
  return payload;
}
