/** The pure parts of whoami: context resolution across KUBECONFIG files and the 401 diagnosis. */
import { describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { argValue, credentialKind, expectedTokenOf, resolveContext } from '../../src/cluster/target.js';
import { checkExecConfig, parseExecCredential } from '../../src/cluster/exec-plugin.js';
import type { KubeconfigDoc } from '../../src/kubeconfig/model.js';
import { mergedViewOf } from '../../src/kubeconfig/view.js';
import { diagnoseUnauthorized, type DiagnosisInput } from '../../src/usecases/whoami.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const nowS = NOW.getTime() / 1000;
const ISSUER = 'https://door.example.com';
const CLIENT = 'client-123';

function view(files: Array<[string, KubeconfigDoc]>) {
  return mergedViewOf({ source: 'env', files: files.map(([f]) => f) }, files.map(([file, doc]) => ({ file, doc })));
}

describe('resolveContext', () => {
  const a: KubeconfigDoc = {
    'current-context': 'ctx',
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'ns' } }],
    clusters: [{ name: 'c', cluster: { server: 'https://a', 'certificate-authority': 'ca.crt' } }],
  };
  const b: KubeconfigDoc = {
    'current-context': 'other',
    clusters: [{ name: 'c', cluster: { server: 'https://b' } }],
    users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './bin/plugin', args: [] }, 'client-key': 'k.pem' } }],
  };

  it('first file wins per name; relative paths are resolved against the file defining each entry', () => {
    const r = resolveContext(view([['/one/config', a], ['/two/config', b]]), undefined);
    expect(r).toMatchObject({ context: 'ctx', namespace: 'ns', clusterName: 'c', clusterFile: '/one/config', userFile: '/two/config' });
    expect(r.cluster).toEqual({ server: 'https://a', 'certificate-authority': '/one/ca.crt' });
    expect(r.user.exec?.command).toBe('/two/bin/plugin');
    expect(r.user['client-key']).toBe('/two/k.pem');
  });

  it('names what is missing', () => {
    expect(() => resolveContext(view([]), undefined)).toThrow(/no kubeconfig found/);
    expect(() => resolveContext(view([['/one/config', { ...a, 'current-context': '' }]]), undefined)).toThrow(/no current-context is set/);
    expect(() => resolveContext(view([['/one/config', a]]), 'nope')).toThrow('context "nope" is not defined in /one/config.');
    expect(() => resolveContext(view([['/one/config', a]]), 'ctx')).toThrow('context "ctx" refers to user "u", which is not defined in /one/config.');
    const noServer: KubeconfigDoc = { ...a, clusters: [{ name: 'c', cluster: {} }] };
    expect(() => resolveContext(view([['/one/config', noServer], ['/two/config', b]]), 'ctx')).toThrow('clusters[name=c].cluster.server is missing in /one/config.');
  });
});

