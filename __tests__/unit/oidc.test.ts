import { describe, expect, it } from '@jest/globals';
import { CliError } from '../../src/errors.js';
import { extractOAuthError, loginError } from '../../src/oidc/casdoor-errors.js';
import { checkMetadata } from '../../src/oidc/discovery.js';
import { parseTokenResponse } from '../../src/oidc/grants.js';
import { describeIssuerMismatch, discoveryUrl, parseCasdoorUrl } from '../../src/oidc/issuer.js';
import { candidateClaims, mapUsername, preflight } from '../../src/oidc/preflight.js';

function caught(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
}

describe('parseCasdoorUrl', () => {
  it('accepts https origins as given', () => {
    expect(parseCasdoorUrl(' https://door.example.com ')).toBe('https://door.example.com');
  });
  it('rejects http with a usage error that says Kubernetes needs https', () => {
    const err = caught(() => parseCasdoorUrl('http://door.example.com'));
    expect(err.code).toBe('usage');
    expect(err.message).toMatch(/Kubernetes accepts only https/);
    expect(err.hint).toContain('https://door.example.com');
  });
  it('rejects non-URLs, queries and credentials', () => {
    expect(caught(() => parseCasdoorUrl('door.example.com')).code).toBe('usage');
    expect(caught(() => parseCasdoorUrl('https://door.example.com/?x=1')).message).toMatch(/query/);
    expect(caught(() => parseCasdoorUrl('https://u:p@door.example.com')).message).toMatch(/credentials/);
  });
});

