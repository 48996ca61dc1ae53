/**
 * kube-apiserver's token rules, as pure functions, each next to the Kubernetes (or Casdoor) function
 * it restates. Used by the predictions (preflight, apiserver-config, whoami), by our own id_token
 * verification, and by the test API server in src/demo/apiserver.ts, so all three agree.
 *
 * Sources (kubernetes/kubernetes): staging/src/k8s.io/apiserver/plugin/pkg/authenticator/token/oidc/oidc.go
 * (AuthenticateToken, getUsername, getGroups, stringOrArray, claims.hasClaim) and the vendored
 * github.com/coreos/go-oidc v2 verify.go (IDTokenVerifier.Verify) and jwks.go (remoteKeySet.verify).
 */

/** go-oidc v2 verify.go IDTokenVerifier.Verify: `leeway := 1 * time.Minute` on nbf only. */
export const NBF_LEEWAY_SECONDS = 60;

export type TimeVerdict =
  | { ok: true }
  | { ok: false; code: 'expired'; exp: number | undefined }
  | { ok: false; code: 'not-yet-valid'; nbf: number; aheadBy: number };

/**
 * go-oidc v2 verify.go IDTokenVerifier.Verify: `if t.Expiry.Before(nowTime)` → expired (no leeway; an
 * absent or non-numeric exp is the zero time, so always expired); `if nowTime.Add(leeway).Before(nbfTime)`
 * → not yet valid; `iat` is never checked.
 */
export function checkTokenTimes(claims: Record<string, unknown>, nowSeconds: number): TimeVerdict {
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  if (exp === undefined || exp < nowSeconds) return { ok: false, code: 'expired', exp };
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : undefined;
  if (nbf !== undefined && nowSeconds + NBF_LEEWAY_SECONDS < nbf) return { ok: false, code: 'not-yet-valid', nbf, aheadBy: Math.round(nbf - nowSeconds) };
  return { ok: true };
}

export type AudienceKind = 'client' | 'shared' | 'resource';

/**
 * Which audience of a Casdoor token this is (pure). Casdoor object/token_jwt.go generateJwtToken: `aud`
 * is `[clientId]`, or `[clientId + "-org-" + user.Owner]` for a shared application, or `[resource]`
 * when the RFC 8707 `resource` parameter was sent. kube-apiserver (go-oidc verify.go Verify, `contains(t.Audience,
 * ClientID)`; oidc.go idTokenVerifier.verifyAudience for several audiences) compares exact strings: each of
 * these must be configured as it is.
 */
export function audienceKind(aud: string, clientId: string, resource?: string): AudienceKind | undefined {
  if (aud === clientId) return 'client';
  if (resource !== undefined && aud === resource) return 'resource';
  const prefix = `${clientId}-org-`;
  if (aud.startsWith(prefix) && aud.length > prefix.length) return 'shared';
  return undefined;
}

export const audiencesOf = (aud: unknown): string[] =>
  typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];

/**
 * A Casdoor refresh token presented as a credential. Casdoor object/token_jwt.go: the refresh token
 * carries `tokenType: "refresh-token"` (JWT, JWT-Standard, JWT-Empty); getClaimsCustom (JWT-Custom)
 * puts `tokenType: "access-token"` in both tokens and adds `TokenType: "refresh-token"` to the refresh
 * token only.
 */
export function isRefreshToken(claims: Record<string, unknown>): boolean {
  return claims.tokenType === 'refresh-token' || claims.TokenType === 'refresh-token';
}

/** A claimValidationRules entry (and, for `claim`, an --oidc-required-claim flag). */
export type ValidationRule = { claim: string; requiredValue: string } | { expression: string; message: string };

/** Refuses refresh tokens (JWT, JWT-Standard, JWT-Empty formats): `--oidc-required-claim=tokenType=access-token`. */
export const ACCESS_TOKEN_RULE = { claim: 'tokenType', requiredValue: 'access-token' } as const;
/** Refuses JWT-Custom refresh tokens, which the flags cannot tell from access tokens. */
export const CUSTOM_REFRESH_RULE = {
  expression: '!has(claims.TokenType)',
  message: 'a Casdoor refresh token (JWT-Custom format) is not a credential',
} as const;
/** With the username claim `email`: only a verified email may become a username. */
export const EMAIL_VERIFIED_RULE = {
  expression: 'has(claims.email_verified) && claims.email_verified == true',
  message: 'the email must be verified in Casdoor',
} as const;

/**
 * Evaluates a rule as kube-apiserver does (oidc.go AuthenticateToken): a `claim` rule requires the claim
 * present (`hasClaim`) and a JSON string equal to the value (`unmarshalClaim` into a string); an
 * expression is CEL, which this cannot run in general: only the expressions this tool emits are known.
 * Returns the refusal message, or undefined when the rule holds.
 */
export function evaluateRule(rule: ValidationRule, claims: Record<string, unknown>): string | undefined {
  if ('claim' in rule) {
    if (!Object.hasOwn(claims, rule.claim)) return `oidc: required claim ${rule.claim} not present in ID token`;
    const v = claims[rule.claim];
    // json.Unmarshal of null into a string leaves "" without an error.
    const s = v === null ? '' : v;
    if (typeof s !== 'string') return `oidc: parse claim ${rule.claim}: not a string`;
    if (s !== rule.requiredValue) return `oidc: required claim ${rule.claim} value does not match. Got = ${s}, want = ${rule.requiredValue}`;
    return undefined;
  }
  let holds: boolean;
  if (rule.expression === CUSTOM_REFRESH_RULE.expression) holds = !Object.hasOwn(claims, 'TokenType');
  else if (rule.expression === EMAIL_VERIFIED_RULE.expression) holds = Object.hasOwn(claims, 'email_verified') && claims.email_verified === true;
  else throw new Error(`unknown claimValidationRules expression: ${rule.expression}`);
  // oidc.go checkValidationRulesEvaluation.
  return holds ? undefined : `oidc: error evaluating claim validation expression: validation expression '${rule.expression}' failed: ${rule.message}`;
}

export type EmailVerdict = 'verified' | 'absent' | 'refused';

/**
 * oidc.go getUsername with the username claim `email`: only when `hasClaim("email_verified")` is the
 * claim unmarshalled into a bool (JSON null → false; a non-boolean → error) and refused unless true.
 * An absent claim is accepted: the unverified email becomes the username.
 */
export function emailVerdict(claims: Record<string, unknown>): EmailVerdict {
  if (!Object.hasOwn(claims, 'email_verified')) return 'absent';
  return claims.email_verified === true ? 'verified' : 'refused';
}

/**
 * oidc.go getGroups: the claim is unmarshalled as `stringOrArray` (a list of strings, or one string).
 * JSON null unmarshals into a nil list without error: no groups. Anything else is an error.
 */
export function parseGroupsClaim(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return [];
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw) && raw.every((g) => typeof g === 'string')) return raw as string[];
  return undefined;
}
