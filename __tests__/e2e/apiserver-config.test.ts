/**
 * `apiserver-config --from-token` and `rbac` against the real peers: the Casdoor-like OpenID provider
 * (discovery, password grant, JWKS, over TLS with a throwaway CA) and the API server fixture, which
 * authenticates tokens with kube-apiserver's --oidc-* rules.
 *
 * The loop closed here: the flags the command prints configure an API server; that API server's
 * SelfSubjectReview for a real token names exactly the user and groups that `rbac` puts in its
 * subjects, and exactly what the AuthenticationConfiguration's claim mappings produce.
 */
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import yaml from 'js-yaml';
import type { Agent } from 'undici';

import { registerApiserverConfig } from '../../src/cli/apiserver-config.js';
import type { Io } from '../../src/ports/io.js';
import { Output } from '../../src/ports/output.js';
import { registerRbac } from '../../src/cli/rbac.js';
import { startApiServer, type ApiServerOptions } from '../../src/demo/apiserver.js';
import { startDemoEnvironment, type DemoEnvironment } from '../../src/demo/index.js';
import type { ApiserverConfigJson } from '../../src/usecases/apiserver-config.js';
import type { RbacBinding } from '../../src/usecases/rbac.js';
import { postForm, postJson, trustingAgent } from '../helpers/http.js';
import { rejected } from '../helpers/errors.js';

const REVIEW = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
const REVIEW_PATH = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

let env: DemoEnvironment;
let agent: Agent;

beforeAll(async () => {
  env = await startDemoEnvironment();
  agent = trustingAgent(env.caPem);
});

afterAll(async () => {
  await agent?.close();
  await env?.close();
});

/** The CLI commands with captured output, as main() would run them. */
function cli(stdinText?: string) {
  let out = '';
  let err = '';
  const io: Io = {
    env: {},
    stdin: Readable.from(stdinText === undefined ? [] : [stdinText]),
    stdout: { write: (s: string) => { out += s; return true; } },
    stderr: { write: (s: string) => { err += s; return true; } },
    homeDir: env.tls.dir,
    cwd: env.tls.dir,
    now: () => new Date(),
  };
  const program = new Command('casdoor-kubeconfig');
  program.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const ctx = { io, output: () => new Output(io), program: () => program };
  registerApiserverConfig(program, ctx);
  registerRbac(program, ctx);
  return { stdout: () => out, stderr: () => err, run: (args: string[]) => program.parseAsync(args, { from: 'user' }) };
}

