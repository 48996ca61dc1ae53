/**
 * Time claims a person can be told about. A token signed by the right key can still carry an `exp` in
 * the year 275760 or 1e300, an `iat` in the future, or a number a Date cannot hold; downstream the
 * summary, `--json`, the token cache and the exec plugin's `expirationTimestamp` would print "Invalid
 * Date", NaN or crash on `toISOString()`. These are refused right after verification, before anything is
 * written or cached.
 *
 * The limits:
 * - every time claim present is a finite number between 1970-01-01 and 9999-12-31T23:59:59Z. The upper
 *   bound is what kubectl can read back from the exec plugin: client-go decodes `expirationTimestamp`
 *   as a metav1.Time (RFC 3339), and Go's time.Time MarshalJSON/UnmarshalJSON refuse years past 9999;
 * - `exp` at most MAX_LIFETIME_YEARS ahead: Casdoor's application setting "Expire in hours" gives
 *   `exp = now + hours` (Casdoor object/token_jwt.go generateJwtToken), and no sane setting comes near it;
 * - `iat` not more than IAT_FUTURE_LIMIT_SECONDS in the future. go-oidc v2 in kube-apiserver never checks
 *   iat (verify.go IDTokenVerifier.Verify), so a token issued a little "in the future" (clock skew) is
 *   accepted there and here (see kube-rules.ts); only an absurd one is refused, which protects what we
 *   compute and print from it.
 */
import { CliError } from '../errors.js';
import { MAX_CLAIM_SECONDS } from '../token/exec-credential.js';

// 9999-12-31T23:59:59Z in seconds; defined beside the exec plugin's output, which must stay within it.
export { MAX_CLAIM_SECONDS };
export const MAX_LIFETIME_YEARS = 10;
const YEAR_SECONDS = 365.25 * 24 * 3600;
/** An `iat` further ahead than this is no clock skew: the token is malformed. */
export const IAT_FUTURE_LIMIT_SECONDS = 12 * 3600;

/** ISO 8601 of a claim in seconds, or undefined when it is not a time at all (never "Invalid Date"). */
export function claimIso(seconds: unknown): string | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_CLAIM_SECONDS) return undefined;
  return new Date(seconds * 1000).toISOString();
}

/** How a claim's value reads in a message: the number as sent, shortened, never the whole token. */
function shown(value: unknown): string {
  // JSON for strings, objects and arrays (never "[object Object]"); numbers as JavaScript prints them.
  const text = typeof value === 'number' || value === undefined ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Refuses (CliError 'verify', exit 4) time claims no person or program downstream can use. `now` is the
 * verification clock.
 */
export function checkClaimsSanity(claims: Record<string, unknown>, now: Date): void {
  const nowS = now.getTime() / 1000;
  const fail = (message: string, hint: string): never => {
    throw new CliError('verify', `The id_token failed verification: ${message}`, { hint });
  };
  for (const claim of ['exp', 'iat', 'nbf'] as const) {
    const v = claims[claim];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`its "${claim}" claim is ${shown(v)}, not a number of seconds.`, 'The token is malformed; check the provider that issued it.');
    if ((v as number) < 0 || (v as number) > MAX_CLAIM_SECONDS) {
      fail(`its "${claim}" claim (${shown(v)}) is not a time between 1970 and 9999-12-31.`, 'The token is malformed; check the provider that issued it.');
    }
  }
  const exp = claims.exp as number | undefined;
  if (exp !== undefined && exp - nowS > MAX_LIFETIME_YEARS * YEAR_SECONDS) {
    fail(
      `it expires ${claimIso(exp)}, more than ${MAX_LIFETIME_YEARS} years from now.`,
      'Check the application\'s "Expire in hours" in Casdoor (a token that never expires cannot be revoked), and this machine\'s clock.',
    );
  }
  const iat = claims.iat as number | undefined;
  if (iat !== undefined && iat - nowS > IAT_FUTURE_LIMIT_SECONDS) {
    fail(`it was issued ${claimIso(iat)}, in the future (this machine's clock says ${now.toISOString()}).`, "Check this machine's clock and Casdoor's.");
  }
}
