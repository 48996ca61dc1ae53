/**
 * Kubernetes compatibility preflight (pure): what kube-apiserver will make of these verified claims
 * with the given claim and prefix settings, and what will make it reject or mis-map the token.
 * The rules are kube-apiserver's (oidc.go AuthenticateToken/getUsername/getGroups, restated in
 * ./kube-rules.ts); the legacy --oidc-* prefix semantics are in docs/admin-guide.md.
 */
import { emailVerdict, evaluateRule, isRefreshToken, parseGroupsClaim, type ValidationRule } from './kube-rules.js';

export interface ClaimSettings {
  issuer: string;
  usernameClaim: string;
  groupsClaim: string;
  /** --oidc-username-prefix: undefined = flag unset, '-' = no prefix, else the prefix. */
  usernamePrefix?: string;
  groupsPrefix?: string;
  /** Required claims / claimValidationRules the API server is given (apiserver-config prints them). */
  rules?: readonly ValidationRule[];
}

export type WarningCode =
  | 'username-missing'
  | 'username-not-string'
  | 'email-unverified'
  | 'email-unverified-accepted'
  | 'refresh-token'
  | 'required-claim'
  | 'groups-missing'
  | 'groups-not-strings'
  | 'issuer-not-https'
  | 'groups-org-prefix'
  | 'username-sub';

export interface PreflightWarning {
  code: WarningCode;
  message: string;
  /** true when kube-apiserver will reject the token outright. */
  fatal: boolean;
}

export interface PreflightResult {
  /** The username as the API server will see it, when it will accept the token. */
  username?: string;
  groups: string[];
  email?: string;
  expiresAt?: Date;
  warnings: PreflightWarning[];
}

/** Applies --oidc-username-prefix semantics to a claim value. */
export function mapUsername(value: string, s: Pick<ClaimSettings, 'issuer' | 'usernameClaim' | 'usernamePrefix'>): string {
  if (s.usernamePrefix === undefined) return s.usernameClaim === 'email' ? value : `${s.issuer}#${value}`;
  if (s.usernamePrefix === '-') return value;
  return `${s.usernamePrefix}${value}`;
}

export function mapGroups(groups: string[], prefix: string | undefined): string[] {
  return groups.map((g) => `${prefix ?? ''}${g}`);
}

