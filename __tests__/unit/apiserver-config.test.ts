import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import yaml from 'js-yaml';

import { registerApiserverConfig } from '../../src/cli/apiserver-config.js';
import type { Io } from '../../src/ports/io.js';
import { Output } from '../../src/ports/output.js';
import type { HttpClient, HttpResponse } from '../../src/oidc/http.js';
import {
  apiserverConfigJson,
  apiserverFlags,
  authenticationConfigApiVersion,
  buildAuthenticationConfig,
  effectiveUsernamePrefix,
  parseKubernetesVersion,
  parseSigningAlgs,
  renderApiserverConfig,
  renderFlags,
  renderMinikube,
  runApiserverConfig,
  safeAsYamlListItem,
  shellQuote,
  type ApiserverSettings,
  type AuthenticationConfiguration,
} from '../../src/usecases/apiserver-config.js';
import { renderText, splitHeader } from '../../src/templates.js';
import { caught, rejected } from '../helpers/errors.js';

const ISSUER = 'https://door.example.com';
const CLIENT_ID = '294b09fbc17f95daf2fe';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfakefakefakefakefakefakefakefakefake\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n-----END CERTIFICATE-----\n';

function settings(over: Partial<ApiserverSettings> = {}): ApiserverSettings {
  return {
    issuer: ISSUER,
    clientId: CLIENT_ID,
    usernameClaim: 'name',
    usernamePrefix: '-',
    groupsClaim: 'groups',
    signingAlgs: ['RS256'],
    kubernetesVersion: parseKubernetesVersion('1.32'),
    ...over,
  };
}

/** Lines that are not comments or blank. */
const codeLines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));

/** Fields kube-apiserver validates in an AuthenticationConfiguration (apis/apiserver/validation), for our one-issuer shape. */
function expectValidAuthenticationConfig(doc: unknown, expected: { issuer: string; clientId: string; apiVersion: string; pem?: string }): void {
  const d = doc as AuthenticationConfiguration;
  expect(d.apiVersion).toBe(expected.apiVersion);
  expect(d.kind).toBe('AuthenticationConfiguration');
  expect(Array.isArray(d.jwt)).toBe(true);
  expect(d.jwt).toHaveLength(1);
  const jwt = d.jwt[0] as AuthenticationConfiguration['jwt'][number];
  const url = new URL(jwt.issuer.url);
  expect(url.protocol).toBe('https:');
  expect(url.search).toBe('');
  expect(url.hash).toBe('');
  expect(url.username).toBe('');
  expect(jwt.issuer.url).toBe(expected.issuer);
  expect(jwt.issuer.audiences).toEqual([expected.clientId]);
  if (expected.pem !== undefined) expect(jwt.issuer.certificateAuthority).toBe(expected.pem);
  else expect(jwt.issuer).not.toHaveProperty('certificateAuthority');
  for (const key of ['username', 'groups'] as const) {
    const m = jwt.claimMappings[key];
    expect(typeof m.claim).toBe('string');
    expect(m.claim).not.toBe('');
    // "prefix is required when claim is set"
    expect(typeof m.prefix).toBe('string');
    expect(m).not.toHaveProperty('expression');
  }
}

describe('templates', () => {
  it('drops a line whose placeholder is undefined and refuses unknown placeholders', () => {
    expect(renderText('a={{a}}\nb={{b}}\nc', { a: '1', b: undefined })).toBe('a=1\nc');
    expect(() => renderText('{{nope}}', {})).toThrow(/nope/);
  });
  it('splits a YAML template header at the first blank line', () => {
    expect(splitHeader('# one\n# two\n\n# note\nkind: X\n')).toEqual({ header: '# one\n# two', body: '# note\nkind: X\n' });
    expect(splitHeader('kind: X\n')).toEqual({ header: '', body: 'kind: X\n' });
  });
});