describe('issuer mismatch', () => {
  it('builds the discovery URL without doubling slashes', () => {
    expect(discoveryUrl('https://a.example/')).toBe('https://a.example/.well-known/openid-configuration');
    expect(discoveryUrl('https://a.example')).toBe('https://a.example/.well-known/openid-configuration');
  });
  it('explains a trailing slash either way', () => {
    expect(describeIssuerMismatch('https://a.example/', 'https://a.example')).toMatch(/with a trailing slash, but Casdoor's issuer is https:\/\/a.example without one/);
    expect(describeIssuerMismatch('https://a.example', 'https://a.example/')).toMatch(/with a trailing slash/);
  });
  it('explains an http issuer behind an https URL', () => {
    expect(describeIssuerMismatch('https://a.example', 'http://a.example')).toMatch(/\(http\).*origin/);
  });
  it('explains a different host', () => {
    expect(describeIssuerMismatch('https://a.example', 'https://casdoor:8000')).toMatch(/different host/);
  });
  it('is silent when equal', () => {
    expect(describeIssuerMismatch('https://a.example', 'https://a.example')).toBeUndefined();
  });
});

describe('discovery document checks', () => {
  it('requires issuer, token_endpoint and jwks_uri', () => {
    expect(caught(() => checkMetadata({ issuer: 'https://a', jwks_uri: 'x' }, 'u')).message).toMatch(/token_endpoint/);
    expect(caught(() => checkMetadata([], 'u')).code).toBe('network');
  });
});

describe('Casdoor error shapes', () => {
  it('reads the OAuth shape', () => {
    expect(extractOAuthError(400, { error: 'invalid_grant', error_description: 'the user does not exist' })).toEqual({
      error: 'invalid_grant',
      description: 'the user does not exist',
      legacy: false,
    });
  });
  it("reads older Casdoor's HTTP-200 shape", () => {
    expect(extractOAuthError(200, { status: 'error', msg: 'grant_type: password is not supported in this application' })).toMatchObject({ legacy: true });
  });
  it('treats a bare 5xx as an error and a token answer as none', () => {
    expect(extractOAuthError(502, undefined)?.error).toBe('http_502');
    expect(extractOAuthError(200, { id_token: 'x' })).toBeUndefined();
  });
  it("quotes Casdoor's description and gives the fix", () => {
    const e = loginError({ error: 'invalid_client', description: 'client_id is invalid', legacy: false }, 'password', { clientId: 'Kubernetes', application: 'Kubernetes' });
    expect(e.code).toBe('login');
    expect(e.message).toContain('"client_id is invalid"');
    expect(e.hint).toMatch(/Client ID.*not its name.*application name "Kubernetes"/);
    const g = loginError({ error: 'casdoor_error', description: 'grant_type: password is not supported in this application', legacy: true }, 'password', { clientId: 'x' });
    expect(g.hint).toMatch(/Enable the "Password" grant type/);
  });
  it('maps a token response with an error to exit-3 errors and a good one to tokens', () => {
    expect(() => parseTokenResponse(401, '{"error":"invalid_client","error_description":"client_id is invalid"}', 'u', 'password', { clientId: 'c' })).toThrow(/client_id is invalid/);
    expect(() => parseTokenResponse(200, '<html>', 'u', 'password', { clientId: 'c' })).toThrow(/HTML/);
    expect(() => parseTokenResponse(200, '{"access_token":"a"}', 'u', 'password', { clientId: 'c' })).toThrow(/no id_token/);
    expect(parseTokenResponse(200, '{"id_token":"i1234","refresh_token":"r1234","expires_in":10}', 'u', 'password', { clientId: 'c' })).toEqual({
      idToken: 'i1234',
      refreshToken: 'r1234',
      expiresIn: 10,
    });
  });
});

describe('preflight', () => {
  const issuer = 'https://door.example.com';
  const casdoorClaims = {
    iss: issuer,
    sub: '3f1c-uuid',
    name: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    groups: ['k8s-org/admins'],
    roles: [{ name: 'r1', owner: 'k8s-org' }],
    exp: 2_000_000_000,
  };
  it('reports the username and groups the API server will see', () => {
    const r = preflight(casdoorClaims, { issuer, usernameClaim: 'name', groupsClaim: 'groups', usernamePrefix: '-' });
    expect(r.username).toBe('alice');
    expect(r.groups).toEqual(['k8s-org/admins']);
    expect(r.expiresAt?.getTime()).toBe(2_000_000_000_000);
    expect(r.warnings.map((w) => w.code)).toEqual(['groups-org-prefix']);
    expect(r.warnings[0]?.message).toContain('"k8s-org/admins"');
  });
  it("applies kube-apiserver's username prefix rules", () => {
    expect(mapUsername('alice', { issuer, usernameClaim: 'name' })).toBe(`${issuer}#alice`);
    expect(mapUsername('a@x', { issuer, usernameClaim: 'email' })).toBe('a@x');
    expect(mapUsername('alice', { issuer, usernameClaim: 'name', usernamePrefix: 'oidc:' })).toBe('oidc:alice');
  });
  it('warns about a missing username claim and suggests alternatives', () => {
    const r = preflight(casdoorClaims, { issuer, usernameClaim: 'preferred_username', groupsClaim: 'groups', usernamePrefix: '-' });
    expect(r.username).toBeUndefined();
    expect(r.warnings[0]).toMatchObject({ code: 'username-missing', fatal: true });
    expect(r.warnings[0]?.message).toMatch(/name, email/);
  });
  it('rejects email with email_verified false', () => {
    const r = preflight({ ...casdoorClaims, email_verified: false }, { issuer, usernameClaim: 'email', groupsClaim: 'groups' });
    expect(r.warnings.find((w) => w.code === 'email-unverified')?.fatal).toBe(true);
  });
  it('rejects roles (objects) as groups claim and non-string usernames', () => {
    const r = preflight(casdoorClaims, { issuer, usernameClaim: 'email_verified', groupsClaim: 'roles' });
    expect(r.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['groups-not-strings', 'username-not-string']));
  });
  it('flags an http issuer and sub as username', () => {
    const r = preflight(casdoorClaims, { issuer: 'http://x', usernameClaim: 'sub', groupsClaim: 'nope' });
    expect(r.warnings.map((w) => w.code)).toEqual(['issuer-not-https', 'username-sub', 'groups-missing']);
  });
  it('lists candidate claims for the wizard', () => {
    const c = candidateClaims(casdoorClaims);
    expect(c.username).toEqual(['sub', 'name', 'email']);
    expect(c.groups).toEqual(['groups']);
  });
});
