/**
 * kube-apiserver's token rules (src/oidc/kube-rules.ts) and the preflight that predicts with them, each
 * against the Kubernetes function it restates (oidc.go getUsername/getGroups/AuthenticateToken, go-oidc
 * v2 verify.go IDTokenVerifier.Verify).
 */
import { describe, expect, it } from '@jest/globals';
import {
  ACCESS_TOKEN_RULE,
  CUSTOM_REFRESH_RULE,
  EMAIL_VERIFIED_RULE,
  audienceKind,
  checkTokenTimes,
  emailVerdict,
  evaluateRule,
  isRefreshToken,
  parseGroupsClaim,
} from '../../src/oidc/kube-rules.js';
import { preflight } from '../../src/oidc/preflight.js';

const issuer = 'https://door.example.com';
const base = { iss: issuer, sub: 'u-1', name: 'alice', email: 'alice@example.com', exp: 2_000_000_000, tokenType: 'access-token' };
const emailSettings = { issuer, usernameClaim: 'email', groupsClaim: 'groups', usernamePrefix: '-' };

describe('email_verified as oidc.go getUsername reads it', () => {
  it('absent: accepted (JWT-Standard/JWT-Empty omit it when false), with a security warning for admins', () => {
    expect(emailVerdict(base)).toBe('absent');
    const r = preflight(base, emailSettings);
    expect(r.username).toBe('alice@example.com');
    const w = r.warnings.find((x) => x.code === 'email-unverified-accepted');
    expect(w).toMatchObject({ fatal: false });
    expect(w?.message).toMatch(/Security: .*unverified email becomes a Kubernetes username/);
    expect(r.warnings.some((x) => x.code === 'email-unverified')).toBe(false);
  });
  it('present and false, or null (json null unmarshals to false), or not a boolean: refused', () => {
    for (const v of [false, null, 'true']) {
      expect(emailVerdict({ ...base, email_verified: v })).toBe('refused');
      expect(preflight({ ...base, email_verified: v }, emailSettings).warnings.find((x) => x.code === 'email-unverified')?.fatal).toBe(true);
    }
  });
  it('true: accepted without warning', () => {
    const r = preflight({ ...base, email_verified: true }, emailSettings);
    expect(r.warnings.map((w) => w.code)).toEqual(['groups-missing']);
  });
  it('with the AuthenticationConfiguration rule, an absent email_verified is refused', () => {
    const r = preflight(base, { ...emailSettings, rules: [EMAIL_VERIFIED_RULE] });
    expect(r.warnings.find((x) => x.code === 'email-unverified-accepted')).toMatchObject({ fatal: true });
    expect(evaluateRule(EMAIL_VERIFIED_RULE, base)).toMatch(/validation expression 'has\(claims.email_verified\) && claims.email_verified == true' failed/);
    expect(evaluateRule(EMAIL_VERIFIED_RULE, { ...base, email_verified: true })).toBeUndefined();
  });
});

describe('groups as oidc.go getGroups (stringOrArray) reads them', () => {
  it('null is no groups, not an error; a string is one group; objects are an error', () => {
    expect(parseGroupsClaim(null)).toEqual([]);
    expect(parseGroupsClaim('k8s-org/admins')).toEqual(['k8s-org/admins']);
    expect(parseGroupsClaim([{ name: 'r' }])).toBeUndefined();
    const r = preflight({ ...base, groups: null }, { issuer, usernameClaim: 'name', groupsClaim: 'groups', usernamePrefix: '-' });
    expect(r.groups).toEqual([]);
    expect(r.warnings.filter((w) => w.fatal)).toEqual([]);
  });
});

describe('refresh tokens and required claims (oidc.go AuthenticateToken requiredClaims)', () => {
  const refresh = { ...base, tokenType: 'refresh-token' };
  const custom = { ...base, tokenType: 'access-token', TokenType: 'refresh-token' };
  it('recognizes both forms of Casdoor refresh token', () => {
    expect(isRefreshToken(refresh)).toBe(true);
    expect(isRefreshToken(custom)).toBe(true);
    expect(isRefreshToken(base)).toBe(false);
  });
  it('tokenType=access-token refuses the JWT/JWT-Standard/JWT-Empty refresh token but not the JWT-Custom one', () => {
    expect(evaluateRule(ACCESS_TOKEN_RULE, base)).toBeUndefined();
    expect(evaluateRule(ACCESS_TOKEN_RULE, refresh)).toMatch(/required claim tokenType value does not match/);
    expect(evaluateRule(ACCESS_TOKEN_RULE, custom)).toBeUndefined();
    expect(evaluateRule(CUSTOM_REFRESH_RULE, custom)).toMatch(/failed/);
    expect(evaluateRule(CUSTOM_REFRESH_RULE, base)).toBeUndefined();
    const { tokenType: _t, ...without } = base;
    expect(evaluateRule(ACCESS_TOKEN_RULE, without)).toMatch(/required claim tokenType not present/);
  });
  it('preflight: a refresh token without the rule is a security warning; with it, a refusal', () => {
    const s = { issuer, usernameClaim: 'name', groupsClaim: 'groups', usernamePrefix: '-' };
    expect(preflight(refresh, s).warnings.find((w) => w.code === 'refresh-token')).toMatchObject({ fatal: false });
    expect(preflight(refresh, { ...s, rules: [ACCESS_TOKEN_RULE] }).warnings.find((w) => w.code === 'refresh-token')).toMatchObject({ fatal: true });
    expect(preflight(custom, { ...s, rules: [ACCESS_TOKEN_RULE] }).warnings.find((w) => w.code === 'refresh-token')).toMatchObject({ fatal: false });
    expect(preflight(custom, { ...s, rules: [ACCESS_TOKEN_RULE, CUSTOM_REFRESH_RULE] }).warnings.find((w) => w.code === 'refresh-token')).toMatchObject({ fatal: true });
  });
});

describe('clock rules of go-oidc v2 verify.go IDTokenVerifier.Verify', () => {
  it('exp: no leeway; absent exp is expired', () => {
    expect(checkTokenTimes({ exp: 100 }, 100)).toEqual({ ok: true });
    expect(checkTokenTimes({ exp: 100 }, 100.5)).toMatchObject({ ok: false, code: 'expired' });
    expect(checkTokenTimes({}, 1)).toMatchObject({ ok: false, code: 'expired' });
  });
  it('nbf: 60 s leeway; iat ignored', () => {
    expect(checkTokenTimes({ exp: 1000, nbf: 160, iat: 900 }, 100)).toEqual({ ok: true });
    expect(checkTokenTimes({ exp: 1000, nbf: 161 }, 100)).toEqual({ ok: false, code: 'not-yet-valid', nbf: 161, aheadBy: 61 });
  });
});

describe("audiences (Casdoor token_jwt.go; go-oidc's exact contains)", () => {
  it('client id, shared application, requested resource; nothing else', () => {
    expect(audienceKind('c1', 'c1')).toBe('client');
    expect(audienceKind('c1-org-acme', 'c1')).toBe('shared');
    expect(audienceKind('https://k8s', 'c1', 'https://k8s')).toBe('resource');
    expect(audienceKind('https://k8s', 'c1')).toBeUndefined();
    expect(audienceKind('c1-org-', 'c1')).toBeUndefined();
    expect(audienceKind('c10', 'c1')).toBeUndefined();
  });
});
