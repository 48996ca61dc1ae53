/**
 * Casdoor's objects as its JSON API carries them (object/application.go `Application`,
 * object/user.go `User`, object/group.go `Group`): only the fields this tool reads or sets are typed;
 * every other field is kept as it came (an update sends the whole object back, see casdoor-app.ts).
 */

export interface SigninMethod {
  name: string;
  displayName: string;
  rule: string;
}

export interface ScopeItem {
  name: string;
  displayName?: string;
  description?: string;
}

export interface CasdoorApplication {
  owner: string;
  name: string;
  displayName?: string;
  organization: string;
  clientId?: string;
  clientSecret?: string;
  grantTypes?: string[] | null;
  redirectUris?: string[] | null;
  signinMethods?: SigninMethod[] | null;
  enablePassword?: boolean;
  enableSignUp?: boolean;
  tokenFormat?: string;
  tokenSigningMethod?: string;
  cert?: string;
  expireInHours?: number;
  refreshExpireInHours?: number;
  isShared?: boolean;
  scopes?: ScopeItem[] | null;
  [field: string]: unknown;
}

export interface CasdoorUser {
  owner: string;
  name: string;
  displayName?: string;
  password?: string;
  type?: string;
  isAdmin?: boolean;
  groups?: string[] | null;
  signupApplication?: string;
  [field: string]: unknown;
}

export interface CasdoorGroup {
  owner: string;
  name: string;
  displayName?: string;
  type?: string;
  parentId?: string;
  isEnabled?: boolean;
  [field: string]: unknown;
}

/** Grant type identifiers (web/src/ApplicationEditPage.js names them "Password", "Refresh Token", "Device Code"). */
export const GRANT = {
  code: 'authorization_code',
  password: 'password',
  refresh: 'refresh_token',
  device: 'urn:ietf:params:oauth:grant-type:device_code',
} as const;

/** The built-in application every Casdoor has (object/init.go initBuiltInApplication): its client id is public. */
export const BUILT_IN_APPLICATION = 'app-built-in';

/**
 * What GetMaskedApplication (object/application_util.go) puts in place of the hidden fields: a read
 * that shows these was masked, and must never be written back (it would store "***" as the cert).
 */
export function isMasked(app: CasdoorApplication): boolean {
  return app.tokenFormat === '***' || app.cert === '***' || app.expireInHours === -1;
}

export const hasSigninMethod = (app: CasdoorApplication, name: string): boolean => (app.signinMethods ?? []).some((m) => m.name === name);
