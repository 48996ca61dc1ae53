/**
 * --grant client-credentials, the pure parts: Casdoor's answer to the grant carries the token in
 * access_token only (object/token_oauth.go GetClientCredentialsToken keeps no id_token or refresh token).
 */
import { describe, expect, it } from '@jest/globals';
import { CliError } from '../../src/errors.js';
import { parseTokenResponse } from '../../src/oidc/grants.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJuYW1lIjoiY2ktZGVwbG95ZXIifQ.c2ln';
const answer = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({ access_token: JWT, id_token: '', refresh_token: '', token_type: 'Bearer', expires_in: 3600, scope: '', ...over });
const client = { clientId: 'cid', clientSecret: 's' };
const url = 'https://door.example.com/api/login/oauth/access_token';

describe('the client_credentials token response', () => {
  it('uses the access token (a JWT) as the token, and has no refresh token', () => {
    expect(parseTokenResponse(200, answer(), url, 'client_credentials', client)).toEqual({ idToken: JWT, accessToken: JWT, expiresIn: 3600 });
  });
  it('other grants still need an id_token; an opaque access token is no substitute', () => {
    expect(() => parseTokenResponse(200, answer(), url, 'password', client)).toThrow("Casdoor's token response has no id_token.");
    expect(() => parseTokenResponse(200, answer({ access_token: 'opaque' }), url, 'client_credentials', client)).toThrow(CliError);
  });
  it('a wrong secret is reported with what to check', () => {
    const err = (() => {
      try {
        parseTokenResponse(401, JSON.stringify({ error: 'invalid_client', error_description: 'client_secret is invalid' }), url, 'client_credentials', client);
      } catch (e) {
        return e as CliError;
      }
      throw new Error('no error');
    })();
    expect(err.message).toBe('Casdoor refused the request (invalid_client): "client_secret is invalid".');
    expect(err.hint).toBe("Check --client-secret / CASDOOR_CLIENT_SECRET (the application's Client Secret).");
  });
  it('a disabled grant names the grant type to enable', () => {
    const body = JSON.stringify({ error: 'unsupported_grant_type', error_description: 'grant_type: client_credentials is not supported in this application' });
    expect(() => parseTokenResponse(400, body, url, 'client_credentials', client)).toThrow(expect.objectContaining({ hint: 'Enable the "Client Credentials" grant type in the Casdoor application\'s settings (Grant types).' }) as never);
  });
});
