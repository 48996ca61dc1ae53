/**
 * The Casdoor application Kubernetes needs (pure): the complete object `casdoor-app apply` creates,
 * and, for an existing application, the few fields it changes (everything else is written back as
 * read: object/application.go UpdateApplication stores every column of the body).
 */
import { DEFAULT_EXPIRE_HOURS, DEFAULT_REFRESH_EXPIRE_HOURS } from './app-defaults.js';
import { GRANT, type CasdoorApplication, type SigninMethod } from './model.js';

export { DEFAULT_EXPIRE_HOURS, DEFAULT_REFRESH_EXPIRE_HOURS };

export interface AppSpec {
  name: string;
  displayName?: string;
  organization: string;
  /** A chosen client id (e.g. to match an API server's existing --oidc-client-id); else Casdoor generates one. */
  clientId?: string;
  /** Also enable the Device Code grant and the "Device login" sign-in method. */
  device: boolean;
  /** Given on the command line: then they replace whatever the application has. */
  expireInHours?: number;
  refreshExpireInHours?: number;
}

const PASSWORD_METHOD: SigninMethod = { name: 'Password', displayName: 'Password', rule: 'All' };
// web/src/ApplicationEditPage.js offers the rules "Tab" and "Login page" for Device login.
const DEVICE_METHOD: SigninMethod = { name: 'Device login', displayName: 'Device login', rule: 'Tab' };

export function wantedGrants(spec: AppSpec): string[] {
  return [GRANT.code, GRANT.password, GRANT.refresh, ...(spec.device ? [GRANT.device] : [])];
}

/**
 * The whole object for /api/add-application. A bare body would get Casdoor's API defaults
 * (controllers/application.go AddApplication + object/application.go AddApplication):
 * grantTypes ["authorization_code"], expireInHours 0 (tokens expire at once), refreshExpireInHours 0,
 * and signinMethods derived by extendApplicationWithSigninMethods = [Face ID] only (no Password).
 */
export function newApplication(spec: AppSpec): CasdoorApplication {
  return {
    owner: 'admin', // get-application ids are always admin/<name> (object/application.go AddApplication defaults it)
    name: spec.name,
    displayName: spec.displayName ?? 'Kubernetes',
    organization: spec.organization,
    category: 'Default',
    type: 'All',
    ...(spec.clientId ? { clientId: spec.clientId } : {}),
    grantTypes: wantedGrants(spec),
    // Any http://127.0.0.1:* and http(s)://localhost:* redirect URI is always accepted
    // (util/validation.go IsValidOrigin via Application.IsRedirectUriValid); listed for the admin's eyes.
    redirectUris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
    signinMethods: [PASSWORD_METHOD, ...(spec.device ? [DEVICE_METHOD] : [])],
    enablePassword: true,
    enableSignUp: false,
    tokenFormat: 'JWT',
    tokenSigningMethod: 'RS256',
    cert: 'cert-built-in',
    expireInHours: spec.expireInHours ?? DEFAULT_EXPIRE_HOURS,
    refreshExpireInHours: spec.refreshExpireInHours ?? DEFAULT_REFRESH_EXPIRE_HOURS,
    cookieExpireInHours: 720,
    isShared: false,
    scopes: [],
    tags: [],
    providers: [],
    tokenFields: [],
  };
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
  /** Why Kubernetes needs it (shown in the plan). */
  why: string;
}

export interface AppPlan {
  /** The whole object to write (unchanged fields as read). */
  next: CasdoorApplication;
  changes: FieldChange[];
}

