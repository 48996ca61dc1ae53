/**
 * Token format detection on claims shaped exactly like Casdoor's structs (object/token_jwt.go
 * UserWithoutThirdIdp / UserShort / UserStandard, object/token_standard_jwt.go ClaimsStandard,
 * getClaimsCustom), including the keys Go always writes (no omitempty) and the ones it omits.
 */
import { describe, expect, it } from '@jest/globals';
import { analyzeTokenFormat, detectTokenFormat } from '../../src/oidc/token-format.js';

const registered = { iss: 'https://door.example.com', sub: '6f1c1a52-2f5e-4b55-9b6a-0c0c3d0d1e01', aud: ['cid'], exp: 2000000000, nbf: 1700000000, iat: 1700000000, jti: 'admin/abc' };

// JWT (getClaimsWithoutThirdIdp): the whole user; groups always an array, email_verified always present.
const jwt = {
  ...registered, owner: 'k8s-org', name: 'alice', createdTime: '2024-01-01T00:00:00Z', updatedTime: '', deletedTime: '', id: registered.sub, type: 'normal-user',
  displayName: 'Alice A.', firstName: '', lastName: '', avatar: '', email: 'alice@example.com', email_verified: false, phone: '', address: [], tag: '', isAdmin: false,
  isForbidden: false, properties: {}, roles: [], permissions: [], groups: ['k8s-org/admins'], tokenType: 'access-token', scope: 'openid', azp: 'cid',
};
// JWT-Empty (getShortClaims): UserShort only; email_verified omitted when false.
const empty = { ...registered, owner: 'k8s-org', name: 'alice', id: registered.sub, displayName: 'Alice A.', avatar: '', email: 'alice@example.com', phone: '', tokenType: 'access-token', azp: 'cid' };
// JWT-Standard, newer layout (UserStandard): preferred_username = username, name = display name; OIDC address object.
const standard = {
  ...registered, owner: 'k8s-org', preferred_username: 'alice', id: registered.sub, name: 'Alice A.', email: 'alice@example.com',
  tokenType: 'access-token', scope: 'openid profile', azp: 'cid', address: { formatted: '', street_address: '', locality: '', region: '', postal_code: '', country: '' }, gender: '',
};
// JWT-Standard, older layout (ClaimsStandard embedding UserShort): username in name, plus the address object.
const standardOld = { ...empty, address: { formatted: '', street_address: '', locality: '', region: '', postal_code: '', country: '' } };
// JWT-Custom (getClaimsCustom) with Token fields [Name, Email]: nonce and scope always, even empty.
const custom = { ...registered, tokenType: 'access-token', azp: 'cid', nonce: '', scope: '', name: 'alice', email: 'alice@example.com' };

describe('detectTokenFormat', () => {
  it('recognizes each of Casdoor\'s formats', () => {
    expect(detectTokenFormat(jwt).format).toBe('JWT');
    expect(detectTokenFormat(empty).format).toBe('JWT-Empty');
    expect(detectTokenFormat(standard)).toMatchObject({ format: 'JWT-Standard', preferredUsername: true });
    expect(detectTokenFormat(standardOld)).toMatchObject({ format: 'JWT-Standard', preferredUsername: false });
    expect(detectTokenFormat(custom).format).toBe('JWT-Custom');
  });
  it('a JWT-Custom token that happens to include owner/name/groups is still not taken for JWT', () => {
    expect(detectTokenFormat({ ...custom, owner: 'k8s-org', groups: ['k8s-org/admins'] }).format).toBe('JWT-Custom');
  });
});

describe('analyzeTokenFormat', () => {
  it('JWT: username claim name, groups present, nothing to say', () => {
    const r = analyzeTokenFormat(jwt, { groupsClaim: 'groups' });
    expect(r).toMatchObject({ format: 'JWT', usernameClaim: 'name', groupsPresent: true, notes: [] });
  });
  it('JWT-Standard: the username claim follows (preferred_username), says why, and says groups will not work', () => {
    const r = analyzeTokenFormat(standard, { groupsClaim: 'groups' });
    expect(r.usernameClaim).toBe('preferred_username');
    expect(r.usernameClaimReason).toMatch(/display name in "name"/);
    expect(r.notes.map((n) => n.code)).toEqual(['username-claim-chosen', 'groups-not-in-format']);
    expect(r.notes[1]?.message).toMatch(/RBAC bindings on groups will not match anyone: set the application's "Token format" to JWT/);
  });
  it('JWT-Standard with --username-claim name given: kept, but warned that it is the display name', () => {
    const r = analyzeTokenFormat(standard, { usernameClaim: 'name', groupsClaim: 'groups' });
    expect(r.usernameClaim).toBe('name');
    expect(r.notes.map((n) => n.code)).toContain('name-is-display-name');
  });
  it('older JWT-Standard keeps name as the username', () => {
    expect(analyzeTokenFormat(standardOld, { groupsClaim: 'groups' }).usernameClaim).toBe('name');
  });
  it('JWT-Empty: name, and no groups', () => {
    const r = analyzeTokenFormat(empty, { groupsClaim: 'groups' });
    expect(r.usernameClaim).toBe('name');
    expect(r.notes.map((n) => n.code)).toEqual(['groups-not-in-format']);
  });
  it('JWT-Custom: names the missing claims and the Token fields entry to add', () => {
    const r = analyzeTokenFormat(custom, { usernameClaim: 'preferred_username', groupsClaim: 'groups' });
    expect(r.notes.map((n) => n.code)).toEqual(['custom-claim-missing', 'custom-groups-missing']);
    expect(r.notes[0]?.message).toMatch(/no "preferred_username" claim, so the API server will reject them: add a "Token attributes" entry named "preferred_username" in Casdoor, or use one of the claims it has: name, email\./);
    expect(r.notes[1]?.message).toMatch(/add Groups to the application's "Token fields"/);
    const ok = analyzeTokenFormat({ ...custom, groups: ['k8s-org/admins'] }, { groupsClaim: 'groups' });
    expect(ok.notes).toEqual([]);
    expect(ok.usernameClaim).toBe('name');
  });
});
