/**
 * Discovery, JWKS and userinfo (Casdoor v3.158): object/wellknown_oidc_discovery.go GetOidcDiscovery
 * and GetJsonWebKeySet, controllers/wellknown_oidc_discovery.go, object/user.go GetUserInfo.
 */
import { X509Certificate } from 'node:crypto';

import type { CasdoorCert } from './model.js';
import type { RouteContext, Router } from './router.js';
import { autoSigninFilter, originsOf, type EmulatorState } from './server.js';

export const DISCOVERY_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/.well-known/jwks';
export const USERINFO_PATH = '/api/userinfo';

/** object.GetOidcDiscovery: issuer = originBackend (for the per-application document only since v3.94). */
function discovery(ctx: RouteContext, applicationName: string): Record<string, unknown> {
  const { model, req } = ctx;
  const { frontend, backend } = originsOf(model, req.host);
  const scopes = ['openid', 'email', 'profile', 'address', 'phone', 'offline_access'];
  if (applicationName !== '') {
    const app = model.getApplication(`admin/${applicationName}`);
    for (const s of app?.scopes ?? []) if (s.name !== '') scopes.push(s.name);
  }
  return {
    issuer: applicationName !== '' && !model.behaviour.perAppIssuerIsOrigin ? `${backend}/.well-known/${applicationName}` : backend,
    authorization_endpoint: `${frontend}/login/oauth/authorize`,
    token_endpoint: `${backend}/api/login/oauth/access_token`,
    userinfo_endpoint: `${backend}/api/userinfo`,
    device_authorization_endpoint: `${backend}/api/device-auth`,
    registration_endpoint: `${backend}/api/oauth/register`,
    jwks_uri: applicationName === '' ? `${backend}/.well-known/jwks` : `${backend}/.well-known/${applicationName}/jwks`,
    introspection_endpoint: `${backend}/api/login/oauth/introspect`,
    response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    grant_types_supported: [
      'authorization_code', 'implicit', 'password', 'client_credentials', 'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange',
    ],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256', 'RS512', 'ES256', 'ES384', 'ES512'],
    scopes_supported: scopes,
    code_challenge_methods_supported: ['S256'],
    claims_supported: [
      'iss', 'ver', 'sub', 'aud', 'iat', 'exp', 'id', 'type', 'displayName', 'avatar', 'permanentAvatar', 'email', 'phone',
      'location', 'affiliation', 'title', 'homepage', 'bio', 'tag', 'region', 'language', 'score', 'ranking', 'isOnline',
      'isAdmin', 'isForbidden', 'signupApplication', 'ldap',
    ],
    request_parameter_supported: true,
    request_object_signing_alg_values_supported: ['HS256', 'HS384', 'HS512'],
    end_session_endpoint: `${backend}/api/logout`,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    dpop_signing_alg_values_supported: ['RS256', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'],
  };
}

/**
 * A JWKS entry as GetJsonWebKeySet builds it (go-jose's field order): kid = cert name, **alg = the
 * cert's crypto algorithm** (not the application's token signing method), use = sig, and the cert's
 * X.509 certificate as x5c.
 */
const jwkCache = new WeakMap<CasdoorCert, { key: string; jwk: Record<string, unknown> }>();

export function jwkOf(cert: CasdoorCert): Record<string, unknown> {
  const cacheKey = `${cert.name}\n${cert.cryptoAlgorithm}\n${cert.certificate}`;
  const cached = jwkCache.get(cert);
  if (cached !== undefined && cached.key === cacheKey) return { ...cached.jwk };
  const x509 = new X509Certificate(cert.certificate);
  const jwk = x509.publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const entry: Record<string, unknown> = { use: 'sig', kty: jwk['kty'], kid: cert.name };
  if (jwk['crv'] !== undefined) entry['crv'] = jwk['crv'];
  entry['alg'] = cert.cryptoAlgorithm;
  for (const k of ['x', 'y', 'n', 'e']) if (jwk[k] !== undefined) entry[k] = jwk[k];
  entry['x5c'] = [x509.raw.toString('base64')];
  jwkCache.set(cert, { key: cacheKey, jwk: entry });
  return { ...entry };
}

function jwks(ctx: RouteContext, applicationName: string): Record<string, unknown> {
  const { model } = ctx;
  let certs: CasdoorCert[] = [];
  if (applicationName !== '') {
    const app = model.getApplication(`admin/${applicationName}`);
    const cert = app === undefined || app.cert === '' ? undefined : model.certs.get(app.cert);
    if (cert !== undefined) certs = [cert];
  }
  // Fallback: every cert.
  if (certs.length === 0) certs = [...model.certs.values()];
  return { keys: certs.filter((c) => c.type === 'x509').map(jwkOf) };
}

/**
 * controllers/account.go GetUserinfo + object/user.go GetUserInfo, signed in by the access token
 * (routers/auto_signin_filter.go AutoSigninFilter: an unknown, expired or forbidden user's token is
 * refused there); controllers/util.go RequireSignedInUser: none → "Please login first", `app/<name>`
 * (client credentials) is no user.
 */
function userinfo(ctx: RouteContext): void {
  const { model, req } = ctx;
  const sub = autoSigninFilter(ctx, model);
  if ('error' in sub) {
    ctx.responseError(sub.error);
    return;
  }
  if (!('owner' in sub)) {
    ctx.responseError('Please login first');
    return;
  }
  const user = model.getUser(sub.owner, sub.name);
  const { token } = sub;
  if (user === undefined || token === undefined) {
    ctx.responseError(`The user: ${sub.owner}/${sub.name} doesn't exist`); // app/<name> too
    return;
  }
  const app = model.getApplication(`${token.owner}/${token.application}`);
  const aud = app?.clientId ?? '';
  const whitelist = app?.tokenFields ?? [];
  const allowed = (f: string): boolean => whitelist.length === 0 || whitelist.includes(f);
  const { backend } = originsOf(model, req.host);
  const r: Record<string, unknown> = { sub: user.id, iss: backend, aud };
  const scope = token.scope;
  const set = (k: string, v: unknown): void => {
    if (v !== '' && v !== false && v !== undefined && !(Array.isArray(v) && v.length === 0)) r[k] = v;
  };
  if (scope.includes('profile')) {
    if (allowed('Name')) set('preferred_username', user.name);
    if (allowed('DisplayName')) set('name', user.displayName);
  }
  if (scope.includes('email') && allowed('Email')) {
    set('email', user.email);
    // GetUserInfo sends true whatever the user's flag.
    set('email_verified', true);
  }
  if (scope.includes('profile') && allowed('Avatar')) set('picture', user.avatar);
  if (scope.includes('address') && allowed('Location')) set('address', user.location);
  if (scope.includes('phone') && allowed('Phone')) set('phone', user.phone);
  if (scope.includes('profile')) {
    if (allowed('Groups')) set('groups', user.groups);
    if (allowed('Roles')) set('roles', user.roles.map((x) => x.name));
    if (allowed('Permissions')) set('permissions', user.permissions.map((x) => x['name']));
  }
  ctx.json(200, r);
}

export function registerDiscoveryRoutes(router: Router, state: EmulatorState): void {
  router.add('GET', DISCOVERY_PATH, (ctx) => {
    state.stats.discoveryRequests += 1;
    ctx.json(200, discovery(ctx, ''));
  });
  router.add('GET', /^\/\.well-known\/([^/]+)\/openid-configuration$/, (ctx) => {
    state.stats.discoveryRequests += 1;
    ctx.json(200, discovery(ctx, ctx.req.params[0] ?? ''));
  });
  router.add('*', JWKS_PATH, (ctx) => {
    state.stats.jwksRequests += 1;
    ctx.json(200, jwks(ctx, ''));
  });
  router.add('*', /^\/\.well-known\/([^/]+)\/jwks$/, (ctx) => {
    state.stats.jwksRequests += 1;
    ctx.json(200, jwks(ctx, ctx.req.params[0] ?? ''));
  });
  router.add('GET', USERINFO_PATH, (ctx) => {
    state.stats.userinfoRequests += 1;
    userinfo(ctx);
  });
}
