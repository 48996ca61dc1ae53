/**
 * Per-cluster audiences (RFC 8707 `--resource`), end to end with the real kubectl: `setup --mode exec
 * --grant browser --resource R` logs in through the scripted browser (the authorization request and the
 * code exchange carry R: Casdoor object/token_oauth.go GetAuthorizationCodeToken refuses an exchange
 * whose resource differs), Casdoor mints aud = [R] (object/token_jwt.go generateJwtToken), and the refresh
 * that setup proves keeps it (object/token_oauth_util.go RefreshToken, v3.156+). An API server whose
 * audience is R accepts the token; one whose audience is the client id refuses it (go-oidc verify.go
 * Verify: the audience must be in aud, exactly).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, promises as fs } from 'node:fs';
import yaml from 'js-yaml';
import { startApiServer, startDemoEnvironment, type ApiServer, type DemoEnvironment } from '../../src/demo/index.js';
import { runCli } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { writeScriptedBrowser } from '../helpers/scripts.js';
import { setupArgs, useDemoEnvironmentWithScripts, type DemoScripts } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;
const RESOURCE = 'https://prod.k8s.example.com';

let env: DemoEnvironment;
/** An API server of the "prod" cluster: its audience is the resource, not the client id. */
let prod: ApiServer;
let home: TempHome;
let scripts: DemoScripts;
let wrapper: string;
let browserScript: string;
let visited: string;
const started = useDemoEnvironmentWithScripts({ provider: { autoLoginAs: 'alice' } }, (e, h, s) => {
  env = e;
  home = h;
  scripts = s;
  ({ wrapper, browser: browserScript, visited } = s);
});

beforeAll(async () => {
  const e = started();
  prod = await startApiServer({ issuer: e.provider.issuer, clientId: e.provider.clientId, audiences: [RESOURCE], issuerCaPem: e.caPem, tls: e.tls });
});

afterAll(async () => {
  await prod?.close();
});

/** setupArgs with the prod API server as --server. */
function prodSetupArgs(extra: string[]): string[] {
  const args = setupArgs(env, home, extra);
  args[args.indexOf('--server') + 1] = prod.url;
  return args;
}

