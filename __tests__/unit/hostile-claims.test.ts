/**
 * Absurd time claims (issue 10, point 8) in tokens signed by the right key: refused with exit 4 and a
 * precise message at verification, before anything is written or cached; and what prints a token's
 * times from a kubeconfig or the cache (whoami, the ExecCredential) never shows "Invalid Date", NaN or
 * throws.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from 'jose';
import { exitCodeFor } from '../../src/errors.js';
import { claimIso, MAX_CLAIM_SECONDS } from '../../src/oidc/claims-sanity.js';
import { verifyIdToken } from '../../src/oidc/verify.js';
import { execCredential } from '../../src/token/exec-credential.js';
import { diagnoseUnauthorized, summarizeToken } from '../../src/usecases/whoami.js';
import { rejected } from '../helpers/errors.js';

const ISSUER = 'https://door.example.com';
const CLIENT = '294b09fbc17f95daf2fe';
let jwks: JSONWebKeySet;
let key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
const now = (): number => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  key = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] };
});

const sign = (claims: Record<string, unknown>): Promise<string> =>
  new SignJWT({ iss: ISSUER, aud: [CLIENT], iat: now(), exp: now() + 600, name: 'alice', ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(key);

const NEVER = /Invalid Date|NaN|undefined|\[object|at .*\.ts:\d+/;

describe('8. absurd exp/iat/nbf', () => {
  it.each([
    ['exp beyond a Date', { exp: 1e300 }, 'its "exp" claim (1e+300) is not a time between 1970 and 9999-12-31.'],
    ['exp past year 9999', { exp: MAX_CLAIM_SECONDS + 1 }, `its "exp" claim (${MAX_CLAIM_SECONDS + 1}) is not a time between 1970 and 9999-12-31.`],
    ['exp 50 years ahead', { exp: now() + 50 * 366 * 86400 }, 'more than 10 years from now.'],
    ['iat a day ahead', { iat: now() + 86400 }, 'in the future (this machine\'s clock says'],
    ['iat before 1970', { iat: -5 }, 'its "iat" claim (-5) is not a time between 1970 and 9999-12-31.'],
    ['iat beyond a Date', { iat: 1e300 }, 'its "iat" claim (1e+300) is not a time between 1970 and 9999-12-31.'],
  ])('%s: exit 4 with a precise message', async (_label, claims, expected) => {
    const err = await rejected(verifyIdToken(await sign(claims), jwks, { issuer: ISSUER, clientId: CLIENT }), 'the token was accepted');
    expect(exitCodeFor(err.code)).toBe(4);
    expect(err.message).toContain(expected);
    expect(err.message.startsWith('The id_token failed verification: ')).toBe(true);
    expect(err.message + (err.hint ?? '')).not.toMatch(NEVER);
  });

  it.each([
    ['exp as a string', { exp: 'tomorrow' }],
    ['nbf as an object', { nbf: { $date: 1 } }],
    ['exp negative', { exp: -1e300 }],
  ])('%s: exit 4 (jose refuses the type or the expiry) without a broken date in the message', async (_label, claims) => {
    const err = await rejected(verifyIdToken(await sign(claims), jwks, { issuer: ISSUER, clientId: CLIENT }), 'the token was accepted');
    expect(exitCodeFor(err.code)).toBe(4);
    expect(err.message + (err.hint ?? '')).not.toMatch(NEVER);
  });

  it('a normal token still verifies', async () => {
    await expect(verifyIdToken(await sign({}), jwks, { issuer: ISSUER, clientId: CLIENT })).resolves.toMatchObject({ claims: { name: 'alice' } });
  });

  it('claimIso never returns "Invalid Date"', () => {
    for (const v of [1e300, -1, Number.NaN, Infinity, '1700000000', null, MAX_CLAIM_SECONDS + 1]) expect(claimIso(v)).toBeUndefined();
    expect(claimIso(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(claimIso(MAX_CLAIM_SECONDS)).toBe('9999-12-31T23:59:59.000Z');
  });

  it('whoami reads a kubeconfig token with absurd times without throwing or printing a broken date', () => {
    const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    for (const claims of [{ exp: 1e300, nbf: 1e300 }, { exp: -1e300 }, { exp: 8.64e15 + 1, nbf: -8.64e15 - 1 }]) {
      const token = `${b64({ alg: 'RS256' })}.${b64({ iss: ISSUER, aud: CLIENT, name: 'alice', ...claims })}.c2ln`;
      const summary = summarizeToken(token);
      expect(JSON.stringify(summary)).not.toMatch(NEVER);
      const findings = diagnoseUnauthorized({
        token,
        kind: 'oidc',
        expected: { issuer: ISSUER, clientId: CLIENT, source: 'auth-provider' },
        claims: { usernameClaim: 'name', groupsClaim: 'groups' },
        context: 'ctx',
        now: new Date(),
        hasRefreshToken: true,
      });
      expect(findings.length).toBeGreaterThan(0);
      expect(JSON.stringify(findings)).not.toMatch(/Invalid Date|NaN/);
    }
  });

  it('the ExecCredential leaves out an expiry no RFC 3339 time can hold instead of throwing', () => {
    for (const exp of [1e300, Number.NaN, -1]) {
      const out = JSON.parse(execCredential('client.authentication.k8s.io/v1', 'tok', exp)) as { status: Record<string, unknown> };
      expect(out.status).toEqual({ token: 'tok' });
    }
    expect(JSON.parse(execCredential('client.authentication.k8s.io/v1', 'tok', 1700000000)).status.expirationTimestamp).toBe('2023-11-14T22:13:20Z');
  });
});