/** The fields of `current` Kubernetes needs changed, and the whole object with them changed (pure). */
export function planUpdate(current: CasdoorApplication, spec: AppSpec): AppPlan {
  const next: CasdoorApplication = structuredClone(current);
  const changes: FieldChange[] = [];
  const set = (field: string, value: unknown, why: string): void => {
    if (JSON.stringify(current[field]) === JSON.stringify(value)) return;
    changes.push({ field, before: current[field], after: value, why });
    next[field] = value;
  };

  const grants = [...(current.grantTypes ?? [])];
  for (const g of wantedGrants(spec)) if (!grants.includes(g)) grants.push(g);
  set('grantTypes', grants, 'object/token_oauth.go GetOAuthToken refuses any grant the application does not list (unsupported_grant_type); kubectl renews with the Refresh Token grant');

  const methods = [...(current.signinMethods ?? [])];
  // An empty list means "derive from enablePassword…" only at creation (extendApplicationWithSigninMethods);
  // an existing application with none shows no password form: add Password.
  if (!methods.some((m) => m.name === 'Password')) methods.unshift(PASSWORD_METHOD);
  if (spec.device && !methods.some((m) => m.name === 'Device login')) methods.push(DEVICE_METHOD);
  set('signinMethods', methods, 'the browser and device sign-in pages offer only the listed methods; /api/device-auth needs "Device login" (controllers/auth.go DeviceAuth)');

  set('tokenFormat', 'JWT', 'only the JWT format carries "name" and "groups" (object/token_jwt.go getClaimsWithoutThirdIdp), the claims the API server maps');

  if (spec.expireInHours !== undefined) set('expireInHours', spec.expireInHours, 'the id_token lifetime (given with --expire-hours)');
  else if (!(typeof current.expireInHours === 'number' && current.expireInHours > 0)) {
    set('expireInHours', DEFAULT_EXPIRE_HOURS, '0 makes every token expire at once (object/token_jwt.go generateJwtToken: ExpiresIn = ExpireInHours*3600)');
  }
  const expire = (next.expireInHours as number | undefined) ?? 0;
  if (spec.refreshExpireInHours !== undefined) set('refreshExpireInHours', spec.refreshExpireInHours, 'the refresh token lifetime (given with --refresh-expire-hours)');
  else if (!(typeof current.refreshExpireInHours === 'number' && current.refreshExpireInHours > expire)) {
    set(
      'refreshExpireInHours',
      Math.max(DEFAULT_REFRESH_EXPIRE_HOURS, expire + 1),
      '0 makes the refresh token die with the id_token (object/token_jwt.go generateJwtToken), so kubectl could never renew',
    );
  }
  set('isShared', false, 'a shared application puts "<clientId>-org-<org>" in aud (object/token_jwt.go generateJwtToken), which --oidc-client-id never matches');
  set('scopes', [], 'with Scopes defined, every requested scope must be listed or the login fails with invalid_scope (object/token_oauth_util.go IsScopeValidAndExpand)');
  return { next, changes };
}

/** The application as a plan of a creation (every field shown as new). */
export function planCreate(spec: AppSpec): AppPlan {
  const next = newApplication(spec);
  const changes = Object.entries(next).map(([field, after]) => ({ field, before: undefined, after, why: '' }));
  return { next, changes };
}

/** A unified-diff-like rendering of a plan (no secret is ever part of one: clientSecret is never planned). */
export function renderPlan(plan: AppPlan, title: { before: string; after: string }): string {
  const lines = [`--- ${title.before}`, `+++ ${title.after}`];
  for (const c of plan.changes) {
    if (c.field === 'clientSecret') continue;
    if (c.before !== undefined) lines.push(`-  "${c.field}": ${JSON.stringify(c.before)}`);
    lines.push(`+  "${c.field}": ${JSON.stringify(c.after)}`);
    if (c.why) lines.push(`   # ${c.why}`);
  }
  return lines.join('\n');
}

/** After the write: the fields Kubernetes needs, compared with what Casdoor stored (read back). */
export function verifyStored(stored: CasdoorApplication, spec: AppSpec): string[] {
  const { expireInHours, refreshExpireInHours, ...rest } = spec;
  const missing = planUpdate(stored, rest).changes.map((c) => c.field);
  if (expireInHours !== undefined && stored.expireInHours !== expireInHours) missing.push('expireInHours');
  if (refreshExpireInHours !== undefined && stored.refreshExpireInHours !== refreshExpireInHours) missing.push('refreshExpireInHours');
  return missing;
}