function decodeAud(jwt: string): unknown {
  return (JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8')) as { aud?: unknown }).aud;
}

describe('--resource (RFC 8707)', () => {
  itKubectl('a --resource token is accepted by the API server that expects that audience and refused by one that expects the client id', async () => {
    const setup = await runCli(prodSetupArgs(['--mode', 'exec', '--exec-command', wrapper, '--grant', 'browser', '--browser-command', browserScript, '--resource', RESOURCE]), {
      home: home.home,
    });
    expect(setup.stderr).not.toMatch(/failed/i);
    expect(setup.code).toBe(0);
    // The authorization request named the resource; the code exchange repeated it (else invalid_grant).
    const urls = (await fs.readFile(visited, 'utf8')).trim().split('\n');
    expect(urls).toHaveLength(1);
    expect(new URL(urls[0] as string).searchParams.get('resource')).toBe(RESOURCE);
    expect(env.provider.stats.codeGrants).toBe(1);
    const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as { users: Array<{ user: { exec: { args: string[] } } }> };
    const args = doc.users[0]?.user.exec.args ?? [];
    expect(args[args.indexOf('--resource') + 1]).toBe(RESOURCE);

    // The cached token (refreshed once by setup) carries the resource as its only audience.
    const raw = await runCli(['token', '--raw', ...args.slice(1)], { home: home.home });
    expect(raw.code).toBe(0);
    expect(decodeAud(raw.stdout.trim())).toEqual([RESOURCE]);

    const kubectl = kubectlBinary() as string;
    const kenv = { HOME: home.home };
    const ok = await runKubectl(kubectl, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig, env: kenv });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).status.userInfo.username).toBe('alice');
    expect(prod.requests.some((r) => r.user === 'alice' && r.status < 400)).toBe(true);

    // whoami reads --resource from the exec args: the resource audience is what this entry expects.
    const who = await runCli(['whoami', '--kubeconfig', home.kubeconfig], { home: home.home });
    expect(who.code).toBe(0);
    expect(who.stdout + who.stderr).toContain('alice');
    expect(who.stdout + who.stderr).not.toMatch(/audience \(aud\)/);

    // The same credential at a cluster whose audience is the client id: refused, for its audience.
    const refused = await runKubectl(kubectl, ['--server', env.apiserver.url, 'auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig, env: kenv });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Unauthorized|must be logged in/i);
    expect(env.apiserver.requests.filter((r) => r.reason === 'audience').length).toBeGreaterThan(0);
    expect(env.apiserver.requests.some((r) => r.user === 'alice')).toBe(false);
    // No new login: every kubectl call was served from the cache the setup filled (key includes --resource).
    expect(urls).toHaveLength((await fs.readFile(visited, 'utf8')).trim().split('\n').length);
    expect(env.provider.stats.codeGrants).toBe(1);
  }, 120_000);

  it('is refused (exit 2, nothing written) with a grant Casdoor gives no resource to, or when it is no absolute URI', async () => {
    for (const [extra, message] of [
      [['--grant', 'password'], '--resource needs --grant browser'],
      [['--grant', 'device'], '--resource needs --grant browser'],
      [['--grant', 'browser', '--resource', 'prod-cluster'], 'is not an absolute URI'],
      [['--grant', 'browser', '--resource', 'https://x.example/#a'], 'fragment'],
    ] as const) {
      const run = await runCli(prodSetupArgs(['--mode', 'exec', '--exec-command', wrapper, '--skip-login', ...((extra as readonly string[]).includes('--resource') ? [] : ['--resource', RESOURCE]), ...extra]), {
        home: home.home,
        env: { CASDOOR_PASSWORD: 'x' },
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(existsSync(home.kubeconfig)).toBe(false);
    }
    const token = await runCli(['token', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--grant', 'client-credentials', '--resource', RESOURCE], {
      home: home.home,
      env: { CASDOOR_CLIENT_SECRET: 'not-used' },
    });
    expect(token.code).toBe(2);
    expect(token.stderr).toContain('Casdoor honours an RFC 8707 resource only in the authorization-code flow');
    expect(token.stderr).not.toContain('not-used');
    expect(env.provider.stats.codeGrants).toBe(0);
  });

  it('apiserver-config --resource prints the resource as the audience of the flags and the AuthenticationConfiguration', async () => {
    const run = await runCli(['apiserver-config', '--offline', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--resource', RESOURCE], { home: home.home });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`--oidc-client-id=${RESOURCE}`);
    const config = yaml.loadAll(run.stdout.slice(run.stdout.indexOf('apiVersion: apiserver.config.k8s.io'))) as Array<{ jwt?: Array<{ issuer: { audiences: string[] } }> }>;
    expect(config[0]?.jwt?.[0]?.issuer.audiences).toEqual([RESOURCE]);
    const bad = await runCli(['apiserver-config', '--offline', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--resource', 'prod'], { home: home.home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not an absolute URI');
  });

  it('a Casdoor that drops the resource on refresh (before v3.156) fails setup with the reason, the kubeconfig untouched', async () => {
    const old = await startDemoEnvironment({ provider: { autoLoginAs: 'alice', version: '3.150.0' } });
    try {
      await fs.writeFile(home.kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\n');
      const before = await fs.readFile(home.kubeconfig);
      const args = setupArgs(old, home, ['--mode', 'exec', '--exec-command', wrapper, '--grant', 'browser', '--browser-command', browserScript, '--resource', RESOURCE]);
      // The browser script trusts the file's CA: both environments' certificates are made per environment.
      args[args.indexOf('--browser-command') + 1] = await browserFor(old);
      const run = await runCli(args, { home: home.home });
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`is not the resource ${RESOURCE} that was asked for`);
      expect(run.stderr).toContain('v3.156');
      expect(old.provider.stats.codeGrants).toBe(1);
      expect(await fs.readFile(home.kubeconfig)).toEqual(before);
    } finally {
      await old.close();
    }
  }, 120_000);
});

/** A scripted browser trusting `other`'s CA. */
async function browserFor(other: DemoEnvironment): Promise<string> {
  return writeScriptedBrowser(scripts.dir, other.caFile, { name: `browser-${other.apiserver.port}.mjs` });
}