describe('kubernetes version and signing algorithms', () => {
  it('parses the usual spellings', () => {
    expect(parseKubernetesVersion('1.32')).toMatchObject({ major: 1, minor: 32 });
    expect(parseKubernetesVersion('v1.34.1')).toMatchObject({ minor: 34 });
    expect(parseKubernetesVersion('v1.33.0-rc.1')).toMatchObject({ minor: 33 });
    expect(caught(() => parseKubernetesVersion('2.0')).code).toBe('usage');
    expect(caught(() => parseKubernetesVersion('latest')).message).toMatch(/not a Kubernetes version/);
  });
  it('picks v1beta1 for 1.30–1.33, v1 from 1.34, and refuses older clusters suggesting --format flags', () => {
    const v = (raw: string) => authenticationConfigApiVersion(parseKubernetesVersion(raw));
    expect(v('1.30')).toBe('apiserver.config.k8s.io/v1beta1');
    expect(v('1.33')).toBe('apiserver.config.k8s.io/v1beta1');
    expect(v('1.34')).toBe('apiserver.config.k8s.io/v1');
    expect(v('1.36')).toBe('apiserver.config.k8s.io/v1');
    const err = caught(() => v('1.29'));
    expect(err.code).toBe('usage');
    expect(err.message).toMatch(/1\.30 or later/);
    expect(err.hint).toMatch(/--format flags/);
  });
  it('accepts only algorithms kube-apiserver knows', () => {
    expect(parseSigningAlgs('RS256, ES256,RS256')).toEqual(['RS256', 'ES256']);
    expect(caught(() => parseSigningAlgs('HS256')).message).toMatch(/HS256 is not accepted/);
    expect(caught(() => parseSigningAlgs(' , ')).code).toBe('usage');
  });
});

