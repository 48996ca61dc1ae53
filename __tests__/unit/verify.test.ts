/**
 * id_token verification (src/oidc/verify.ts) with tokens made by jose itself: what must pass and
 * every way a token must be refused (alg none, HMAC, unknown key, issuer, audience, expiry, nbf).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JSONWebKeySet, type JWK } from 'jose';

type CryptoKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import type { CliError } from '../../src/errors.js';
import { NBF_LEEWAY_SECONDS, verifyIdToken } from '../../src/oidc/verify.js';
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

function token(claims: Record<string, unknown> = {}, options: { key?: CryptoKey; kid?: string | null; alg?: string } = {}): Promise<string> {
  // Claims are set in the payload (the setters would override a test's deliberate mistakes).
  const payload = { iss: ISSUER, aud: [CLIENT], iat: now(), exp: now() + 600, name: 'alice', groups: ['k8s-org/admins'], ...claims };
  const kid = options.kid === null ? {} : { kid: options.kid ?? 'cert-built-in' };
  return new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? 'ES256', ...kid, typ: 'JWT' }).sign(options.key ?? signingKey);
}

const refusal = (jwt: string): Promise<CliError> => rejected(verifyIdToken(jwt, jwks, { issuer: ISSUER, clientId: CLIENT }), 'the token was accepted');

describe('verifyIdToken', () => {
  it("accepts Casdoor's array audience and returns the claims and header", async () => {
    const v = await verifyIdToken(await token(), jwks, { issuer: ISSUER, clientId: CLIENT });
    expect(v.claims.name).toBe('alice');
    expect(v.header).toEqual({ alg: 'ES256', kid: 'cert-built-in' });
    expect(v.audienceKind).toBe('client');
    expect(v.warnings).toEqual([]);
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
    expect(err.message).toMatch(/audience \(aud\) \["other-client"\] does not contain the client ID/);
  });

  // go-oidc v2 verify.go IDTokenVerifier.Verify: `t.Expiry.Before(now)`, no leeway.
  it('refuses a token expired one second ago, and accepts one that expires this very second (no leeway on exp)', async () => {
    const at = new Date(now() * 1000);
    const atS = at.getTime() / 1000;
    const err = await rejected(verifyIdToken(await token({ exp: atS - 1 }), jwks, { issuer: ISSUER, clientId: CLIENT, now: at }), 'accepted');
    expect(err.message).toMatch(/already expired/);
    await expect(verifyIdToken(await token({ exp: atS }), jwks, { issuer: ISSUER, clientId: CLIENT, now: at })).resolves.toBeTruthy();
  });

  // go-oidc v2 verify.go: `nowTime.Add(1 * time.Minute).Before(nbfTime)`; iat is not checked.
  it(`allows ${NBF_LEEWAY_SECONDS} s on nbf, not one more, and ignores iat`, async () => {
    const at = new Date(now() * 1000);
    const atS = at.getTime() / 1000;
    const opts = { issuer: ISSUER, clientId: CLIENT, now: at };
    await expect(verifyIdToken(await token({ nbf: atS + NBF_LEEWAY_SECONDS, iat: atS + 3600 }), jwks, opts)).resolves.toBeTruthy();
    const err = await rejected(verifyIdToken(await token({ nbf: atS + NBF_LEEWAY_SECONDS + 1 }), jwks, opts), 'accepted');
    expect(err.message).toMatch(/not valid yet \(nbf is 61 s ahead/);
    expect(err.hint).toMatch(/Casdoor's clock is ahead/);
  });

  it('a token without kid is checked against every key (Casdoor refresh tokens carry none)', async () => {
    const other = await generateKeyPair('ES256');
    const withOther: JSONWebKeySet = { keys: [{ ...(await exportJWK(other.publicKey)), kid: 'k0', alg: 'ES256' }, ...jwks.keys] };
    const v = await verifyIdToken(await token({}, { kid: null }), withOther, { issuer: ISSUER, clientId: CLIENT });
    expect(v.header.kid).toBeUndefined();
  });

  it("a JWKS key whose alg differs from the token's is still used by kid (as go-oidc does), with a warning for the admin", async () => {
    const rsa = await generateKeyPair('RS512', { extractable: true });
    // Casdoor: the certificate says RS256 (JWKS), the application's signing method says RS512 (header).
    const keys: JSONWebKeySet = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'cert-rsa', alg: 'RS256', use: 'sig' }] };
    const v = await verifyIdToken(await token({}, { key: rsa.privateKey, kid: 'cert-rsa', alg: 'RS512' }), keys, { issuer: ISSUER, clientId: CLIENT });
    expect(v.header.alg).toBe('RS512');
    expect(v.warnings.join(' ')).toMatch(/signs with RS512, but its JWKS announces key cert-rsa as RS256/);
    expect(v.warnings.join(' ')).not.toMatch(/did not come from this Casdoor/);
  });

  it("accepts a shared application's audience <clientId>-org-<organization> exactly, and explains it", async () => {
    const v = await verifyIdToken(await token({ aud: [`${CLIENT}-org-k8s-org`] }), jwks, { issuer: ISSUER, clientId: CLIENT });
    expect(v.audience).toBe(`${CLIENT}-org-k8s-org`);
    expect(v.audienceKind).toBe('shared');
    expect(v.warnings.join(' ')).toMatch(/shared Casdoor application/);
    // Not any audience that merely starts with the client id.
    expect((await refusal(await token({ aud: [`${CLIENT}-other`] }))).message).toMatch(/does not contain the client ID/);
    expect((await refusal(await token({ aud: [`${CLIENT}-org-`] }))).message).toMatch(/does not contain the client ID/);
  });

  it('accepts the RFC 8707 resource that was requested as the audience, and only that one', async () => {
    const resource = 'https://k8s.example.com';
    const v = await verifyIdToken(await token({ aud: [resource] }), jwks, { issuer: ISSUER, clientId: CLIENT, resource });
    expect(v.audienceKind).toBe('resource');
    expect((await refusal(await token({ aud: [resource] }))).message).toMatch(/does not contain the client ID/);
  });

  it('with a resource asked for, refuses a token that carries the client ID instead (a Casdoor that dropped the resource)', async () => {
    const resource = 'https://k8s.example.com';
    const err = await rejected(verifyIdToken(await token({ aud: [CLIENT] }), jwks, { issuer: ISSUER, clientId: CLIENT, resource }), 'the token was accepted');
    expect(err.message).toMatch(/is not the resource https:\/\/k8s.example.com that was asked for/);
    expect(err.hint).toMatch(/v3\.156/);
  });

  it('refuses a token without exp (Kubernetes requires one)', async () => {
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'cert-built-in' }).setIssuer(ISSUER).setAudience([CLIENT]).sign(signingKey);
    expect((await refusal(jwt)).message).toMatch(/no "exp"/);
  });

  it('refuses garbage', async () => {
    expect((await refusal('not.a.jwt')).message).toMatch(/not a well-formed signed JWT/);
  });
});