describe('credentials', () => {
  it('kind in client-go precedence, expected issuer/client from the entry', () => {
    const oidc = { 'auth-provider': { name: 'oidc', config: { 'idp-issuer-url': ISSUER, 'client-id': CLIENT, 'id-token': 'x' } } };
    expect(credentialKind(oidc)).toBe('oidc');
    expect(expectedTokenOf(oidc)).toEqual({ issuer: ISSUER, clientId: CLIENT, source: 'auth-provider' });
    const exec = { exec: { command: 'casdoor-kubeconfig', args: ['token', `--casdoor-url=${ISSUER}`, '--client-id', CLIENT] } };
    expect(credentialKind(exec)).toBe('exec');
    expect(expectedTokenOf(exec)).toEqual({ issuer: ISSUER, clientId: CLIENT, source: 'exec' });
    expect(expectedTokenOf({ exec: { command: 'aws', args: ['eks', 'get-token'] } })).toBeUndefined();
    expect(credentialKind({ token: 't' })).toBe('token');
    expect(credentialKind({ 'client-certificate-data': 'x' })).toBe('client-certificate');
    expect(credentialKind({})).toBe('none');
    expect(argValue(['--a', '1', '--b=2'], '--b')).toBe('2');
  });

  it('exec checks: apiVersion, interactiveMode, the ExecCredential shape', () => {
    expect(() => checkExecConfig('u', { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'x' }, false)).toThrow('exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"');
    expect(() => checkExecConfig('u', { apiVersion: 'client.authentication.k8s.io/v1', command: 'x' }, false)).toThrow(/interactiveMode is required/);
    expect(() => checkExecConfig('u', { apiVersion: 'client.authentication.k8s.io/v1', command: 'x', interactiveMode: 'Always' }, false)).toThrow(/standard input is not a terminal/);
    expect(checkExecConfig('u', { apiVersion: 'client.authentication.k8s.io/v1', command: 'x', interactiveMode: 'IfAvailable' }, true)).toEqual({ interactive: true, stdin: 'inherit' });
    expect(checkExecConfig('u', { apiVersion: 'client.authentication.k8s.io/v1', command: 'x', interactiveMode: 'Never' }, true)).toEqual({ interactive: false, stdin: 'ignore' });
    const v1 = 'client.authentication.k8s.io/v1';
    expect(parseExecCredential('u', v1, JSON.stringify({ kind: 'ExecCredential', apiVersion: v1, status: { token: 'tok-abcdef' } }))).toEqual({ token: 'tok-abcdef' });
    expect(() => parseExecCredential('u', v1, JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', status: { token: 't' } }))).toThrow(
      'exec plugin is configured to use API version client.authentication.k8s.io/v1, plugin returned version client.authentication.k8s.io/v1beta1',
    );
    expect(() => parseExecCredential('u', v1, '')).toThrow(/it printed nothing/);
  });
});

describe('diagnoseUnauthorized', () => {
  const key = new TextEncoder().encode('k'.repeat(32));
  const token = (claims: Record<string, unknown>, alg = 'HS256'): Promise<string> =>
    new SignJWT({ name: 'alice', groups: ['k8s-org/admins'], ...claims }).setProtectedHeader({ alg }).sign(key);
  const base = (t: string, extra: Partial<DiagnosisInput> = {}): DiagnosisInput => ({
    token: t,
    kind: 'oidc',
    expected: { issuer: ISSUER, clientId: CLIENT, source: 'auth-provider' },
    claims: { usernameClaim: 'name', groupsClaim: 'groups', usernamePrefix: '-' },
    now: NOW,
    context: 'ctx',
    hasRefreshToken: true,
    ...extra,
  });
  const codes = (fs: Array<{ code: string }>): string[] => fs.map((f) => f.code);

  it('expired: says when, and that kubectl (not whoami) refreshes', async () => {
    const f = diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: [CLIENT], exp: nowS - 90 })));
    expect(codes(f)).toEqual(['expired', 'algorithm']);
    expect(f[0]?.message).toBe('The token expired at 2025-06-01T11:58:30.000Z (90 s ago by this machine\'s clock). kube-apiserver allows no leeway on "exp".');
    expect(f[0]?.fix).toMatch(/kubectl refreshes it by itself[\s\S]*never writes your kubeconfig/);
    const noRefresh = diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: CLIENT, exp: nowS - 90 }), { hasRefreshToken: false }));
    expect(noRefresh[0]?.fix).toMatch(/no refresh-token/);
  });

  it('issuer and audience against the entry; aud as a string or an array', async () => {
    const f = diagnoseUnauthorized(base(await token({ iss: 'http://door.example.com', aud: 'other', exp: nowS + 600 })));
    expect(codes(f)).toEqual(['issuer', 'audience', 'algorithm']);
    expect(codes(diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: CLIENT, exp: nowS + 600 }))))).not.toContain('audience');
    expect(f.find((x) => x.code === 'issuer')?.message).toContain('--oidc-issuer-url=https://door.example.com');
  });

  it('the username claim the API server maps is missing; email unverified', async () => {
    expect(codes(diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: [CLIENT], exp: nowS + 600, name: undefined }))))).toContain('username-claim');
    const email = diagnoseUnauthorized(
      base(await token({ iss: ISSUER, aud: [CLIENT], exp: nowS + 600, email: 'a@x', email_verified: false }), { claims: { usernameClaim: 'email', groupsClaim: 'groups' } }),
    );
    expect(codes(email)).toContain('email-unverified');
  });

  it('nothing wrong in the token: points at the API server configuration', async () => {
    const f = diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: [CLIENT], exp: nowS + 600 })));
    expect(codes(f)).toEqual(['algorithm', 'server-config']);
    expect(f.every((x) => !x.certain)).toBe(true);
    expect(f[1]?.fix).toContain(`apiserver-config --casdoor-url ${ISSUER} --client-id ${CLIENT} --format flags`);
  });

  it('no token, not a JWT, unknown expectations', async () => {
    expect(codes(diagnoseUnauthorized(base('', { kind: 'none', token: undefined })))).toEqual(['no-token']);
    expect(codes(diagnoseUnauthorized(base('not-a-jwt')))).toEqual(['not-a-jwt']);
    const f = diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: [CLIENT], exp: nowS + 600 }), { expected: undefined, kind: 'exec' }));
    expect(codes(f)).toEqual(['unverifiable', 'algorithm', 'server-config']);
  });

  // go-oidc v2 verify.go IDTokenVerifier.Verify: `t.Expiry.Before(now)`, `now.Add(1 * time.Minute).Before(nbf)`, no iat check.
  it('clock rules as go-oidc: exp = now is still valid, nbf 60 s ahead is fine, 61 s is a clock problem with the measured offset', async () => {
    expect(codes(diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: [CLIENT], exp: nowS }))))).not.toContain('expired');
    expect(codes(diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: [CLIENT], exp: nowS + 600, nbf: nowS + 60, iat: nowS + 900 }))))).not.toContain('not-yet-valid');
    // The API server's Date header is the clock that counts.
    const serverNow = new Date(NOW.getTime() + 5_000);
    const f = diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: [CLIENT], exp: nowS + 600, nbf: nowS + 125 }), { serverNow }));
    const nbf = f.find((x) => x.code === 'not-yet-valid');
    expect(nbf?.certain).toBe(true);
    expect(nbf?.message).toMatch(/Casdoor issued it 120 s ahead of the API server's clock \(its Date header said 2025-06-01T12:00:05.000Z\).*clock problem: Casdoor's clock is about 120 s ahead/);
    expect(nbf?.fix).toMatch(/NTP/);
  });

  it('email without email_verified is not a reason for a 401 (kube-apiserver accepts it)', async () => {
    const f = diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: [CLIENT], exp: nowS + 600, email: 'a@x' }), { claims: { usernameClaim: 'email', groupsClaim: 'groups' } }));
    expect(codes(f)).not.toContain('email-unverified');
    expect(codes(f)).toContain('server-config');
  });

  it('a Casdoor refresh token presented as the credential is named (both the JWT and the JWT-Custom form)', async () => {
    for (const claims of [{ tokenType: 'refresh-token' }, { tokenType: 'access-token', TokenType: 'refresh-token' }]) {
      const f = diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: [CLIENT], exp: nowS + 600, ...claims })));
      expect(f[0]).toMatchObject({ code: 'refresh-token', certain: true });
    }
  });

  it("a shared application's audience is explained, not called another application's", async () => {
    const f = diagnoseUnauthorized(base(await token({ iss: ISSUER, aud: [`${CLIENT}-org-k8s-org`], exp: nowS + 600 })));
    const aud = f.find((x) => x.code === 'audience');
    expect(aud).toMatchObject({ certain: false });
    expect(aud?.fix).toContain(`--oidc-client-id=${CLIENT}-org-k8s-org`);
  });
});
