/**
 * id_token verification with jose against the issuer's JWKS. Nothing is written unless this passes.
 * The JWKS is fetched through our HTTP client so that --casdoor-ca and proxies apply.
 */
import type { JSONWebKeySet, JWK, JWTPayload, ProtectedHeaderParameters } from 'jose';
import { CliError } from '../errors.js';
import { parseJson, type ProviderMetadata } from './discovery.js';
import type { HttpClient } from './http.js';
import { checkClaimsSanity } from './claims-sanity.js';
import { audienceKind, audiencesOf, checkTokenTimes, NBF_LEEWAY_SECONDS, type AudienceKind } from './kube-rules.js';

/**
 * No clock leeway of our own: the same rules as kube-apiserver (go-oidc v2 verify.go
 * IDTokenVerifier.Verify: none on exp, 60 s on nbf, iat unchecked), see ./kube-rules.ts.
 */
export { NBF_LEEWAY_SECONDS } from './kube-rules.js';

/**
 * Asymmetric algorithms only: `none` and HMAC (which would use the client secret) are refused. This is
 * kube-apiserver's allow-list (oidc.go allowedSigningAlgs) plus EdDSA, which only an
 * AuthenticationConfiguration's verifier would take; the flags' --oidc-signing-algs is checked apart.
 */
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
  /** The audience that matched, exactly as the API server must be configured with it. */
  audience: string;
  audienceKind: AudienceKind;
  /** Things a Casdoor admin should know, that do not stop kube-apiserver from accepting the token. */
  warnings: string[];
}

type Fail = (message: string, hint?: string, cause?: unknown) => CliError;
const failWith: Fail = (message, hint, cause) =>
  new CliError('verify', `The id_token failed verification: ${message}`, { ...(hint ? { hint } : {}), ...(cause !== undefined ? { cause } : {}) });

/** JWK key types that can verify a JWS algorithm (RFC 7518 section 3.1, RFC 8037). */
function keyFits(jwk: JWK, alg: string): boolean {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return jwk.kty === 'RSA';
  if (alg.startsWith('ES')) return jwk.kty === 'EC';
  if (alg === 'EdDSA') return jwk.kty === 'OKP';
  return false;
}

export type SignatureVerdict =
  | { ok: true; alg: string; kid?: string; payload: Uint8Array; key: JWK }
  | { ok: false; reason: 'malformed' | 'algorithm' | 'no-key' | 'signature'; message: string };

/**
 * The signature step of go-oidc v2 (pure given the JWKS): verify.go IDTokenVerifier.Verify requires the
 * header alg in the allowed list (`contains(supportedSigAlgs, sig.Header.Algorithm)`); jwks.go
 * remoteKeySet.verify tries every key whose kid matches, or all keys when the token has no kid, and
 * go-jose's JSONWebSignature.Verify uses only the key material (the JWK's own `alg` is not compared).
 */
export async function verifySignatureAsGoOidc(token: string, jwks: JSONWebKeySet, allowedAlgs: readonly string[]): Promise<SignatureVerdict> {
  const jose = await import('jose');
  let header: ProtectedHeaderParameters;
  try {
    if (token.split('.').length !== 3) throw new Error('not a compact JWS');
    header = jose.decodeProtectedHeader(token);
  } catch (err) {
    return { ok: false, reason: 'malformed', message: `oidc: malformed jwt: ${err instanceof Error ? err.message : String(err)}` };
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !allowedAlgs.includes(alg)) {
    return { ok: false, reason: 'algorithm', message: `oidc: id token signed with unsupported algorithm, expected ${JSON.stringify(allowedAlgs)} got "${String(alg)}"` };
  }
  const kid = typeof header.kid === 'string' && header.kid !== '' ? header.kid : undefined;
  const candidates = (Array.isArray(jwks.keys) ? jwks.keys : []).filter((k) => kid === undefined || k.kid === kid);
  if (candidates.length === 0) return { ok: false, reason: 'no-key', message: 'failed to verify signature: failed to verify id token signature' };
  for (const jwk of candidates.filter((k) => keyFits(k, alg))) {
    try {
      // The JWK's alg is dropped so that jose uses the header's, as go-jose does.
      const { alg: _ignored, ...material } = jwk;
      const key = await jose.importJWK(material, alg);
      const { payload } = await jose.compactVerify(token, key, { algorithms: [alg] });
      return { ok: true, alg, ...(kid ? { kid } : {}), payload, key: jwk };
    } catch {
      // go-oidc tries the next key.
    }
  }
  return { ok: false, reason: 'signature', message: 'failed to verify signature: failed to verify id token signature' };
}

/**
 * Verifies signature, iss, aud and exp/nbf the way kube-apiserver's verifier does (pure given the JWKS):
 * - key by `kid`, every key when the token has none (go-oidc jwks.go remoteKeySet.verify: `if keyID == ""
 *   || key.KeyID == keyID`), with the header's `alg`, which must be allowed (verify.go Verify:
 *   `contains(supportedSigAlgs, sig.Header.Algorithm)`); the JWK's own `alg` is not compared (go-jose
 *   JSONWebSignature.Verify uses only the key material), so a mismatch is an admin warning here;
 * - `iss` exactly (verify.go Verify `t.Issuer != v.issuer`);
 * - `aud` contains the client id exactly, or Casdoor's shared-application audience
 *   `<clientId>-org-<organization>`, or the RFC 8707 `resource` that was requested (kube-rules.ts audienceKind);
 * - exp without leeway, nbf with 60 s, iat not at all (kube-rules.ts checkTokenTimes).
 */