describe('AuthenticationConfiguration', () => {
  it('parses and has every field the API server validates, with the CA inlined as PEM text', () => {
    const s = settings({ casdoorCa: { file: '/tmp/ca.pem', pem: PEM } });
    const { text, object } = buildAuthenticationConfig(s);
    const doc = yaml.load(text);
    expect(doc).toEqual(object);
    expectValidAuthenticationConfig(doc, { issuer: ISSUER, clientId: CLIENT_ID, apiVersion: 'apiserver.config.k8s.io/v1beta1', pem: PEM });
    expect(object.jwt[0]?.claimMappings).toEqual({ username: { claim: 'name', prefix: '' }, groups: { claim: 'groups', prefix: '' } });
    // The PEM is a literal block, readable as the certificate file it came from.
    expect(text).toMatch(/certificateAuthority: \|\n\s+-----BEGIN CERTIFICATE-----\n/);
    // Header comments explain where it goes; the template's own notes are not printed.
    expect(text).toMatch(/^# .*AuthenticationConfiguration/);
    expect(text).toContain('--authentication-config=');
    expect(text).not.toContain('Template notes');
    expect(text).not.toContain('{{');
  });

  it('uses v1 for 1.34 and leaves certificateAuthority out without --casdoor-ca', () => {
    const { text } = buildAuthenticationConfig(settings({ kubernetesVersion: parseKubernetesVersion('1.34') }));
    expectValidAuthenticationConfig(yaml.load(text), { issuer: ISSUER, clientId: CLIENT_ID, apiVersion: 'apiserver.config.k8s.io/v1' });
  });

  it('spells out prefixes: custom ones as given, the unset username prefix as "<issuer>#" (but none for email)', () => {
    const custom = buildAuthenticationConfig(settings({ usernamePrefix: 'oidc:', groupsPrefix: 'oidc:' })).object;
    expect(custom.jwt[0]?.claimMappings).toEqual({ username: { claim: 'name', prefix: 'oidc:' }, groups: { claim: 'groups', prefix: 'oidc:' } });
    const unset = buildAuthenticationConfig(settings({ usernamePrefix: undefined })).object;
    expect(unset.jwt[0]?.claimMappings.username).toEqual({ claim: 'name', prefix: `${ISSUER}#` });
    const email = settings({ usernamePrefix: undefined, usernameClaim: 'email' });
    expect(effectiveUsernamePrefix(email)).toBe('');
    expect(buildAuthenticationConfig(email).object.jwt[0]?.claimMappings.username).toEqual({ claim: 'email', prefix: '' });
  });

  it('keeps awkward values as strings (YAML 1.1 readers such as kubectl and kube-apiserver included)', () => {
    const { text } = buildAuthenticationConfig(settings({ clientId: 'yes', usernamePrefix: 'on:', groupsPrefix: '#' }));
    const doc = yaml.load(text) as AuthenticationConfiguration;
    expect(doc.jwt[0]?.issuer.audiences).toEqual(['yes']);
    expect(text).toMatch(/- 'yes'/);
    expect(doc.jwt[0]?.claimMappings.username.prefix).toBe('on:');
    expect(doc.jwt[0]?.claimMappings.groups.prefix).toBe('#');
  });

  it('refuses Kubernetes 1.29 with a usage error', () => {
    const err = caught(() => buildAuthenticationConfig(settings({ kubernetesVersion: parseKubernetesVersion('1.29') })));
    expect(err.code).toBe('usage');
    expect(err.hint).toMatch(/--format flags/);
  });
});

describe('kube-apiserver flags', () => {
  it('has the issuer and client id of the settings, one --flag=value per line', () => {
    const s = settings({ groupsPrefix: 'casdoor:', casdoorCa: { file: '/tmp/ca.pem', pem: PEM }, signingAlgs: ['RS256', 'ES256'] });
    expect(apiserverFlags(s)).toEqual([
      `--oidc-issuer-url=${ISSUER}`,
      `--oidc-client-id=${CLIENT_ID}`,
      '--oidc-username-claim=name',
      '--oidc-username-prefix=-',
      '--oidc-groups-claim=groups',
      '--oidc-groups-prefix=casdoor:',
      '--oidc-signing-algs=RS256,ES256',
      '--oidc-required-claim=tokenType=access-token',
      '--oidc-ca-file=/etc/kubernetes/pki/casdoor-ca.crt',
    ]);
    const text = renderFlags(s);
    expect(codeLines(text)).toEqual(apiserverFlags(s));
    expect(text).toMatch(/# Copy the Casdoor CA \(\/tmp\/ca.pem\) to \/etc\/kubernetes\/pki\/casdoor-ca.crt/);
    expect(text).not.toContain('{{');
  });

  it('omits an empty groups prefix, the unset username prefix and the CA file', () => {
    const flags = apiserverFlags(settings({ usernamePrefix: undefined }));
    expect(flags.some((f) => f.startsWith('--oidc-groups-prefix'))).toBe(false);
    expect(flags.some((f) => f.startsWith('--oidc-username-prefix'))).toBe(false);
    expect(flags.some((f) => f.startsWith('--oidc-ca-file'))).toBe(false);
    expect(renderFlags(settings())).toMatch(/private CA re-run with --casdoor-ca/);
  });

  it('stays the same strings when pasted as items of the static pod command list, or says how to quote', () => {
    const plain = settings();
    for (const f of apiserverFlags(plain)) expect(safeAsYamlListItem(f)).toBe(true);
    expect(renderFlags(plain)).not.toMatch(/quote/);
    // "oidc:" at the end of an item would turn it into a YAML mapping.
    const colon = settings({ groupsPrefix: 'oidc:' });
    expect(safeAsYamlListItem('--oidc-groups-prefix=oidc:')).toBe(false);
    expect(renderFlags(colon)).toContain('# In the YAML manifest quote this item: - "--oidc-groups-prefix=oidc:"');
    // The quoted form really does round-trip.
    expect(yaml.load('- "--oidc-groups-prefix=oidc:"')).toEqual(['--oidc-groups-prefix=oidc:']);
  });
});

describe('minikube', () => {
  it('agrees with the flags and is valid shell', async () => {
    const s = settings({ groupsPrefix: 'oidc: x', casdoorCa: { file: "/tmp/my ca's.pem", pem: PEM } });
    const text = renderMinikube(s);
    const extra = [...text.matchAll(/--extra-config=apiserver\.(\S+?)=(\S+)/g)].map((m) => `--${m[1]}`);
    // The same options as the static pod flags (signing algs last, so the last line needs no backslash).
    expect([...extra].sort()).toEqual(apiserverFlags(s).map((f) => f.slice(0, f.indexOf('='))).sort());
    expect(text).toContain(`--extra-config=apiserver.oidc-issuer-url=${ISSUER} \\`);
    expect(text).toContain(`--extra-config=apiserver.oidc-client-id=${CLIENT_ID} \\`);
    expect(text).toContain("--extra-config=apiserver.oidc-groups-prefix='oidc: x' \\");
    expect(text).toContain('--extra-config=apiserver.oidc-ca-file=/var/lib/minikube/certs/oidc-ca.crt');
    expect(text).toContain('mkdir -p ~/.minikube/files/var/lib/minikube/certs');
    expect(text).toContain(`cp '/tmp/my ca'\\''s.pem' ~/.minikube/files/var/lib/minikube/certs/oidc-ca.crt`);
    // Every continuation line ends with a backslash except the last.
    const start = text.split('\n').filter((l) => l.startsWith('minikube start') || l.startsWith('  --extra-config'));
    expect(start.slice(0, -1).every((l) => l.endsWith(' \\'))).toBe(true);
    expect(start.at(-1)?.endsWith('\\')).toBe(false);
    // bash parses it (-n: no execution) and sees each option as one word.
    await promisify(execFile)('bash', ['-n', '-c', text]);
    const { stdout } = await promisify(execFile)('bash', ['-c', `minikube() { printf '%s\\n' "$@"; }; mkdir() { :; }; cp() { :; }; ${text}`]);
    expect(stdout).toContain('--extra-config=apiserver.oidc-groups-prefix=oidc: x\n');
  });

  it('explains a private CA when none is given', () => {
    const text = renderMinikube(settings());
    expect(text).not.toContain('oidc-ca-file');
    expect(text).toMatch(/--casdoor-ca FILE/);
  });

  it('quotes only what the shell would misread', () => {
    expect(shellQuote('RS256,ES256')).toBe('RS256,ES256');
    expect(shellQuote('-')).toBe('-');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("a b'c")).toBe(`'a b'\\''c'`);
    expect(shellQuote('$HOME')).toBe("'$HOME'");
  });
});

describe('all and json formats', () => {
  it('all: the three sections, each headed by comments, authentication config last and parseable', () => {
    const s = settings({ casdoorCa: { file: '/tmp/ca.pem', pem: PEM } });
    const text = renderApiserverConfig(s, 'all');
    const sections = text.split(/\n(?=# ── )/);
    expect(sections).toHaveLength(3);
    expect(sections[0]).toMatch(/^# ── kube-apiserver flags/);
    expect(sections[1]).toMatch(/^# ── minikube/);
    expect(sections[2]).toMatch(/^# ── AuthenticationConfiguration/);
    expectValidAuthenticationConfig(yaml.load(sections[2] as string), { issuer: ISSUER, clientId: CLIENT_ID, apiVersion: 'apiserver.config.k8s.io/v1beta1', pem: PEM });
    // flags alone work for any version.
    expect(renderApiserverConfig(settings({ kubernetesVersion: parseKubernetesVersion('1.29') }), 'flags')).toContain('--oidc-issuer-url=');
  });

  it('json: one object for scripts', () => {
    const s = settings();
    const doc = JSON.parse(renderApiserverConfig(s, 'json')) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['issuer', 'clientId', 'audience', 'flags', 'minikube', 'authenticationConfiguration']);
    expect(doc).toEqual(JSON.parse(JSON.stringify(apiserverConfigJson(s))));
    expect(doc.flags).toEqual(apiserverFlags(s));
    expect(doc.minikube).toContain(`apiserver.oidc-issuer-url=${ISSUER}`);
    expectValidAuthenticationConfig(doc.authenticationConfiguration, { issuer: ISSUER, clientId: CLIENT_ID, apiVersion: 'apiserver.config.k8s.io/v1beta1' });
  });
});

// --- the use case with a fake Casdoor (discovery, JWKS, token endpoint) --------------------------

interface FakeCasdoor {
  http: HttpClient;
  requests: string[];
}

let signingKey: KeyPair['privateKey'];
let publicJwk: JWK;
type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'cert-built-in', alg: 'RS256', use: 'sig' };
});

async function casdoorToken(claims: Record<string, unknown>, iss = ISSUER): Promise<string> {
  return new SignJWT({
    owner: 'k8s-org',
    name: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    groups: ['k8s-org/admins'],
    roles: [{ owner: 'k8s-org', name: 'cluster-admin' }],
    tokenType: 'access-token',
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'cert-built-in', typ: 'JWT' })
    .setIssuer(iss)
    .setSubject('3f2c…uuid')
    .setAudience([CLIENT_ID])
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(signingKey);
}

function fakeCasdoor(options: { issuer?: string; token?: string; algs?: string[] } = {}): FakeCasdoor {
  const requests: string[] = [];
  const json = (body: unknown, status = 200): HttpResponse => ({ status, headers: {}, text: JSON.stringify(body) });
  const http: HttpClient = {
    get: async (url) => {
      requests.push(`GET ${url}`);
      if (url === `${ISSUER}/.well-known/openid-configuration`) {
        return json({
          issuer: options.issuer ?? ISSUER,
          token_endpoint: `${ISSUER}/api/login/oauth/access_token`,
          jwks_uri: `${ISSUER}/.well-known/jwks`,
          id_token_signing_alg_values_supported: options.algs ?? ['RS256', 'RS512', 'ES256'],
        });
      }
      if (url === `${ISSUER}/.well-known/jwks`) return json({ keys: [publicJwk] });
      return json({}, 404);
    },
    postForm: async (url, form) => {
      requests.push(`POST ${url} ${form.grant_type}`);
      const t = options.token ?? (await casdoorToken({}));
      return json({ access_token: t, id_token: t, refresh_token: 'r-token-1234', token_type: 'Bearer', expires_in: 3600, scope: 'openid' });
    },
    close: async () => undefined,
  };
  return { http, requests };
}

function captureIo(env: NodeJS.ProcessEnv = {}, stdinText?: string, cwd = tmpdir()): { io: Io; stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  const io: Io = {
    env,
    stdin: Readable.from(stdinText === undefined ? [] : [stdinText]),
    stdout: { write: (s: string) => { out += s; return true; } },
    stderr: { write: (s: string) => { err += s; return true; } },
    homeDir: cwd,
    cwd,
    now: () => new Date(),
  };
  return { io, stdout: () => out, stderr: () => err };
}

describe('runApiserverConfig', () => {
  it('checks discovery first and prints the config on stdout, messages on stderr', async () => {
    const fake = fakeCasdoor();
    const cap = captureIo();
    const res = await runApiserverConfig({ settings: settings(), format: 'flags', offline: false }, { out: new Output(cap.io), now: () => new Date(), makeHttp: () => fake.http });
    expect(fake.requests).toEqual([`GET ${ISSUER}/.well-known/openid-configuration`]);
    expect(res.text.endsWith('--oidc-signing-algs=RS256\n--oidc-required-claim=tokenType=access-token\n')).toBe(true);
    expect(cap.stdout()).toBe(res.text);
    expect(cap.stdout()).toContain(`--oidc-issuer-url=${ISSUER}`);
    expect(cap.stderr()).toMatch(/reports the issuer https:\/\/door.example.com/);
  });

  it('refuses to print an issuer Casdoor does not report', async () => {
    const fake = fakeCasdoor({ issuer: 'http://door.example.com' });
    const cap = captureIo();
    const err = await rejected(runApiserverConfig({ settings: settings(), format: 'all', offline: false }, { out: new Output(cap.io), now: () => new Date(), makeHttp: () => fake.http }));
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/Issuer mismatch/);
    expect(cap.stdout()).toBe('');
  });

  it('warns when Casdoor offers none of the signing algorithms', async () => {
    const fake = fakeCasdoor({ algs: ['ES256'] });
    const cap = captureIo();
    await runApiserverConfig({ settings: settings(), format: 'flags', offline: false }, { out: new Output(cap.io), now: () => new Date(), makeHttp: () => fake.http });
    expect(cap.stderr()).toMatch(/none of which is in --signing-algs RS256/);
  });

  it('--offline: no request, a warning that nothing was checked', async () => {
    const cap = captureIo();
    await runApiserverConfig({ settings: settings(), format: 'flags', offline: true }, {
      out: new Output(cap.io),
      now: () => new Date(),
      makeHttp: () => {
        throw new Error('no network expected');
      },
    });
    expect(cap.stderr()).toMatch(/--offline: discovery skipped/);
    expect(cap.stdout()).toContain('--oidc-client-id=');
  });

  it('--from-token: logs in, verifies, reports what the API server will see, warns about org/ groups', async () => {
    const fake = fakeCasdoor();
    const cap = captureIo();
    const res = await runApiserverConfig(
      { settings: settings({ groupsPrefix: 'oidc:' }), format: 'json', offline: false, fromToken: { username: 'alice', password: 'pw-1234' } },
      { out: new Output(cap.io), now: () => new Date(), makeHttp: () => fake.http },
    );
    expect(fake.requests).toContain(`POST ${ISSUER}/api/login/oauth/access_token password`);
    expect(res.report?.username).toBe('alice');
    expect(res.report?.groups).toEqual(['oidc:k8s-org/admins']);
    expect(cap.stderr()).toMatch(/username alice, groups oidc:k8s-org\/admins/);
    expect(cap.stderr()).toMatch(/RBAC bindings must name the group exactly as "oidc:k8s-org\/admins"/);
    expect(JSON.parse(cap.stdout()).issuer).toBe(ISSUER);
  });

  it('--from-token: a claim the API server cannot use is a verify error (exit 4) and nothing is printed', async () => {
    const cases: Array<[Partial<ApiserverSettings>, RegExp]> = [
      [{ usernameClaim: 'preferred_username' }, /no "preferred_username" claim.*Claims that could serve: name/],
      [{ groupsClaim: 'roles' }, /"roles" claim is not a string or a list of strings/],
      [{ usernameClaim: 'groups' }, /"groups" claim is a list, not a string/],
      [{ signingAlgs: ['ES256'] }, /signs this token with RS256, but --signing-algs allows only ES256/],
    ];
    for (const [over, message] of cases) {
      const cap = captureIo();
      const err = await rejected(
        runApiserverConfig({ settings: settings(over), format: 'flags', offline: false, fromToken: { username: 'alice', password: 'pw-1234' } }, { out: new Output(cap.io), now: () => new Date(), makeHttp: () => fakeCasdoor().http }),
      );
      expect(err.code).toBe('verify');
      expect(err.message).toMatch(message);
      expect(cap.stdout()).toBe('');
    }
  });

  it('--from-token: email as username with email_verified false is refused', async () => {
    const fake = fakeCasdoor({ token: await casdoorToken({ email_verified: false }) });
    const err = await rejected(
      runApiserverConfig({ settings: settings({ usernameClaim: 'email' }), format: 'flags', offline: false, fromToken: { username: 'alice', password: 'pw-1234' } }, { out: new Output(captureIo().io), now: () => new Date(), makeHttp: () => fake.http }),
    );
    expect(err.code).toBe('verify');
    expect(err.message).toMatch(/email_verified is false/);
  });
});

// --- the command through commander ---------------------------------------------------------------

describe('apiserver-config command', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ck-apiserver-config-'));
    await writeFile(join(dir, 'ca.pem'), PEM);
    await writeFile(join(dir, 'not-a-ca.txt'), 'hello');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function program(env: NodeJS.ProcessEnv = {}, stdinText?: string) {
    const cap = captureIo(env, stdinText, dir);
    const p = new Command('casdoor-kubeconfig');
    p.exitOverride().configureOutput({ writeOut: (s) => cap.io.stdout.write(s), writeErr: (s) => cap.io.stderr.write(s) });
    registerApiserverConfig(p, { io: cap.io, output: () => new Output(cap.io), program: () => p });
    return { ...cap, run: (args: string[]) => p.parseAsync(['apiserver-config', ...args], { from: 'user' }) };
  }

  const base = ['--casdoor-url', ISSUER, '--client-id', CLIENT_ID, '--offline'];

  it('--format authentication-config --casdoor-ca: parseable YAML with the PEM inlined, path resolved against cwd', async () => {
    const p = program();
    await p.run([...base, '--format', 'authentication-config', '--casdoor-ca', 'ca.pem', '--kubernetes-version', 'v1.34.2']);
    expectValidAuthenticationConfig(yaml.load(p.stdout()), { issuer: ISSUER, clientId: CLIENT_ID, apiVersion: 'apiserver.config.k8s.io/v1', pem: PEM });
    expect(p.stdout()).toContain(`PEM of ${join(dir, 'ca.pem')}`);
  });

  it('defaults: format all, username prefix "-", groups prefix none, RS256', async () => {
    const p = program();
    await p.run(base);
    const out = p.stdout();
    expect(out).toContain('--oidc-username-prefix=-\n');
    expect(out).not.toContain('--oidc-groups-prefix');
    expect(out).toContain('--oidc-signing-algs=RS256\n');
    expect(out).toContain('minikube start \\');
    expect(out).toContain('kind: AuthenticationConfiguration');
  });

  it("--username-prefix '' leaves the flag unset and writes \"<issuer>#\" into the AuthenticationConfiguration", async () => {
    const p = program();
    await p.run([...base, '--username-prefix', '', '--format', 'json']);
    const doc = JSON.parse(p.stdout());
    expect(doc.flags.some((f: string) => f.startsWith('--oidc-username-prefix'))).toBe(false);
    expect(doc.authenticationConfiguration.jwt[0].claimMappings.username.prefix).toBe(`${ISSUER}#`);
  });

  const usageCases: Array<[string, string[], RegExp]> = [
    ['an http Casdoor URL', ['--casdoor-url', 'http://door.example.com', '--client-id', CLIENT_ID, '--offline'], /must use https/],
    ['no --client-id', ['--casdoor-url', ISSUER, '--offline'], /missing --client-id/],
    ['an --audience Casdoor never puts in tokens', ['--casdoor-url', ISSUER, '--client-id', CLIENT_ID, '--offline', '--audience', 'other-app'], /--audience: "other-app" is not an audience Casdoor puts in tokens/],
    ['no --casdoor-url and no --client-id', ['--offline'], /missing --casdoor-url, --client-id/],
    ['1.29 with the AuthenticationConfiguration', [...base, '--kubernetes-version', '1.29', '--format', 'authentication-config'], /needs Kubernetes 1.30 or later/],
    ['an unknown signing algorithm', [...base, '--signing-algs', 'none'], /none is not accepted/],
    ['--from-token with --offline', [...base, '--from-token'], /cannot be combined with --offline/],
    ['--username without --from-token', [...base, '--username', 'alice'], /--username only applies with --from-token/],
    ['--from-token without credentials', ['--casdoor-url', ISSUER, '--client-id', CLIENT_ID, '--from-token'], /needs --username and --password-stdin/],
    ['a --casdoor-ca that is not PEM', [...base, '--casdoor-ca', 'not-a-ca.txt'], /holds no PEM certificate/],
    ['a --casdoor-ca that does not exist', [...base, '--casdoor-ca', 'missing.pem'], /no such file/],
    ['a claim with spaces', [...base, '--username-claim', 'user name'], /not a valid claim name/],
    ['a prefix with a line break', [...base, '--groups-prefix', 'a\nb'], /control characters/],
  ];
  for (const [what, args, message] of usageCases) {
    it(`usage error (exit 2) for ${what}`, async () => {
      const p = program();
      const err = await rejected(p.run(args));
      expect(err.code).toBe('usage');
      expect(err.message).toMatch(message);
      expect(p.stdout()).toBe('');
    });
  }

  it("--audience: a shared application's <client id>-org-<organization> is printed in the flags and audiences", async () => {
    const p = program();
    await p.run([...base, '--audience', `${CLIENT_ID}-org-k8s-org`, '--format', 'json']);
    const doc = JSON.parse(p.stdout()) as { audience: string; flags: string[]; authenticationConfiguration: AuthenticationConfiguration };
    expect(doc.audience).toBe(`${CLIENT_ID}-org-k8s-org`);
    expect(doc.flags).toContain(`--oidc-client-id=${CLIENT_ID}-org-k8s-org`);
    expect(doc.authenticationConfiguration.jwt[0]?.issuer.audiences).toEqual([`${CLIENT_ID}-org-k8s-org`]);
    const resource = program();
    await resource.run([...base, '--audience', 'https://k8s.example.com', '--format', 'flags']);
    expect(resource.stdout()).toMatch(/^--oidc-client-id=https:\/\/k8s.example.com$/m);
    expect(resource.stdout()).toMatch(/an RFC 8707 resource/);
  });

  it('the 1.29 error suggests --format flags, which then works', async () => {
    const err = await rejected(program().run([...base, '--kubernetes-version', '1.29', '--format', 'authentication-config']));
    expect(err.hint).toMatch(/--format flags/);
    const p = program();
    await p.run([...base, '--kubernetes-version', '1.29', '--format', 'flags']);
    expect(p.stdout()).toContain(`--oidc-issuer-url=${ISSUER}`);
  });

  it('an unknown --format is refused by commander', async () => {
    const p = program();
    await expect(p.run([...base, '--format', 'yaml'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(p.stderr()).toMatch(/Allowed choices are flags, minikube, authentication-config, all, json/);
  });

  it('--help describes the command, every flag and an example', async () => {
    const p = program();
    await expect(p.run(['--help'])).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
    const help = p.stdout();
    for (const flag of ['--casdoor-url', '--client-id', '--username-claim', '--groups-claim', '--username-prefix', '--groups-prefix', '--casdoor-ca', '--kubernetes-version', '--signing-algs', '--format', '--offline', '--from-token', '--username', '--password-stdin', '--client-secret']) {
      expect(help).toContain(flag);
    }
    expect(help).toMatch(/Examples:\n\s+# Everything/);
    expect(help).toContain('default: "all"');
  });
});

// --- kube-apiserver's own rules (issue 9 points 1-3, 5; issue 8 point 4) ------------------------

describe("what kube-apiserver decides, in each output", () => {
  it('refresh tokens: tokenType=access-token in the flags and minikube, claimValidationRules (claim + TokenType CEL) in the AuthenticationConfiguration', () => {
    const s = settings();
    expect(renderFlags(s)).toMatch(/^--oidc-required-claim=tokenType=access-token$/m);
    expect(renderFlags(s)).toMatch(/^# tokenType=access-token: Casdoor's refresh token is a JWT .*JWT-Custom.*only the AuthenticationConfiguration/m);
    expect(renderMinikube(s)).toContain('--extra-config=apiserver.oidc-required-claim=tokenType=access-token \\');
    const jwt = buildAuthenticationConfig(s).object.jwt[0];
    // validation.go validateClaimValidationRules: claim rules carry no message, expression rules no requiredValue.
    expect(jwt?.claimValidationRules).toEqual([
      { claim: 'tokenType', requiredValue: 'access-token' },
      { expression: '!has(claims.TokenType)', message: expect.any(String) },
    ]);
    const off = settings({ requireAccessToken: false });
    expect(apiserverFlags(off).some((f) => f.startsWith('--oidc-required-claim'))).toBe(false);
    expect(buildAuthenticationConfig(off).object.jwt[0]?.claimValidationRules).toEqual([{ expression: '!has(claims.TokenType)', message: expect.any(String) }]);
  });

  it('email as the username claim: the flags say they cannot require email_verified; the AuthenticationConfiguration requires it', () => {
    const s = settings({ usernameClaim: 'email' });
    expect(renderFlags(s)).toMatch(/^# Username claim email: kube-apiserver refuses email_verified=false but accepts a token WITHOUT email_verified/m);
    expect(buildAuthenticationConfig(s).object.jwt[0]?.claimValidationRules).toContainEqual({ expression: 'has(claims.email_verified) && claims.email_verified == true', message: expect.any(String) });
    expect(renderFlags(settings())).not.toMatch(/email_verified/);
  });

  it('--kubernetes-version 1.29: all prints the flags and minikube and says why the AuthenticationConfiguration is left out; json too', () => {
    const s = settings({ kubernetesVersion: parseKubernetesVersion('1.29') });
    const text = renderApiserverConfig(s, 'all');
    expect(text).toContain('--oidc-issuer-url=');
    expect(text).toContain('minikube start');
    expect(text).not.toMatch(/^kind: AuthenticationConfiguration/m);
    expect(text).toMatch(/needs Kubernetes 1.30 or later; 1.29 has only apiserver.config.k8s.io\/v1alpha1 behind the StructuredAuthenticationConfiguration feature gate/);
    const doc = JSON.parse(renderApiserverConfig(s, 'json')) as Record<string, unknown>;
    expect(doc).not.toHaveProperty('authenticationConfiguration');
    expect(doc.authenticationConfigurationNote).toMatch(/1.30 or later/);
  });

  const run = async (token: string, over: Partial<ApiserverSettings>, format: 'flags' | 'authentication-config' | 'all' | 'json' = 'all') => {
    const cap = captureIo();
    const res = await runApiserverConfig(
      { settings: settings(over), format, offline: false, fromToken: { username: 'alice', password: 'pw-1234' } },
      { out: new Output(cap.io), now: () => new Date(), makeHttp: () => fakeCasdoor({ token }).http },
    );
    return { res, cap };
  };

  it('algorithms: the AuthenticationConfiguration is never refused over --signing-algs; all warns about the flags', async () => {
    const token = await casdoorToken({});
    const auth = await run(token, { signingAlgs: ['ES256'] }, 'authentication-config');
    expect(auth.cap.stdout()).toMatch(/kind: AuthenticationConfiguration/);
    expect(auth.cap.stderr()).not.toMatch(/signs this token/);
    const all = await run(token, { signingAlgs: ['ES256'] }, 'all');
    expect(all.cap.stderr()).toMatch(/signs this token with RS256, but --signing-algs allows only ES256.*AuthenticationConfiguration accepts it/);
  });

  it('--from-token: an email without email_verified is accepted by the flags (with a security warning) and refused by the AuthenticationConfiguration printed', async () => {
    // JSON leaves out undefined: the claim is absent, as in Casdoor's JWT-Standard format for an unverified email.
    const token = await casdoorToken({ email_verified: undefined });
    const flags = await run(token, { usernameClaim: 'email' }, 'flags');
    expect(flags.res.report?.username).toBe('alice@example.com');
    expect(flags.cap.stderr()).toMatch(/Security: the token has no email_verified claim/);
    const err = await rejected(run(token, { usernameClaim: 'email' }, 'authentication-config'));
    expect(err.code).toBe('verify');
    expect(err.message).toMatch(/claimValidationRules printed by apiserver-config refuse it/);
  });

  it("--from-token: a shared application's audience <clientId>-org-<org> becomes the printed audience, explained", async () => {
    const token = await new SignJWT({ name: 'alice', groups: ['k8s-org/admins'], tokenType: 'access-token' })
      .setProtectedHeader({ alg: 'RS256', kid: 'cert-built-in' })
      .setIssuer(ISSUER)
      .setAudience([`${CLIENT_ID}-org-k8s-org`])
      .setExpirationTime('1h')
      .sign(signingKey);
    const { res, cap } = await run(token, {}, 'json');
    const doc = JSON.parse(res.text) as { audience: string; flags: string[]; authenticationConfiguration: AuthenticationConfiguration };
    expect(doc.audience).toBe(`${CLIENT_ID}-org-k8s-org`);
    expect(doc.flags).toContain(`--oidc-client-id=${CLIENT_ID}-org-k8s-org`);
    expect(doc.authenticationConfiguration.jwt[0]?.issuer.audiences).toEqual([`${CLIENT_ID}-org-k8s-org`]);
    expect(cap.stderr()).toMatch(/shared Casdoor application/);
  });

  it('--from-token: the tokenType requirement is dropped only when the token lacks the claim', async () => {
    const without = await run(await casdoorToken({ tokenType: undefined }), {}, 'flags');
    expect(without.res.text).not.toMatch(/--oidc-required-claim/);
    expect(without.cap.stderr()).toMatch(/no tokenType claim: the tokenType=access-token requirement is left out/);
    const withIt = await run(await casdoorToken({}), {}, 'flags');
    expect(withIt.res.text).toMatch(/^--oidc-required-claim=tokenType=access-token$/m);
  });
});
