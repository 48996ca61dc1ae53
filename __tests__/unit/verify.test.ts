/**
 * id_token verification (src/oidc/verify.ts) with tokens made by jose itself: what must pass and
 * every way a token must be refused (alg none, HMAC, unknown key, issuer, audience, expiry, nbf).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JSONWebKeySet, type JWK } from 'jose';

type CryptoKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import type { CliError } from '../../src/errors.js';
import { CLOCK_LEEWAY_SECONDS, verifyIdToken } from '../../src/oidc/verify.js';
import { rejected } from '../helpers/errors.js';

const ISSUER = 'https://door.example.com';
const CLIENT = '294b09fbc17f95daf2fe';
let signingKey: CryptoKey;
let otherKey: CryptoKey;
let jwks: JSONWebKeySet;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  otherKey = other.privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'cert-built-in', alg: 'ES256', use: 'sig' };
  jwks = { keys: [jwk] };
});

const now = (): number => Math.floor(Date.now() / 1000);

function token(claims: Record<string, unknown> = {}, options: { key?: CryptoKey; kid?: string } = {}): Promise<string> {
  // Claims are set in the payload (the setters would override a test's deliberate mistakes).
  const payload = { iss: ISSUER, aud: [CLIENT], iat: now(), exp: now() + 600, name: 'alice', groups: ['k8s-org/admins'], ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'cert-built-in', typ: 'JWT' }).sign(options.key ?? signingKey);
}

const refusal = (jwt: string): Promise<CliError> => rejected(verifyIdToken(jwt, jwks, { issuer: ISSUER, clientId: CLIENT }), 'the token was accepted');

describe('verifyIdToken', () => {
  it("accepts Casdoor's array audience and returns the claims and header", async () => {
    const v = await verifyIdToken(await token(), jwks, { issuer: ISSUER, clientId: CLIENT });
    expect(v.claims.name).toBe('alice');
    expect(v.header).toEqual({ alg: 'ES256', kid: 'cert-built-in' });
  });

  it('accepts a string audience too', async () => {
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'cert-built-in' }).setIssuer(ISSUER).setAudience(CLIENT).setExpirationTime(now() + 60).sign(signingKey);
    await expect(verifyIdToken(jwt, jwks, { issuer: ISSUER, clientId: CLIENT })).resolves.toBeTruthy();
  });

  it('refuses alg none', async () => {
    const jwt = new UnsecuredJWT({ name: 'alice' }).setIssuer(ISSUER).setAudience([CLIENT]).setExpirationTime(now() + 60).encode();
    const err = await refusal(jwt);
    expect(err.code).toBe('verify');
    expect(err.message).toMatch(/failed verification/);
  });

  it('refuses an HMAC token (it would be signed with a shared secret, not Casdoor\'s key)', async () => {
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience([CLIENT]).setExpirationTime(now() + 60).sign(new TextEncoder().encode('x'.repeat(32)));
    expect((await refusal(jwt)).message).toMatch(/algorithm that is not allowed|not in Casdoor's JWKS/);
  });

  it('refuses a token signed by a key that is not in the JWKS', async () => {
    expect((await refusal(await token({}, { key: otherKey, kid: 'rogue' }))).message).toMatch(/not in Casdoor's JWKS/);
  });

  it('refuses a forged signature under a known kid', async () => {
    expect((await refusal(await token({}, { key: otherKey }))).message).toMatch(/signature does not match/);
  });

  it('refuses another issuer, naming the claim and the fix', async () => {
    const err = await refusal(await token({ iss: 'https://evil.example.com' }));
    expect(err.message).toMatch(/issuer \(iss\) is not https:\/\/door.example.com/);
    expect(err.hint).toMatch(/--oidc-issuer-url/);
  });

  it('refuses a token for another client', async () => {
    const err = await refusal(await token({ aud: ['other-client'] }));
    expect(err.message).toMatch(/audience \(aud\) does not contain the client ID/);
  });

  it(`refuses an expired token beyond the ${CLOCK_LEEWAY_SECONDS} s leeway, and accepts one within it`, async () => {
    expect((await refusal(await token({ exp: now() - CLOCK_LEEWAY_SECONDS - 5 }))).message).toMatch(/already expired/);
    await expect(verifyIdToken(await token({ exp: now() - 5 }), jwks, { issuer: ISSUER, clientId: CLIENT })).resolves.toBeTruthy();
  });

  it('refuses a token that is not valid yet (nbf)', async () => {
    expect((await refusal(await token({ nbf: now() + CLOCK_LEEWAY_SECONDS + 60 }))).message).toMatch(/not valid yet/);
  });

  it('refuses a token without exp (Kubernetes requires one)', async () => {
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'cert-built-in' }).setIssuer(ISSUER).setAudience([CLIENT]).sign(signingKey);
    expect((await refusal(jwt)).message).toMatch(/no "exp"/);
  });

  it('refuses garbage', async () => {
    expect((await refusal('not.a.jwt')).message).toMatch(/not a well-formed signed JWT/);
  });
});