export async function verifyIdToken(
  idToken: string,
  jwks: JSONWebKeySet,
  expected: { issuer: string; clientId: string; resource?: string; now?: Date },
): Promise<VerifiedToken> {
  // jose is loaded by verifySignatureAsGoOidc, not at start-up: only commands that verify a token pay for it.
  const sig = await verifySignatureAsGoOidc(idToken, jwks, ACCEPTED_ALGS);
  if (!sig.ok) {
    if (sig.reason === 'malformed') throw failWith('it is not a well-formed signed JWT.');
    if (sig.reason === 'algorithm') throw failWith('it uses a signing algorithm that is not allowed (only asymmetric algorithms such as RS256 are accepted; "none" never).');
    if (sig.reason === 'no-key') throw failWith("it is signed with a key that is not in Casdoor's JWKS.", 'The token did not come from this Casdoor, or its certificate was just rotated.');
    const kidOf = ((): string | undefined => {
      try {
        const h = JSON.parse(Buffer.from(idToken.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
        return typeof h.kid === 'string' && h.kid !== '' ? h.kid : undefined;
      } catch {
        return undefined;
      }
    })();
    throw failWith("its signature does not match Casdoor's keys.", kidOf ? undefined : 'The token carries no "kid", so every key was tried.');
  }
  const { alg, kid, payload: payloadBytes, key: usedKey } = sig;
  let claims: VerifiedToken['claims'];
  try {
    claims = JSON.parse(new TextDecoder().decode(payloadBytes)) as VerifiedToken['claims'];
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('not an object');
  } catch (err) {
    throw failWith('it is not a well-formed signed JWT.', undefined, err);
  }

  if (claims.iss !== expected.issuer) {
    throw failWith(`its issuer (iss) is not ${expected.issuer}.`, 'Casdoor\'s "origin" setting must equal the URL the API server is given as --oidc-issuer-url.');
  }
  const auds = audiencesOf(claims.aud);
  const kinds = auds.map((a) => ({ a, k: audienceKind(a, expected.clientId, expected.resource) }));
  // A resource was asked for (--resource): only that audience will do, since the API server of that
  // cluster expects it and no other (Casdoor object/token_jwt.go generateJwtToken puts it in aud instead
  // of the client id; object/token_oauth_util.go RefreshToken keeps it only since v3.156).
  if (expected.resource && !auds.includes(expected.resource)) {
    throw failWith(
      `its audience (aud) ${JSON.stringify(claims.aud ?? null)} is not the resource ${expected.resource} that was asked for (--resource).`,
      'Casdoor puts the resource in aud only for a browser login (authorization code) since v2.318, and keeps it across a refresh only since v3.156: upgrade Casdoor, or leave out --resource (the audience is then the client ID).',
    );
  }
  const match = kinds.find((x) => x.k === (expected.resource ? 'resource' : 'client')) ?? kinds.find((x) => x.k !== undefined);
  if (!match?.k) {
    throw failWith(
      `its audience (aud) ${JSON.stringify(claims.aud ?? null)} does not contain the client ID ${expected.clientId}` +
        ` (nor Casdoor's shared-application audience ${expected.clientId}-org-<organization>${expected.resource ? `, nor the resource ${expected.resource}` : ''}).`,
      "Use the application's Client ID for --client-id.",
    );
  }
  if (typeof claims.exp !== 'number') throw new CliError('verify', 'The id_token has no "exp" claim; Kubernetes requires one.');
  // Absurd time claims (non-numeric, beyond what a Date holds, decades ahead) before anything reads them.
  checkClaimsSanity(claims, expected.now ?? new Date());
  const nowS = (expected.now ?? new Date()).getTime() / 1000;
  const times = checkTokenTimes(claims, nowS);
  if (!times.ok && times.code === 'expired') {
    throw failWith('it has already expired.', "Check this machine's clock, and the application's token expiry in Casdoor.");
  }
  if (!times.ok && times.code === 'not-yet-valid') {
    throw failWith(
      `it is not valid yet (nbf is ${times.aheadBy} s ahead of this machine's clock; kube-apiserver allows ${NBF_LEEWAY_SECONDS} s).`,
      "Casdoor's clock is ahead of this machine's (or this one is behind): fix the time (NTP) on both.",
    );
  }

  const warnings: string[] = [];
  if (usedKey.alg !== undefined && usedKey.alg !== alg) {
    // Casdoor object/token_jwt.go generateJwtToken signs with the application's token signing method;
    // the JWKS alg comes from the certificate (object/wellknown_oidc_discovery.go GetJsonWebKeySet).
    warnings.push(
      `Casdoor signs with ${alg}, but its JWKS announces key ${usedKey.kid ?? '(no kid)'} as ${usedKey.alg}: the application's "Token signing method" differs from its certificate's algorithm. ` +
        `kube-apiserver accepts it (it does not compare them; the --oidc-signing-algs flag must list ${alg}), but other OIDC clients may not: a Casdoor admin should make them agree.`,
    );
  }
  if (match.k === 'shared') {
    warnings.push(
      `The token's audience is ${match.a}, not the client ID: this is a shared Casdoor application ("<clientId>-org-<organization>"). ` +
        `The API server must be given that exact audience (apiserver-config --from-token prints it), and users of other organizations get other audiences.`,
    );
  } else if (match.k === 'resource') {
    warnings.push(`The token's audience is the resource ${match.a} (RFC 8707), not the client ID: the API server must be given that exact audience.`);
  }
  return {
    claims,
    header: { alg, ...(kid ? { kid } : {}) },
    audience: match.a,
    audienceKind: match.k,
    warnings,
  };
}