const base = () => ['apiserver-config', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--casdoor-ca', env.caFile];
const fromToken = (username = 'alice') => ['--from-token', '--username', username, '--password-stdin'];

/** What the printed --oidc-* flags configure, as the API server fixture's options. */
function optionsFromFlags(flags: string[]): Omit<ApiServerOptions, 'issuerCaPem' | 'tls'> {
  const values = new Map(flags.map((f) => [f.slice(2, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
  return {
    issuer: values.get('oidc-issuer-url') as string,
    clientId: values.get('oidc-client-id') as string,
    usernameClaim: values.get('oidc-username-claim') as string,
    usernamePrefix: values.get('oidc-username-prefix') ?? null,
    groupsClaim: values.get('oidc-groups-claim') ?? null,
    groupsPrefix: values.get('oidc-groups-prefix') ?? '',
    signingAlgs: (values.get('oidc-signing-algs') as string).split(','),
    requiredClaims: Object.fromEntries(
      flags.filter((f) => f.startsWith('--oidc-required-claim=')).map((f) => {
        const pair = f.slice('--oidc-required-claim='.length);
        return [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      }),
    ),
  };
}

/** What the printed AuthenticationConfiguration configures, as the API server fixture's options. */
function optionsFromAuthenticationConfig(config: NonNullable<ApiserverConfigJson['authenticationConfiguration']>): Omit<ApiServerOptions, 'issuerCaPem' | 'tls'> {
  const jwt = config.jwt[0] as NonNullable<ApiserverConfigJson['authenticationConfiguration']>['jwt'][number];
  return {
    issuer: jwt.issuer.url,
    clientId: jwt.issuer.audiences[0] as string,
    audiences: jwt.issuer.audiences,
    usernameClaim: jwt.claimMappings.username.claim,
    // An explicit prefix ("" = none) is what the structured config carries.
    usernamePrefix: jwt.claimMappings.username.prefix === '' ? '-' : jwt.claimMappings.username.prefix,
    groupsClaim: jwt.claimMappings.groups.claim,
    groupsPrefix: jwt.claimMappings.groups.prefix,
    // No algorithm list in an AuthenticationConfiguration: every asymmetric algorithm.
    signingAlgs: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'],
    claimValidationRules: jwt.claimValidationRules ?? [],
  };
}

async function aliceToken(): Promise<string> {
  const { status, body } = await postForm(agent, env.provider.endpoints.token, {
    grant_type: 'password',
    client_id: env.provider.clientId,
    username: 'alice',
    password: 'correct-horse',
    scope: 'openid profile email',
  });
  expect(status).toBe(200);
  return String((body as Record<string, unknown>)['id_token']);
}

describe('apiserver-config --from-token and rbac against the real provider and API server fixture', () => {
  const variants: Array<{ what: string; usernamePrefix: string; groupsPrefix: string }> = [
    { what: 'defaults (no prefixes)', usernamePrefix: '-', groupsPrefix: '' },
    { what: 'oidc: prefixes', usernamePrefix: 'oidc:', groupsPrefix: 'oidc:' },
    { what: 'username prefix unset ("<issuer>#")', usernamePrefix: '', groupsPrefix: 'casdoor:' },
  ];

  for (const v of variants) {
    it(`${v.what}: the printed config makes the API server see exactly the RBAC subjects printed`, async () => {
      const prefixes = ['--username-prefix', v.usernamePrefix, '--groups-prefix', v.groupsPrefix];

      // 1. apiserver-config: discovery, a real login, the claims check; JSON for this test to read.
      const gen = cli('correct-horse\n');
      await gen.run([...base(), ...fromToken(), ...prefixes, '--format', 'json']);
      const config = JSON.parse(gen.stdout()) as ApiserverConfigJson;
      expect(config.issuer).toBe(env.provider.issuer);
      expect(config.clientId).toBe(env.provider.clientId);
      expect(gen.stderr()).toMatch(/discovery document reports the issuer/);
      expect(gen.stderr()).toMatch(/the id_token verified/);
      expect(gen.stdout()).not.toContain('correct-horse');

      // 2. An API server configured with exactly those flags (the CA file is the one given to --casdoor-ca).
      expect(config.flags).toContain('--oidc-ca-file=/etc/kubernetes/pki/casdoor-ca.crt');
      const apiserver = await startApiServer({ ...optionsFromFlags(config.flags), issuerCaPem: env.caPem, tls: env.tls });
      try {
        const review = await postJson(agent, apiserver.url + REVIEW_PATH, REVIEW, { authorization: `Bearer ${await aliceToken()}` });
        expect(review.status).toBe(201);
        const userInfo = (review.body as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;

        // 3. What apiserver-config said the API server would see is what it sees.
        const casdoorGroups = userInfo.groups.filter((g) => !g.startsWith('system:'));
        expect(gen.stderr()).toContain(`the API server will see username ${userInfo.username}, groups ${casdoorGroups.join(', ')}`);

        // 4. The AuthenticationConfiguration's mappings produce the same names.
        const mappings = config.authenticationConfiguration?.jwt[0]?.claimMappings;
        expect(`${mappings?.username.prefix}alice`).toBe(userInfo.username);
        expect([`${mappings?.groups.prefix}k8s-org/admins`]).toEqual(casdoorGroups);

        // 5. rbac names the same subjects.
        const rbac = cli();
        await rbac.run(['rbac', '--user', 'alice', '--group', 'admins', '--organization', 'k8s-org', ...prefixes, '--casdoor-url', env.provider.issuer, '--cluster-role', 'edit']);
        const binding = yaml.load(rbac.stdout()) as RbacBinding;
        expect(binding.subjects.find((s) => s.kind === 'User')?.name).toBe(userInfo.username);
        expect(binding.subjects.filter((s) => s.kind === 'Group').map((s) => s.name)).toEqual(casdoorGroups);
      } finally {
        await apiserver.close();
      }
    });
  }

  it('refresh tokens: the API server configured by the printed flags or AuthenticationConfiguration refuses them; one without the requirement accepts them', async () => {
    const gen = cli('correct-horse\n');
    await gen.run([...base(), ...fromToken(), '--format', 'json']);
    const config = JSON.parse(gen.stdout()) as ApiserverConfigJson;
    expect(config.flags).toContain('--oidc-required-claim=tokenType=access-token');
    // Casdoor's refresh token: same key, iss, aud and user claims; tokenType refresh-token (object/token_jwt.go).
    const refresh = await env.provider.mintIdToken('alice', { claims: { tokenType: 'refresh-token' } });
    const custom = await env.provider.mintIdToken('alice', { claims: { tokenType: 'access-token', TokenType: 'refresh-token' } });
    const access = await aliceToken();
    const flagsServer = await startApiServer({ ...optionsFromFlags(config.flags), issuerCaPem: env.caPem, tls: env.tls });
    const structured = await startApiServer({ ...optionsFromAuthenticationConfig(config.authenticationConfiguration as NonNullable<ApiserverConfigJson['authenticationConfiguration']>), issuerCaPem: env.caPem, tls: env.tls });
    const loose = await startApiServer({ ...optionsFromFlags(config.flags.filter((f) => !f.startsWith('--oidc-required-claim'))), issuerCaPem: env.caPem, tls: env.tls });
    const status = async (server: typeof loose, token: string): Promise<string> => {
      const res = await postJson(agent, server.url + REVIEW_PATH, REVIEW, { authorization: `Bearer ${token}` });
      return res.status === 201 ? 'accepted' : `401 ${server.requests.at(-1)?.reason ?? ''}`;
    };
    try {
      expect(await status(loose, refresh)).toBe('accepted');
      expect(await status(flagsServer, access)).toBe('accepted');
      expect(await status(flagsServer, refresh)).toBe('401 required-claim');
      // JWT-Custom: the flags cannot tell; the AuthenticationConfiguration's TokenType rule can.
      expect(await status(flagsServer, custom)).toBe('accepted');
      expect(await status(structured, access)).toBe('accepted');
      expect(await status(structured, refresh)).toBe('401 required-claim');
      expect(await status(structured, custom)).toBe('401 claim-validation');
    } finally {
      await Promise.all([flagsServer.close(), structured.close(), loose.close()]);
    }
  });

  it('--username-claim email: the flags accept a token without email_verified (security warning); the AuthenticationConfiguration refuses it', async () => {
    const gen = cli('correct-horse\n');
    await gen.run([...base(), ...fromToken(), '--username-claim', 'email', '--format', 'json']);
    const config = JSON.parse(gen.stdout()) as ApiserverConfigJson;
    // JWT-Standard / JWT-Empty leave email_verified out for an unverified email.
    const unverified = await env.provider.mintIdToken('bob', { claims: { email_verified: undefined } });
    const flagsServer = await startApiServer({ ...optionsFromFlags(config.flags), issuerCaPem: env.caPem, tls: env.tls });
    const structured = await startApiServer({ ...optionsFromAuthenticationConfig(config.authenticationConfiguration as NonNullable<ApiserverConfigJson['authenticationConfiguration']>), issuerCaPem: env.caPem, tls: env.tls });
    try {
      const viaFlags = await postJson(agent, flagsServer.url + REVIEW_PATH, REVIEW, { authorization: `Bearer ${unverified}` });
      expect(viaFlags.status).toBe(201);
      expect((viaFlags.body as { status: { userInfo: { username: string } } }).status.userInfo.username).toBe('bob@example.com');
      const viaConfig = await postJson(agent, structured.url + REVIEW_PATH, REVIEW, { authorization: `Bearer ${unverified}` });
      expect(viaConfig.status).toBe(401);
      expect(structured.requests.at(-1)?.reason).toBe('claim-validation');
    } finally {
      await Promise.all([flagsServer.close(), structured.close()]);
    }
  });

  it('--kubernetes-version 1.29 --format all prints the flags and says why the AuthenticationConfiguration is left out', async () => {
    const c = cli();
    await c.run([...base(), '--kubernetes-version', '1.29']);
    expect(c.stdout()).toContain(`--oidc-issuer-url=${env.provider.issuer}`);
    expect(c.stdout()).toMatch(/needs Kubernetes 1.30 or later; 1.29 has only apiserver.config.k8s.io\/v1alpha1/);
    expect(c.stdout()).not.toMatch(/^kind: AuthenticationConfiguration/m);
  });

  it('refuses a --casdoor-url that differs from the issuer Casdoor reports (trailing slash)', async () => {
    const c = cli();
    const args = base();
    args[2] = `${env.provider.issuer}/`;
    const err = await rejected(c.run([...args, '--format', 'flags']));
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/Issuer mismatch.*trailing slash/);
    expect(c.stdout()).toBe('');
  });

  it("needs --casdoor-ca to reach a Casdoor whose certificate is not publicly trusted", async () => {
    const c = cli();
    const err = await rejected(c.run(['apiserver-config', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--format', 'flags']));
    expect(err.code).toBe('network');
    expect(c.stdout()).toBe('');
  });

  it('--groups-claim roles: exit 4 explaining that Casdoor roles are objects', async () => {
    const c = cli('correct-horse\n');
    const err = await rejected(c.run([...base(), ...fromToken(), '--groups-claim', 'roles', '--format', 'flags']));
    expect(err.code).toBe('verify');
    expect(err.message).toMatch(/"roles" claim is not a string or a list of strings \(it holds objects/);
    expect(c.stdout()).toBe('');
  });

  it('--username-claim email for a user whose email is not verified: exit 4', async () => {
    const c = cli('battery-staple\n');
    const err = await rejected(c.run([...base(), ...fromToken('bob'), '--username-claim', 'email', '--format', 'flags']));
    expect(err.code).toBe('verify');
    expect(err.message).toMatch(/email_verified is false/);
  });

  it('--signing-algs without the provider\'s algorithm: exit 4 before printing anything', async () => {
    const c = cli('correct-horse\n');
    const err = await rejected(c.run([...base(), ...fromToken(), '--signing-algs', 'ES256', '--format', 'flags']));
    expect(err.code).toBe('verify');
    expect(err.message).toMatch(/signs this token with RS256/);
    // Casdoor's discovery advertises RS256, RS512, ES256, ES384 and ES512 whatever its certificate signs with
    // (object/wellknown_oidc_discovery.go GetOidcDiscovery): only the token tells.
    expect(c.stderr()).not.toMatch(/none of which is in --signing-algs/);
  });

  it('a wrong password is a login error (exit 3) quoting Casdoor', async () => {
    const c = cli('wrong-password\n');
    const err = await rejected(c.run([...base(), ...fromToken(), '--format', 'flags']));
    expect(err.code).toBe('login');
  });
});
