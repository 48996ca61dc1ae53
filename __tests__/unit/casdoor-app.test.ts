/** The pure parts of doctor and casdoor-app apply: the checklist lines and the application plan. */
import { describe, expect, it } from '@jest/globals';
import { blocking, deviceLoginCheck, maskedAppChecks, passwordGrantCheck, refreshGrantCheck, renderChecks, tokenChecks, tokenFormatOf } from '../../src/casdoor/checks.js';
import { DEFAULT_EXPIRE_HOURS, DEFAULT_REFRESH_EXPIRE_HOURS, newApplication, planUpdate, renderPlan, verifyStored } from '../../src/casdoor/k8s-app.js';
import { GRANT, isMasked, type CasdoorApplication } from '../../src/casdoor/model.js';

const NOW = 1_750_000_000;
const mapping = { usernameClaim: 'name', groupsClaim: 'groups', usernamePrefix: '-' };
const jwtClaims = { iss: 'https://door', aud: ['c'], owner: 'acme', name: 'alice', displayName: 'Alice', isAdmin: false, groups: ['acme/dev'], iat: NOW, exp: NOW + 3600 };

describe('doctor checks', () => {
  it('refresh probe: unsupported_grant_type blocks, invalid_grant passes', () => {
    const off = refreshGrantCheck('k8s', { error: 'unsupported_grant_type', description: 'grant_type: refresh_token is not supported in this application', legacy: false });
    expect(off).toMatchObject({ status: 'fail', blocks: true });
    expect(off.setting).toContain('Grant types: add "Refresh Token"');
    expect(refreshGrantCheck('k8s', { error: 'invalid_grant', description: 'refresh token is invalid or revoked', legacy: false }).status).toBe('pass');
  });

  it('password probe: a disabled password grant is a warning (browser and device still work), a bad scope blocks', () => {
    expect(passwordGrantCheck('k8s', { error: 'unsupported_grant_type', description: 'x', legacy: false })).toMatchObject({ status: 'warn' });
    expect(passwordGrantCheck('k8s', { error: 'invalid_scope', description: 'x', legacy: false })).toMatchObject({ status: 'fail', blocks: true });
    expect(passwordGrantCheck('k8s', { error: 'invalid_grant', description: 'the user does not exist', legacy: false }).status).toBe('pass');
  });

  it('device-auth: unauthorized_client names the "Device login" sign-in method', () => {
    const c = deviceLoginCheck('k8s', { ok: false, error: 'unauthorized_client', description: 'device login is not enabled for this application' });
    expect(c.status).toBe('warn');
    expect(c.setting).toContain('Signin methods: add "Device login"');
  });

  it('masked application: shared, Scopes and a missing Password sign-in method are named', () => {
    const app: CasdoorApplication = { owner: 'admin', name: 'k8s', organization: 'acme', isShared: true, scopes: [{ name: 'read' }], signinMethods: [{ name: 'Face ID', displayName: 'Face ID', rule: 'None' }] };
    const checks = maskedAppChecks(app, 'cid');
    expect(checks.map((c) => [c.id, c.status])).toEqual([['password-signin', 'warn'], ['shared', 'warn'], ['scopes', 'warn']]);
    expect(checks[1]?.detail).toContain('cid-org-');
  });

  it('token: JWT format passes; refresh expiry 0 blocks; JWT-Standard is recognised', () => {
    const ok = tokenChecks('k8s', { claims: jwtClaims, alg: 'RS256', refreshClaims: { ...jwtClaims, exp: NOW + 7 * 86400 }, hasRefreshToken: true, nowSeconds: NOW + 5, issuer: 'https://door' }, mapping);
    expect(blocking(ok)).toEqual([]);
    const dead = tokenChecks('k8s', { claims: jwtClaims, alg: 'RS256', refreshClaims: { ...jwtClaims }, hasRefreshToken: true, nowSeconds: NOW, issuer: 'https://door' }, mapping);
    expect(blocking(dead).map((c) => c.id)).toEqual(['refresh-expiry']);
    expect(renderChecks(dead)).toMatch(/Refresh token expire \(hours\)/);
    expect(tokenFormatOf({ preferred_username: 'alice', name: 'Alice' })).toBe('JWT-Standard');
    expect(tokenFormatOf(jwtClaims)).toBe('JWT');
  });
});

describe('casdoor-app plan', () => {
  const spec = { name: 'kubernetes', organization: 'acme', device: true };

  it('a new application is complete: no Casdoor API default survives', () => {
    const app = newApplication(spec);
    expect(app.grantTypes).toEqual([GRANT.code, GRANT.password, GRANT.refresh, GRANT.device]);
    expect(app.signinMethods?.map((m) => m.name)).toEqual(['Password', 'Device login']);
    expect(app).toMatchObject({ tokenFormat: 'JWT', expireInHours: DEFAULT_EXPIRE_HOURS, refreshExpireInHours: DEFAULT_REFRESH_EXPIRE_HOURS, isShared: false, scopes: [] });
    expect(app.clientSecret).toBeUndefined();
  });

  it('an update changes only what Kubernetes needs and keeps every other field', () => {
    const current: CasdoorApplication = {
      owner: 'admin', name: 'kubernetes', organization: 'acme', clientId: 'cid', clientSecret: 's3cr3t-value', cert: 'my-cert', homepageUrl: 'https://x',
      grantTypes: ['authorization_code', 'client_credentials'], signinMethods: [{ name: 'Password', displayName: 'Password', rule: 'All' }],
      tokenFormat: 'JWT', expireInHours: 2, refreshExpireInHours: 0, isShared: false, scopes: [], customField: { a: 1 },
    };
    const plan = planUpdate(current, { ...spec, device: false });
    expect(plan.changes.map((c) => c.field)).toEqual(['grantTypes', 'refreshExpireInHours']);
    expect(plan.next).toMatchObject({ clientSecret: 's3cr3t-value', cert: 'my-cert', customField: { a: 1 }, expireInHours: 2, refreshExpireInHours: 168 });
    expect(plan.next.grantTypes).toEqual(['authorization_code', 'client_credentials', 'password', 'refresh_token']);
    expect(renderPlan(plan, { before: 'a', after: 'b' })).not.toContain('s3cr3t');
    expect(planUpdate(plan.next, { ...spec, device: false }).changes).toEqual([]);
    expect(verifyStored(plan.next, { ...spec, device: false })).toEqual([]);
  });

  it('recognises a masked read (never written back)', () => {
    expect(isMasked({ owner: 'admin', name: 'k', organization: 'o', tokenFormat: '***', expireInHours: -1 })).toBe(true);
    expect(isMasked(newApplication(spec))).toBe(false);
  });
});
