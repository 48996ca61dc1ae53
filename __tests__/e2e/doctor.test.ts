/**
 * `doctor` end to end against the Casdoor emulator (its admin API module registered through the
 * provider's `routes` hook): a healthy application passes; each setting that breaks Kubernetes is
 * named, with the exit code that says so; nothing is written to Casdoor.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { DEFAULT_ORGANIZATION } from '../../src/demo/users.js';
import type { CasdoorApplication } from '../../src/demo/casdoor/model.js';
import { CHECK_IDS } from '../../src/casdoor/checks.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { addAdmins, adminRoutes } from '../helpers/casdoor-admin.js';
import { runSetup, useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const PASSWORD = 'correct-horse';
const admin = adminRoutes();
let env: DemoEnvironment;
let home: TempHome;
let pristine: CasdoorApplication | undefined;

useDemoEnvironment({ provider: { routes: admin.routes, adminPassword: admin.adminPassword } }, (e, h) => {
  env = e;
  home = h;
});

beforeEach(() => {
  if (pristine === undefined) {
    addAdmins(env.provider.model, DEFAULT_ORGANIZATION);
    pristine = structuredClone(env.provider.application);
  }
  // Every test starts from the healthy demo application (the live object of the model).
  Object.assign(env.provider.application, structuredClone(pristine));
  admin.stats.writes = 0;
});

interface JsonCheck {
  id: string;
  status: string;
  title: string;
  detail: string;
  setting?: string;
  blocks?: boolean;
}

const doctor = (args: string[], options: { password?: string } = {}): Promise<CliRun> =>
  runCli(['doctor', '--casdoor-url', env.provider.issuer, '--casdoor-ca', env.caFile, ...args], {
    home: home.home,
    env: { KUBECONFIG: undefined, ...(options.password ? { CASDOOR_PASSWORD: options.password } : {}) },
  });

async function checks(args: string[], options: { password?: string } = {}): Promise<{ run: CliRun; byId: Map<string, JsonCheck> }> {
  const run = await doctor([...args, '-o', 'json'], options);
  const report = JSON.parse(run.stdout) as { ok: boolean; checks: JsonCheck[] };
  return { run, byId: new Map(report.checks.map((c) => [c.id, c])) };
}

const clientArgs = (): string[] => ['--client-id', env.provider.clientId];

function expectNoSecrets(run: CliRun): void {
  expect(run.all).not.toContain(PASSWORD);
  expect(run.all).not.toContain(env.provider.clientSecret);
}

describe('doctor: a healthy application', () => {
  it('passes every Casdoor-side check, exit 0, found by its client id', async () => {
    const run = await doctor(clientArgs());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\[pass\] Application: "kubernetes" in organization k8s-org/);
    expect(run.stdout).toMatch(/\[pass\] Refresh Token grant/);
    expect(run.stdout).toMatch(/\[pass\] Password grant/);
    expect(run.stdout).toMatch(/\[pass\] "Device login" sign-in method/);
    expect(run.stdout).toMatch(/\[ {2}\? \] Device Code grant: cannot be probed/);
    expect(run.stdout).not.toMatch(/FAIL/);
    expect(admin.stats.writes).toBe(0);
    expectNoSecrets(run);
  });

  it('with a login and the API server: token checks and the cluster line pass; -o json has one entry per check', async () => {
    const { run, byId } = await checks([...clientArgs(), '--username', 'alice', '--server', env.apiserver.url, '--certificate-authority', env.caFile], { password: PASSWORD });
    expect(run.code).toBe(0);
    for (const id of ['discovery', 'application', 'refresh-grant', 'login', 'token-format', 'username-claim', 'expiry', 'refresh-expiry', 'clock', 'cluster']) {
      expect([id, byId.get(id)?.status]).toEqual([id, 'pass']);
    }
    expect([...byId.keys()].every((id) => (CHECK_IDS as readonly string[]).includes(id))).toBe(true);
    expect(byId.get('cluster')?.detail).toMatch(/authenticated the token as alice/);
    expectNoSecrets(run);
  });

  it('--context: the Casdoor URL, client id, tokens and cluster come from an entry made by setup', async () => {
    expect((await runSetup(env, home, ['--context', 'alice@demo'], { password: PASSWORD })).code).toBe(0);
    const run = await runCli(['doctor', '--context', 'alice@demo', '--kubeconfig', home.kubeconfig, '-o', 'json'], { home: home.home, env: { KUBECONFIG: undefined } });
    expect(run.code).toBe(0);
    const byId = new Map((JSON.parse(run.stdout) as { checks: JsonCheck[] }).checks.map((c) => [c.id, c]));
    expect(byId.get('login')?.detail).toContain('context alice@demo');
    expect(byId.get('refresh-expiry')?.status).toBe('pass');
    expect(byId.get('cluster')).toMatchObject({ status: 'pass' });
    expect(byId.get('cluster')?.detail).toContain(env.apiserver.url);
    expectNoSecrets(run);
  });

  it('finds the application by name too (masked get-application for an anonymous caller)', async () => {
    const run = await doctor(['--application', 'kubernetes']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`client id ${env.provider.clientId}`);
  });
});

describe('doctor: each broken setting is named', () => {
  it('Refresh Token grant off: FAIL with the setting, exit 8', async () => {
    env.provider.application.grantTypes = env.provider.application.grantTypes.filter((g) => g !== 'refresh_token');
    const { run, byId } = await checks(clientArgs());
    expect(run.code).toBe(8);
    expect(byId.get('refresh-grant')).toMatchObject({ status: 'fail', blocks: true });
    expect(byId.get('refresh-grant')?.setting).toContain('Grant types: add "Refresh Token"');
    expect(run.stderr).toMatch(/keeps Kubernetes from working: Refresh Token grant/);
  });

  it('Refresh token expire 0: seen from a login\'s refresh token, exit 8', async () => {
    env.provider.application.refreshExpireInHours = 0;
    const { run, byId } = await checks([...clientArgs(), '--username', 'alice'], { password: PASSWORD });
    expect(run.code).toBe(8);
    expect(byId.get('refresh-expiry')).toMatchObject({ status: 'fail', blocks: true });
    expect(byId.get('refresh-expiry')?.setting).toContain('Refresh token expire');
  });

  it('Password grant off: a warning (browser and device logins still work), exit 0', async () => {
    env.provider.application.grantTypes = env.provider.application.grantTypes.filter((g) => g !== 'password');
    const { run, byId } = await checks(clientArgs());
    expect(run.code).toBe(0);
    expect(byId.get('password-grant')).toMatchObject({ status: 'warn' });
    expect(byId.get('password-grant')?.setting).toContain('Grant types: add "Password"');
  });

  it('no "Device login" sign-in method: named by the /api/device-auth probe', async () => {
    env.provider.application.signinMethods = env.provider.application.signinMethods.filter((m) => m.name !== 'Device login');
    const { run, byId } = await checks(clientArgs());
    expect(run.code).toBe(0);
    expect(byId.get('device-login')).toMatchObject({ status: 'warn' });
    expect(byId.get('device-login')?.detail).toContain('device login is not enabled for this application');
  });

  it('Scopes without openid: the application refuses the login scope, exit 8', async () => {
    env.provider.application.scopes = [{ name: 'read', displayName: 'Read', description: '' }];
    const { run, byId } = await checks(clientArgs());
    expect(run.code).toBe(8);
    expect(byId.get('application')?.detail).toContain('Invalid scope');
    expect(byId.get('scopes')).toMatchObject({ status: 'warn' });
  });

  it('a shared application: aud is not the client id', async () => {
    env.provider.application.isShared = true;
    const { byId } = await checks(clientArgs());
    expect(byId.get('shared')).toMatchObject({ status: 'warn' });
    expect(byId.get('shared')?.detail).toContain(`${env.provider.clientId}-org-`);
  });

  it('token format JWT-Standard: no groups, named with the setting', async () => {
    env.provider.application.tokenFormat = 'JWT-Standard';
    const { byId } = await checks([...clientArgs(), '--username', 'alice', '--username-claim', 'preferred_username'], { password: PASSWORD });
    expect(byId.get('token-format')).toMatchObject({ status: 'warn' });
    expect(byId.get('token-format')?.setting).toContain('Token format: JWT');
  });

  it('a client id no application has: FAIL, exit 8', async () => {
    const { run, byId } = await checks(['--client-id', 'kubernetes']);
    expect(run.code).toBe(8);
    expect(byId.get('application')?.detail).toContain('Invalid client_id');
  });

  it('a wrong password is the user\'s problem: the Login line fails, exit 3 (not 8), the password never shown', async () => {
    const { run, byId } = await checks([...clientArgs(), '--username', 'alice'], { password: 'wrong-password-1' });
    expect(run.code).toBe(3);
    expect(byId.get('login')).toMatchObject({ status: 'fail', blocks: false });
    expect(run.all).not.toContain('wrong-password-1');
  });

  it('an unreachable Casdoor is exit 5, not a checklist', async () => {
    const run = await runCli(['doctor', '--casdoor-url', 'https://127.0.0.1:1', '--client-id', 'x'], { home: home.home });
    expect(run.code).toBe(5);
  });
});
