/**
 * Pure pieces of points 5, 6 and 8: the client secret found in and removed from entries, the refresh
 * expiry warning, and what Casdoor's end-session answers mean (controllers/account.go Logout).
 */
import { describe, expect, it } from '@jest/globals';
import { clientSecretAdvice, clientSecretLocation } from '../../src/usecases/client-secret.js';
import { oidcUserEntry, withoutClientSecret } from '../../src/usecases/entries.js';
import { parseEndSession } from '../../src/usecases/logout.js';
import { refreshExpiryWarning } from '../../src/usecases/prove-refresh.js';

describe('the client secret in entries', () => {
  it('setup never writes one (the spec has no place for it)', () => {
    const entry = oidcUserEntry('alice@door', { issuer: 'https://door', clientId: 'cid', idToken: 'id', refreshToken: 'rt' });
    expect(Object.keys(entry.user['auth-provider'] as object)).toEqual(['name', 'config']);
    expect(clientSecretLocation(entry as never)).toBeUndefined();
  });
  it('finds and removes it from an oidc entry, keeping every other key in place', () => {
    const entry = { name: 'alice', user: { 'auth-provider': { name: 'oidc', config: { 'client-id': 'cid', 'client-secret': 's3cret', 'id-token': 'id', 'x-extra': 'kept' } } } };
    expect(clientSecretLocation(entry)).toBe('users[alice].user.auth-provider.config.client-secret');
    expect(withoutClientSecret(entry)).toEqual({ name: 'alice', user: { 'auth-provider': { name: 'oidc', config: { 'client-id': 'cid', 'id-token': 'id', 'x-extra': 'kept' } } } });
  });
  it('finds and removes --client-secret from an exec entry, in both spellings', () => {
    const entry = { name: 'bob', user: { exec: { command: 'casdoor-kubeconfig', args: ['token', '--client-id', 'cid', '--client-secret', 's3cret', '--client-secret=again', '--username', 'bob'] } } };
    expect(clientSecretLocation(entry)).toBe('users[bob].user.exec.args --client-secret');
    expect(withoutClientSecret(entry)?.user.exec?.args).toEqual(['token', '--client-id', 'cid', '--username', 'bob']);
    expect(withoutClientSecret({ name: 'c', user: { token: 't' } })).toBeUndefined();
  });
  it('the advice says why and gives the command', () => {
    expect(clientSecretAdvice('users[alice].user.auth-provider.config.client-secret', '/k/config', 'ctx')).toBe(
      "users[alice].user.auth-provider.config.client-secret in /k/config holds the Casdoor application's client secret, which Casdoor accepts as an administrator of every API: anyone who can read this file can run Casdoor. Nothing needs it (kubectl renews the token without it). Remove it with: casdoor-kubeconfig refresh --context ctx --remove-client-secret",
    );
  });
});

describe('refresh expiry', () => {
  it('warns when the refresh token dies with the id_token ("Refresh token expire" 0), not otherwise', () => {
    expect(refreshExpiryWarning(1000, 1000)?.message).toMatch(/"Refresh token expire" in Casdoor is 0/);
    expect(refreshExpiryWarning(1000 + 3600, 1000)).toBeUndefined();
    expect(refreshExpiryWarning(undefined, 1000)).toBeUndefined();
  });
});

describe("Casdoor's end-session answers", () => {
  it('only {"status":"ok"} or a redirect is a sign-out; HTTP 200 {"status":"error"} is not', () => {
    expect(parseEndSession(200, '{"status":"ok","msg":"","data":null}')).toEqual({ ok: true });
    expect(parseEndSession(302, '')).toEqual({ ok: true });
    expect(parseEndSession(200, '{"status":"error","msg":"Token not found, invalid accessToken"}')).toEqual({ ok: false, why: '"Token not found, invalid accessToken"' });
    expect(parseEndSession(200, '{"status":"error","msg":"Missing parameter: post_logout_redirect_uri"}')).toEqual({ ok: false, why: '"Missing parameter: post_logout_redirect_uri"' });
    expect(parseEndSession(200, '<html>')).toEqual({ ok: false, why: 'HTTP 200 without Casdoor\'s {"status": …} answer' });
    expect(parseEndSession(502, 'Bad Gateway')).toEqual({ ok: false, why: 'HTTP 502' });
  });
});
