/**
 * `doctor`'s checklist lines (pure): each one from something Casdoor answered or a token it issued,
 * with the Casdoor setting to change as its web UI names it (web/src/ApplicationEditPage.js and
 * web/src/locales/en/data.json: "Grant types", "Signin methods", "Token format", "Token signing
 * method", "Token expire", "Refresh token expire", "Is shared", "Scopes") and why Kubernetes needs it.
 */
import type { OAuthErrorBody } from '../oidc/casdoor-errors.js';
import { preflight, type ClaimSettings } from '../oidc/preflight.js';
import type { CasdoorApplication } from './model.js';
import { hasSigninMethod, isMasked } from './model.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'unknown';

/** Every check, in the order doctor runs them (stable ids for `-o json`). */
export const CHECK_IDS = [
  'discovery',
  'application',
  'password-grant',
  'refresh-grant',
  'device-grant',
  'device-login',
  'password-signin',
  'shared',
  'scopes',
  'login',
  'token-format',
  'username-claim',
  'groups',
  'signing',
  'expiry',
  'refresh-expiry',
  'clock',
  'cluster',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export interface Check {
  id: CheckId;
  status: CheckStatus;
  /** What was checked, e.g. "Refresh Token grant". */
  title: string;
  /** What was seen. */
  detail: string;
  /** Where to change it in Casdoor, as the UI names it (only when there is something to change). */
  setting?: string;
  /** Why Kubernetes needs it. */
  why?: string;
  /** A failure that keeps Kubernetes from working (exit code 8). */
  blocks?: boolean;
}

export const appSetting = (app: string | undefined, field: string): string => `Casdoor → Applications → ${app ?? '<the application>'} → ${field}`;

const pass = (id: CheckId, title: string, detail: string): Check => ({ id, status: 'pass', title, detail });

/** Refresh-grant probe with a dummy refresh token (object/token_oauth.go GetOAuthToken checks IsGrantTypeValid before the token). */
export function refreshGrantCheck(app: string | undefined, answer: OAuthErrorBody | undefined): Check {
  const title = 'Refresh Token grant';
  const why = 'kubectl renews the id_token with the refresh grant; without it every user must log in again when the token expires.';
  if (answer?.error === 'unsupported_grant_type') {
    return { id: 'refresh-grant', status: 'fail', blocks: true, title, detail: `Casdoor refused the refresh grant: "${answer.description}".`, setting: appSetting(app, 'Grant types: add "Refresh Token"'), why };
  }
  if (answer?.error === 'invalid_grant') return pass('refresh-grant', title, 'enabled (a dummy refresh token was refused as invalid, not the grant).');
  return { id: 'refresh-grant', status: 'unknown', title, detail: `unexpected answer to the probe: ${answer ? `${answer.error} "${answer.description}"` : 'a token'}.` };
}

/** Password-grant probe with an unknown user (GetPasswordToken answers "the user does not exist" once the grant is allowed). */
export function passwordGrantCheck(app: string | undefined, answer: OAuthErrorBody | undefined): Check {
  const title = 'Password grant';
  if (answer?.error === 'unsupported_grant_type') {
    return {
      id: 'password-grant',
      status: 'warn',
      title,
      detail: `Casdoor refused the password grant: "${answer.description}". Logins with --grant password (the default of setup and token) fail; browser and device logins still work.`,
      setting: appSetting(app, 'Grant types: add "Password"'),
      why: 'casdoor-kubeconfig logs in with a password by default (no browser needed).',
    };
  }
  if (answer?.error === 'invalid_scope') {
    return { id: 'password-grant', status: 'fail', blocks: true, title, detail: `Casdoor refused the scope "openid profile email": "${answer.description}".`, setting: appSetting(app, 'Scopes'), why: 'every login asks for openid; an application with Scopes must list each requested scope.' };
  }
  if (answer?.error === 'invalid_grant') return pass('password-grant', title, 'enabled (an unknown user was refused, not the grant).');
  return { id: 'password-grant', status: 'unknown', title, detail: `unexpected answer to the probe: ${answer ? `${answer.error} "${answer.description}"` : 'a token'}.` };
}

/** The Device Code grant cannot be probed: the controller answers expired_token for any unknown device code first (controllers/token.go GetOAuthToken). */
export function deviceGrantCheck(app: string | undefined, masked: CasdoorApplication | undefined): Check {
  const title = 'Device Code grant';
  const grants = masked && !isMasked(masked) ? masked.grantTypes ?? [] : undefined;
  if (grants) {
    return grants.includes('urn:ietf:params:oauth:grant-type:device_code')
      ? pass('device-grant', title, 'listed in the application\'s grant types.')
      : { id: 'device-grant', status: 'warn', title, detail: 'not in the application\'s grant types: --grant device fails at the end of the sign-in.', setting: appSetting(app, 'Grant types: add "Device Code"'), why: 'device login is for machines without a browser.' };
  }
  return {
    id: 'device-grant',
    status: 'unknown',
    title,
    detail: 'cannot be probed (Casdoor looks up the device code before the grant type); it shows only when a device login completes.',
    setting: appSetting(app, 'Grant types: "Device Code"'),
  };
}

/** /api/device-auth: unauthorized_client = no "Device login" sign-in method (controllers/auth.go DeviceAuth, v3.27+). */
export function deviceLoginCheck(app: string | undefined, answer: { ok: boolean; error?: string; description?: string }): Check {
  const title = '"Device login" sign-in method';
  if (answer.ok) return pass('device-login', title, '/api/device-auth answered with a device code.');
  if (answer.error === 'unauthorized_client') {
    return {
      id: 'device-login',
      status: 'warn',
      title,
      detail: `/api/device-auth: "${answer.description ?? ''}": logins with --grant device fail.`,
      setting: appSetting(app, 'Signin methods: add "Device login"'),
      why: 'Casdoor (v3.27+) starts a device login only for applications with this sign-in method.',
    };
  }
  return { id: 'device-login', status: 'unknown', title, detail: `/api/device-auth answered ${answer.error ?? 'something unexpected'}${answer.description ? `: "${answer.description}"` : ''}.` };
}

/** From the masked application (GetMaskedApplication leaves signinMethods, isShared and scopes visible). */
export function maskedAppChecks(app: CasdoorApplication, clientId: string): Check[] {
  const checks: Check[] = [];
  if (!hasSigninMethod(app, 'Password') && (app.signinMethods ?? []).length > 0) {
    checks.push({
      id: 'password-signin',
      status: 'warn',
      title: '"Password" sign-in method',
      detail: `the application's sign-in methods are ${(app.signinMethods ?? []).map((m) => `"${m.name}"`).join(', ')}: its login page shows no password form (browser and device logins).`,
      setting: appSetting(app.name, 'Signin methods: add "Password"'),
      why: 'users of --grant browser/device sign in on Casdoor\'s page.',
    });
  } else {
    checks.push(pass('password-signin', '"Password" sign-in method', 'present.'));
  }
  if (app.isShared) {
    checks.push({
      id: 'shared',
      status: 'warn',
      title: 'Shared application',
      detail: `"Is shared" is on: tokens carry aud "${clientId}-org-<user's organization>", not "${clientId}" (object/token_jwt.go generateJwtToken).`,
      setting: appSetting(app.name, 'Is shared: off'),
      why: "kube-apiserver accepts a token only when its aud contains --oidc-client-id; with a shared application that must be the organization's form.",
    });
  } else {
    checks.push(pass('shared', 'Shared application', 'no (aud is the client id).'));
  }
  const scopes = (app.scopes ?? []).map((s) => s.name);
  if (scopes.length) {
    checks.push({
      id: 'scopes',
      status: 'warn',
      title: 'Scopes',
      detail: `the application defines Scopes (${scopes.join(', ')}): every scope a login or refresh asks for must be listed (object/token_oauth_util.go IsScopeValidAndExpand).`,
      setting: appSetting(app.name, 'Scopes: empty the list, or list openid, profile, email, offline_access'),
      why: 'a scope the application does not list fails the login with invalid_scope.',
    });
  } else {
    checks.push(pass('scopes', 'Scopes', 'none defined (every scope is accepted).'));
  }
  return checks;
}

export interface TokenFacts {
  claims: Record<string, unknown>;
  alg?: string;
  kid?: string;
  /** The JWKS key's alg for that kid (the certificate's algorithm), when the JWKS says. */
  jwksAlg?: string;
  refreshClaims?: Record<string, unknown>;
  hasRefreshToken: boolean;
  nowSeconds: number;
  issuer: string;
}

/** The token format, from the claims object/token_jwt.go puts in each one. */
export function tokenFormatOf(claims: Record<string, unknown>): 'JWT' | 'JWT-Standard' | 'JWT-Empty' | 'JWT-Custom' {
  if ('preferred_username' in claims) return 'JWT-Standard'; // getStandardClaims (object/token_standard_jwt.go)
  if ('groups' in claims && 'owner' in claims && ('isAdmin' in claims || 'signupApplication' in claims)) return 'JWT'; // UserWithoutThirdIdp
  if ('owner' in claims && 'name' in claims && 'displayName' in claims && !('groups' in claims) && !('isAdmin' in claims)) return 'JWT-Empty'; // UserShort
  return 'JWT-Custom';
}

export function tokenChecks(app: string | undefined, t: TokenFacts, mapping: Omit<ClaimSettings, 'issuer'>): Check[] {
  const checks: Check[] = [];
  const format = tokenFormatOf(t.claims);
  if (format === 'JWT') checks.push(pass('token-format', 'Token format', 'JWT (carries name and groups).'));
  else {
    checks.push({
      id: 'token-format',
      status: 'warn',
      title: 'Token format',
      detail:
        format === 'JWT-Standard'
          ? 'JWT-Standard: the username is in "preferred_username", "name" is the display name, and there are no groups.'
          : format === 'JWT-Empty'
            ? 'JWT-Empty: no groups.'
            : 'JWT-Custom: only the claims the admin picked.',
      setting: appSetting(app, 'Token format: JWT'),
      why: 'RBAC by group needs a "groups" claim, which only the JWT format (or JWT-Custom with groups) carries.',
    });
  }
  const report = preflight(t.claims, { issuer: t.issuer, ...mapping });
  const fatal = report.warnings.filter((w) => w.fatal && w.code !== 'issuer-not-https');
  if (fatal.length) {
    checks.push({ id: 'username-claim', status: 'fail', blocks: true, title: 'Claims the API server maps', detail: fatal.map((w) => w.message).join(' '), setting: appSetting(app, 'Token format'), why: 'kube-apiserver refuses a token without its username claim, or with a groups claim that is not a list of strings.' });
  } else {
    checks.push(pass('username-claim', 'Claims the API server maps', `${mapping.usernameClaim} = ${JSON.stringify(t.claims[mapping.usernameClaim])}.`));
  }
  const groups = t.claims[mapping.groupsClaim];
  checks.push(
    Array.isArray(groups) && groups.length
      ? pass('groups', 'Groups', `${groups.join(', ')} (RBAC subjects name them exactly so).`)
      : { id: 'groups', status: 'warn', title: 'Groups', detail: `the token carries no "${mapping.groupsClaim}": this user gets no group from Casdoor.`, setting: 'Casdoor → Users → <user> → Groups', why: 'group RoleBindings (casdoor-kubeconfig rbac) match these.' },
  );

  if (t.alg && t.alg !== 'RS256') {
    checks.push({ id: 'signing', status: 'warn', title: 'Token signing method', detail: `${t.alg}: kube-apiserver accepts only RS256 unless --oidc-signing-algs lists ${t.alg}.`, setting: appSetting(app, 'Token signing method: RS256'), why: 'apiserver-config --signing-algs adds it on the API server side instead.' });
  } else if (t.alg && t.jwksAlg && t.jwksAlg !== t.alg) {
    checks.push({ id: 'signing', status: 'warn', title: 'Token signing method', detail: `the token says ${t.alg} but the JWKS key ${t.kid ?? ''} says ${t.jwksAlg} (the certificate's algorithm): kube-apiserver picks the key by kid and verifies with the header's alg.`, setting: appSetting(app, 'Token signing method / Cert') });
  } else checks.push(pass('signing', 'Token signing method', `${t.alg ?? '?'}${t.kid ? ` (key ${t.kid})` : ''}.`));

  const iat = typeof t.claims.iat === 'number' ? t.claims.iat : undefined;
  const exp = typeof t.claims.exp === 'number' ? t.claims.exp : undefined;
  if (iat !== undefined && exp !== undefined) {
    const hours = (exp - iat) / 3600;
    checks.push(
      hours <= 0
        ? { id: 'expiry', status: 'fail', blocks: true, title: 'Token expire', detail: `the id_token expires when it is issued (${hours} h).`, setting: appSetting(app, 'Token expire (hours)'), why: '0 means the token expires at once (object/token_jwt.go generateJwtToken).' }
        : pass('expiry', 'Token expire', `${round(hours)} h.`),
    );
  }
  if (!t.hasRefreshToken) {
    checks.push({ id: 'refresh-expiry', status: 'fail', blocks: true, title: 'Refresh token', detail: 'the login returned no refresh token.', setting: appSetting(app, 'Grant types: add "Refresh Token"'), why: 'kubectl could never renew the id_token.' });
  } else if (t.refreshClaims && typeof t.refreshClaims.exp === 'number' && exp !== undefined) {
    const rexp = t.refreshClaims.exp;
    const rhours = iat !== undefined ? (rexp - iat) / 3600 : undefined;
    checks.push(
      rexp <= exp
        ? {
            id: 'refresh-expiry',
            status: 'fail',
            blocks: true,
            title: 'Refresh token expire',
            detail: 'the refresh token expires together with the id_token ("Refresh token expire" is 0): kubectl cannot renew, so every user logs in again each time the token expires.',
            setting: appSetting(app, 'Refresh token expire (hours): more than Token expire, e.g. 168'),
            why: 'object/token_jwt.go generateJwtToken: RefreshExpireInHours 0 = the id_token\'s expiry.',
          }
        : pass('refresh-expiry', 'Refresh token expire', `${rhours !== undefined ? `${round(rhours)} h` : new Date(rexp * 1000).toISOString()}.`),
    );
  } else {
    checks.push({ id: 'refresh-expiry', status: 'unknown', title: 'Refresh token expire', detail: 'the refresh token is not a JWT; its lifetime is unknown.' });
  }
  if (iat !== undefined) {
    const offset = Math.round(t.nowSeconds - iat);
    checks.push(
      Math.abs(offset) > 60
        ? { id: 'clock', status: 'warn', title: 'Clock offset', detail: `this machine's clock is ${Math.abs(offset)} s ${offset > 0 ? 'ahead of' : 'behind'} Casdoor's (token iat).`, why: 'kube-apiserver allows no leeway on exp: a clock far off makes tokens look expired or not yet valid.', setting: 'NTP on this machine, Casdoor and the API server' }
        : pass('clock', 'Clock offset', `${Math.abs(offset)} s.`),
    );
  }
  return checks;
}

const round = (h: number): string => (Number.isInteger(h) ? String(h) : h.toFixed(2));

export const blocking = (checks: readonly Check[]): Check[] => checks.filter((c) => c.status === 'fail' && c.blocks);

const MARK: Record<CheckStatus, string> = { pass: 'pass', warn: 'warn', fail: 'FAIL', unknown: '  ? ' };

/** The human checklist (one line per check, then the setting and the reason for those that need an action). */
export function renderChecks(checks: readonly Check[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`[${MARK[c.status]}] ${c.title}: ${c.detail}`);
    if (c.status !== 'pass' && c.setting) lines.push(`       change: ${c.setting}`);
    if (c.status !== 'pass' && c.why) lines.push(`       why: ${c.why}`);
  }
  return lines.join('\n');
}
