/**
 * id_token verification with jose against the issuer's JWKS. Nothing is written unless this passes.
 * The JWKS is fetched through our HTTP client so that --casdoor-ca and proxies apply.
 */
import type { JSONWebKeySet, JWTPayload, errors as JoseErrors } from 'jose';
import { CliError } from '../errors.js';
import { parseJson, type ProviderMetadata } from './discovery.js';
import type { HttpClient } from './http.js';
import { checkClaimsSanity } from './claims-sanity.js';

/** Clock skew tolerated on exp/nbf/iat, stated in the docs. kube-apiserver itself allows none on exp. */
export const CLOCK_LEEWAY_SECONDS = 30;

/** Asymmetric algorithms only: `none` and HMAC (which would use the client secret) are refused. */
export const ACCEPTED_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export async function fetchJwks(http: HttpClient, meta: ProviderMetadata): Promise<JSONWebKeySet> {
  const res = await http.get(meta.jwks_uri, 'JWKS');
  if (res.status !== 200) throw new CliError('network', `Fetching the signing keys at ${meta.jwks_uri} failed with HTTP ${res.status}.`);
  const doc = parseJson(res.text, 'JWKS', meta.jwks_uri);
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { keys?: unknown }).keys)) {
    throw new CliError('network', `The JWKS at ${meta.jwks_uri} has no "keys" array.`);
  }
  return doc as JSONWebKeySet;
}

export interface VerifiedToken {
  claims: JWTPayload & Record<string, unknown>;
  header: { alg: string; kid?: string };
}

/** Verifies signature, iss, aud (string or Casdoor's array) and exp/nbf. Pure given the JWKS. */
export async function verifyIdToken(
  idToken: string,
  jwks: JSONWebKeySet,
  expected: { issuer: string; clientId: string; now?: Date },
): Promise<VerifiedToken> {
  // jose is loaded here, not at start-up: only commands that verify a token pay for it.
  const jose = await import('jose');
  const { createLocalJWKSet, jwtVerify } = jose;
  try {
    const { payload, protectedHeader } = await jwtVerify(idToken, createLocalJWKSet(jwks), {
      issuer: expected.issuer,
      audience: expected.clientId,
      algorithms: ACCEPTED_ALGS,
      clockTolerance: CLOCK_LEEWAY_SECONDS,
      ...(expected.now ? { currentDate: expected.now } : {}),
    });
    if (typeof payload.exp !== 'number') throw new CliError('verify', 'The id_token has no "exp" claim; Kubernetes requires one.');
    checkClaimsSanity(payload, expected.now ?? new Date(), CLOCK_LEEWAY_SECONDS);
    return {
      claims: payload as VerifiedToken['claims'],
      header: { alg: protectedHeader.alg, ...(protectedHeader.kid ? { kid: protectedHeader.kid } : {}) },
    };
  } catch (err) {
    throw verifyError(err, expected, jose.errors);
  }
}

function verifyError(err: unknown, expected: { issuer: string; clientId: string }, joseErrors: typeof JoseErrors): CliError {
  if (err instanceof CliError) return err;
  const fail = (message: string, hint?: string): CliError =>
    new CliError('verify', `The id_token failed verification: ${message}`, { ...(hint ? { hint } : {}), cause: err });
  if (err instanceof joseErrors.JWTExpired) {
    return fail('it has already expired.', 'Check this machine\'s clock, and the application\'s token expiry in Casdoor.');
  }
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') {
      return fail(`its issuer (iss) is not ${expected.issuer}.`, 'Casdoor\'s "origin" setting must equal the URL the API server is given as --oidc-issuer-url.');
    }
    if (err.claim === 'aud') {
      return fail(`its audience (aud) does not contain the client ID ${expected.clientId}.`, 'Use the application\'s Client ID for --client-id.');
    }
    if (err.claim === 'nbf' || err.claim === 'iat') return fail(`it is not valid yet (${err.claim}).`, 'Check this machine\'s clock.');
    return fail(`claim "${err.claim}" is invalid (${err.reason}).`);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) {
    return fail('it uses a signing algorithm that is not allowed (only asymmetric algorithms such as RS256 are accepted; "none" never).');
  }
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return fail('it is signed with a key that is not in Casdoor\'s JWKS.', 'The token did not come from this Casdoor, or its certificate was just rotated.');
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return fail('its signature does not match Casdoor\'s keys.');
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return fail('it is not a well-formed signed JWT.');
  if (err instanceof joseErrors.JOSENotSupported) return fail('it uses an unsupported algorithm or key type.');
  return fail(err instanceof Error ? err.message : String(err));
}
