/**
 * --resource (RFC 8707) pieces: the rule (oidc/resource.ts), the authorization request and the code
 * exchange (Casdoor object/token_oauth.go GetAuthorizationCodeToken compares the exchange's resource with
 * the authorization request's), and the cache key the exec args name.
 */
import { describe, expect, it } from '@jest/globals';
import { checkResource } from '../../src/oidc/resource.js';
import { buildAuthorizationRequest } from '../../src/oidc/browser-login.js';
import { authorizationCodeGrant } from '../../src/oidc/grants.js';
import type { HttpClient } from '../../src/oidc/http.js';
import type { ProviderMetadata } from '../../src/oidc/discovery.js';
import { tokenArgs } from '../../src/usecases/entries.js';
import { keyOf } from '../../src/usecases/token.js';
import { cacheKeyFromArgs, TOKEN_OPTIONS } from '../../src/token/fast.js';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { diagnoseUnauthorized, type DiagnosisInput } from '../../src/usecases/whoami.js';
import type { CliError } from '../../src/errors.js';
import { convertKubeloginArgs } from '../../src/usecases/from-kubelogin.js';

const META = {
  issuer: 'https://door.example.com',
  authorization_endpoint: 'https://door.example.com/login/oauth/authorize',
  token_endpoint: 'https://door.example.com/api/login/oauth/access_token',
  jwks_uri: 'https://door.example.com/.well-known/jwks',
} as ProviderMetadata;
const R = 'https://api.prod.example.com:6443';

function thrown(f: () => unknown): CliError {
  try {
    f();
  } catch (err) {
    return err as CliError;
  }
  throw new Error('nothing was thrown');
}

describe('checkResource', () => {
  it('passes an absolute URI with the browser grant, and nothing when not given', () => {
    expect(checkResource(R, 'browser', 'token')).toBe(R);
    expect(checkResource('urn:k8s:prod', 'browser', 'token')).toBe('urn:k8s:prod');
    expect(checkResource(undefined, 'password', 'token')).toBeUndefined();
  });

  it.each(['password', 'device', 'client-credentials'])('refuses --grant %s (a usage error saying why)', (grant) => {
    const err = thrown(() => checkResource(R, grant, 'setup'));
    expect(err.code).toBe('usage');
    expect(err.message).toContain('--resource needs --grant browser');
    expect(err.message).toContain('authorization-code flow');
  });

  it.each(['prod', '/k8s/prod', 'api.example.com:6443', 'https://x.example/#frag', ''])('refuses %j (not an absolute URI, or a fragment)', (value) => {
    expect(thrown(() => checkResource(value, 'browser', 'token')).code).toBe('usage');
  });
});

describe('the authorization request and the code exchange', () => {
  it('both carry the resource, and neither does without one', async () => {
    const forms: Array<Record<string, string>> = [];
    const http: HttpClient = {
      get: async () => ({ status: 500, text: '', headers: {} }) as never,
      postForm: async (_url, form) => {
        forms.push(form);
        return { status: 200, text: JSON.stringify({ id_token: 'a.b.c', access_token: 'a.b.c' }), headers: {} } as never;
      },
      close: async () => undefined,
    };
    const withR = buildAuthorizationRequest(META, { clientId: 'c1', resource: R }, 'http://127.0.0.1:1/callback');
    expect(new URL(withR.url).searchParams.get('resource')).toBe(R);
    await authorizationCodeGrant(http, META, { clientId: 'c1', resource: R }, { code: 'x', redirectUri: withR.redirectUri, verifier: withR.verifier });
    expect(forms[0]?.resource).toBe(R);

    const without = buildAuthorizationRequest(META, { clientId: 'c1' }, 'http://127.0.0.1:1/callback');
    expect(new URL(without.url).searchParams.has('resource')).toBe(false);
    await authorizationCodeGrant(http, META, { clientId: 'c1' }, { code: 'x', redirectUri: without.redirectUri, verifier: without.verifier });
    expect(forms[1]).not.toHaveProperty('resource');
  });
});

describe('the cache key', () => {
  it('the exec args carry --resource, and the hot path builds the same key as the slow one', () => {
    const spec = { issuer: 'https://door.example.com', clientId: 'c1', grant: 'browser', resource: R };
    const args = tokenArgs(spec);
    expect(args.slice(args.indexOf('--resource'), args.indexOf('--resource') + 2)).toEqual(['--resource', R]);
    const { values } = parseArgs({ args: args.slice(1), options: TOKEN_OPTIONS, strict: true, allowPositionals: false });
    const fast = cacheKeyFromArgs(values as never);
    expect(fast).toEqual(keyOf({ casdoorUrl: spec.issuer, clientId: 'c1', grant: 'browser', resource: R }));
    expect(fast?.resource).toBe(R);
    expect(cacheKeyFromArgs(parseArgs({ args: tokenArgs({ ...spec, resource: undefined } as never).slice(1), options: TOKEN_OPTIONS, strict: true }).values as never)).not.toEqual(fast);
  });
});

describe('from-kubelogin: --oidc-auth-request-extra-params resource=URI', () => {
  const base = ['--oidc-issuer-url=https://door.example.com', '--oidc-client-id=c1'];
  it('becomes --resource for a browser login', () => {
    const c = convertKubeloginArgs([...base, `--oidc-auth-request-extra-params=resource=${R}`], '/work');
    expect(c.spec.grant).toBe('browser');
    expect(c.spec.resource).toBe(R);
    expect(tokenArgs(c.spec)).toEqual(expect.arrayContaining(['--resource', R]));
  });
  it('other extra parameters, or a grant Casdoor gives no resource to, are refused', () => {
    expect(thrown(() => convertKubeloginArgs([...base, '--oidc-auth-request-extra-params=prompt=login'], '/work')).message).toContain('only resource=URI is carried over');
    expect(thrown(() => convertKubeloginArgs([...base, '--grant-type=password', '--username=alice', `--oidc-auth-request-extra-params=resource=${R}`], '/work')).message).toContain('--resource needs --grant browser');
  });
});

describe('whoami on a 401 for a --resource entry', () => {
  const NOW = new Date('2025-06-01T12:00:00Z');
  const nowS = NOW.getTime() / 1000;
  const key = new TextEncoder().encode('k'.repeat(32));
  const token = (claims: Record<string, unknown>): Promise<string> => new SignJWT({ name: 'alice', groups: ['o/g'], ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(key);
  const input = (t: string): DiagnosisInput => ({
    token: t,
    kind: 'exec',
    expected: { issuer: 'https://door.example.com', clientId: 'c1', resource: R, source: 'exec' },
    claims: { usernameClaim: 'name', groupsClaim: 'groups', usernamePrefix: '-' },
    now: NOW,
    context: 'ctx',
    hasRefreshToken: true,
  });

  it('the resource audience is no finding (the API server is then the suspect, with the --resource command); the client id instead of it is', async () => {
    const ok = diagnoseUnauthorized(input(await token({ iss: 'https://door.example.com', aud: [R], exp: nowS + 600 })));
    expect(ok.map((f) => f.code)).not.toContain('audience');
    expect(ok.find((f) => f.code === 'server-config')?.fix).toContain(`--client-id c1 --resource ${R}`);
    const dropped = diagnoseUnauthorized(input(await token({ iss: 'https://door.example.com', aud: ['c1'], exp: nowS + 600 })));
    expect(dropped.find((f) => f.code === 'audience')?.message).toContain(`is not this user's --resource ${R}`);
  });
});