export function preflight(claims: Record<string, unknown>, s: ClaimSettings): PreflightResult {
  const warnings: PreflightWarning[] = [];
  const warn = (code: WarningCode, message: string, fatal = false): void => {
    warnings.push({ code, message, fatal });
  };

  if (!s.issuer.startsWith('https://')) {
    warn('issuer-not-https', `The issuer ${s.issuer} is not https: kube-apiserver accepts only https issuers.`, true);
  }

  let username: string | undefined;
  const raw = claims[s.usernameClaim];
  if (raw === undefined) {
    const alt = ['name', 'preferred_username', 'email'].filter((c) => c !== s.usernameClaim && typeof claims[c] === 'string');
    warn(
      'username-missing',
      `The token has no "${s.usernameClaim}" claim, so the API server will reject it.` +
        (alt.length ? ` Claims that could serve: ${alt.join(', ')} (use --username-claim).` : ''),
      true,
    );
  } else if (typeof raw !== 'string') {
    warn('username-not-string', `The "${s.usernameClaim}" claim is a ${Array.isArray(raw) ? 'list' : typeof raw}, not a string: the API server will reject the token.`, true);
  } else if (s.usernameClaim === 'email' && emailVerdict(claims) === 'refused') {
    // oidc.go getUsername: refused only when email_verified is present and not true.
    warn(
      'email-unverified',
      `"email" is the username claim but email_verified is ${JSON.stringify(claims.email_verified)}: the API server will reject the token. Verify the email in Casdoor or use --username-claim name.`,
      true,
    );
  } else {
    username = mapUsername(raw, s);
    if (s.usernameClaim === 'email' && emailVerdict(claims) === 'absent') {
      // oidc.go getUsername checks email_verified only when hasClaim("email_verified"); Casdoor's
      // JWT-Standard and JWT-Empty formats omit it when the email is not verified.
      const required = (s.rules ?? []).some((r) => evaluateRule(r, claims) !== undefined && 'expression' in r && r.expression.includes('email_verified'));
      warn(
        'email-unverified-accepted',
        required
          ? `The token has no email_verified claim: the claimValidationRules printed by apiserver-config refuse it (the --oidc-* flags alone would accept it).`
          : `Security: the token has no email_verified claim, and kube-apiserver then accepts "email" as the username without checking it: an unverified email becomes a Kubernetes username. ` +
              `Casdoor's JWT-Standard and JWT-Empty formats leave the claim out for unverified emails: use --username-claim name (or preferred_username), or the AuthenticationConfiguration, which requires a verified email.`,
        required,
      );
    }
    if (s.usernameClaim === 'sub') {
      warn('username-sub', `Casdoor's "sub" is an opaque user ID (${raw}); RBAC bindings would have to name that ID. Consider --username-claim name.`);
    }
  }

  let groups: string[] = [];
  const rawGroups = claims[s.groupsClaim];
  // oidc.go getGroups: stringOrArray; JSON null is no groups, not an error.
  const parsedGroups = parseGroupsClaim(rawGroups);
  if (rawGroups === undefined) {
    warn('groups-missing', `The token has no "${s.groupsClaim}" claim: the user will get no groups from Casdoor (only system:authenticated).`);
  } else if (parsedGroups !== undefined) {
    groups = parsedGroups;
  } else {
    warn(
      'groups-not-strings',
      `The "${s.groupsClaim}" claim is not a string or a list of strings${Array.isArray(rawGroups) ? ' (it holds objects, like Casdoor\'s "roles")' : ''}: the API server will reject the token. Use --groups-claim groups.`,
      true,
    );
  }
  const seenGroups = mapGroups(groups, s.groupsPrefix);
  const prefixed = groups.filter((g) => g.includes('/'));
  if (prefixed.length > 0) {
    const example = mapGroups([prefixed[0] as string], s.groupsPrefix)[0];
    warn(
      'groups-org-prefix',
      `Casdoor groups carry the organization prefix (${prefixed.join(', ')}): RBAC bindings must name the group exactly as "${example}".`,
    );
  }

  // oidc.go AuthenticateToken: required claims (--oidc-required-claim / claimValidationRules) after the mapping.
  const refusals = (s.rules ?? [])
    .filter((r) => !('expression' in r && r.expression.includes('email_verified')))
    .map((r) => evaluateRule(r, claims))
    .filter((m): m is string => m !== undefined);
  if (isRefreshToken(claims)) {
    warn(
      'refresh-token',
      refusals.length
        ? 'This is a Casdoor refresh token, not an id_token: the API server refuses it (required tokenType), as it should.'
        : 'Security: this is a Casdoor refresh token (tokenType refresh-token), and an API server without the tokenType requirement accepts it as a bearer token for as long as it lives (days). Configure the API server as apiserver-config prints it.',
      refusals.length > 0,
    );
  } else {
    for (const m of refusals) warn('required-claim', `The API server will reject the token: ${m}.`, true);
  }

  return {
    ...(username !== undefined ? { username } : {}),
    groups: seenGroups,
    ...(typeof claims.email === 'string' && claims.email !== '' ? { email: claims.email } : {}),
    ...(typeof claims.exp === 'number' ? { expiresAt: new Date(claims.exp * 1000) } : {}),
    warnings,
  };
}

/** Claims that could be chosen as username (strings) or groups (string arrays) — for the wizard. */
export function candidateClaims(claims: Record<string, unknown>): { username: string[]; groups: string[] } {
  const skip = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti', 'azp', 'nonce', 'tokenType', 'scope', 'at_hash', 'c_hash', 'sid']);
  const username: string[] = [];
  const groups: string[] = [];
  for (const [k, v] of Object.entries(claims)) {
    if (skip.has(k)) continue;
    if (typeof v === 'string' && v !== '') username.push(k);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) groups.push(k);
  }
  return { username, groups };
}
