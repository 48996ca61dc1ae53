/**
 * The Casdoor emulator's redirect URI check as v3.158 object/application_util.go decides it
 * (IsRedirectUriValid → util/validation.go IsValidOrigin, redirectUriMatchesPattern, redirectUriMatchesTarget).
 */
import { describe, expect, it } from '@jest/globals';
import { makeApplication } from '../../src/demo/casdoor/model.js';
import { isRedirectUriValid } from '../../src/demo/casdoor/oauth.js';

const appWith = (redirectUris: string[]) => makeApplication({ name: 'a', organization: 'o', clientId: 'c', clientSecret: 's', cert: 'cert', redirectUris });

describe('isRedirectUriValid', () => {
  it('IsValidOrigin: localhost, 127.0.0.1 (http only), casdoor-authenticator, *.chromiumapp.org on any port and path', () => {
    const app = appWith([]);
    for (const uri of ['http://localhost:8000/cb', 'https://localhost/x', 'http://127.0.0.1:53123/callback', 'http://casdoor-authenticator/x', 'https://abc.chromiumapp.org/']) {
      expect(isRedirectUriValid(app, uri)).toBe(true);
    }
    expect(isRedirectUriValid(app, 'https://127.0.0.1/cb')).toBe(false);
  });

  it('a URL target: same scheme and port, the host or a subdomain, the same path (no prefix)', () => {
    const app = appWith(['https://app.example.com/cb']);
    expect(isRedirectUriValid(app, 'https://app.example.com/cb')).toBe(true);
    expect(isRedirectUriValid(app, 'https://eu.app.example.com/cb')).toBe(true);
    expect(isRedirectUriValid(app, 'https://app.example.com/cb/more')).toBe(false);
    expect(isRedirectUriValid(app, 'https://app.example.com:8443/cb')).toBe(false);
    expect(isRedirectUriValid(app, 'http://app.example.com/cb')).toBe(false);
    expect(isRedirectUriValid(app, 'https://evilapp.example.com.attacker.io/cb')).toBe(false);
    // Go's empty path is not "/".
    expect(isRedirectUriValid(appWith(['https://app.example.com']), 'https://app.example.com/')).toBe(false);
  });

  it('a host-only target: http or https, the host or a subdomain (".host": subdomains only), any path when it has none', () => {
    expect(isRedirectUriValid(appWith(['example.com']), 'http://example.com/anything')).toBe(true);
    expect(isRedirectUriValid(appWith(['example.com/cb']), 'https://a.example.com/cb')).toBe(true);
    expect(isRedirectUriValid(appWith(['example.com/cb']), 'https://example.com/other')).toBe(false);
    expect(isRedirectUriValid(appWith(['.example.com']), 'https://example.com/')).toBe(false);
    expect(isRedirectUriValid(appWith(['.example.com']), 'https://a.example.com/')).toBe(true);
  });

  it('else the target is an anchored regular expression', () => {
    const app = appWith(['(https|http)://[a-z]+\\.example\\.com/cb']);
    expect(isRedirectUriValid(app, 'https://x.example.com/cb')).toBe(true);
    expect(isRedirectUriValid(app, 'https://x.example.com/cb2')).toBe(false);
    expect(isRedirectUriValid(appWith(['(https://x/cb']), 'https://x/cb')).toBe(false); // not a regexp
    expect(isRedirectUriValid(appWith(['^x$']), 'https://x/')).toBe(false);
  });
});
