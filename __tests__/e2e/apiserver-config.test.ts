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
import type { Io } from '../../src/cli/io.js';
import { Output } from '../../src/cli/output.js';
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
  const ctx = { io, output: () => new Output(io) };
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
        const mappings = config.authenticationConfiguration.jwt[0]?.claimMappings;
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
