/**
 * `casdoor-app apply` end to end against the Casdoor emulator with its admin API (Casdoor's
 * authorization rules, masking, whole-object updates, HTTP-200 errors): a missing application is
 * created, a half-configured one fixed with every other field kept, a correct one left unwritten,
 * another organization's admin refused with Casdoor's message, --dry-run writes nothing, and `setup`
 * then works against the application apply made. The admin's browser login (auth code + PKCE against
 * app-built-in) runs once through the use case with a scripted browser.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from '@jest/globals';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { visit } from '../../src/demo/browser.js';
import { DEFAULT_ORGANIZATION } from '../../src/demo/users.js';
import { makeApplication, type CasdoorApplication } from '../../src/demo/casdoor/model.js';
import { Output } from '../../src/ports/output.js';
import { createHttpClient } from '../../src/oidc/http.js';
import { browserLogin } from '../../src/oidc/browser-login.js';
import { runApply } from '../../src/usecases/casdoor-app.js';
import { CasdoorApi, CasdoorApiError } from '../../src/casdoor/api.js';
import type { CasdoorUser } from '../../src/casdoor/model.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { accessToken, addAdmins, adminRoutes, ADMIN, ADMIN_CLI_CLIENT_ID, ORG_ADMIN, OTHER_ADMIN, OTHER_CLIENT_ID } from '../helpers/casdoor-admin.js';
import { useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const admin = adminRoutes();
let env: DemoEnvironment;
let home: TempHome;
let ready = false;
let globalToken = '';

useDemoEnvironment({ provider: { routes: admin.routes, adminPassword: admin.adminPassword } }, (e, h) => {
  env = e;
  home = h;
});

beforeEach(async () => {
  if (!ready) {
    addAdmins(env.provider.model, DEFAULT_ORGANIZATION);
    globalToken = await accessToken(env.provider, ADMIN_CLI_CLIENT_ID, ADMIN);
    ready = true;
  }
  for (const name of ['k8s-new', 'half', 'dry']) env.provider.model.applications.delete(`admin/${name}`);
  Object.assign(admin.stats, { reads: 0, writes: 0, refused: 0 });
});

const apply = (args: string[], token: string): Promise<CliRun> =>
  runCli(['casdoor-app', 'apply', '--casdoor-url', env.provider.issuer, '--casdoor-ca', env.caFile, '--organization', DEFAULT_ORGANIZATION, ...args], {
    home: home.home,
    env: { CASDOOR_ADMIN_TOKEN: token, KUBECONFIG: undefined },
  });

const stored = (name: string): CasdoorApplication | undefined => env.provider.model.getApplication(`admin/${name}`);

function halfConfigured(): CasdoorApplication {
  // What a bare add-application leaves (controllers/application.go AddApplication + extendApplicationWithSigninMethods), plus admin choices to keep.
  return env.provider.model.addApplication(
    makeApplication({
      name: 'half',
      organization: DEFAULT_ORGANIZATION,
      cert: 'cert-built-in',
      clientId: 'ha1fc0nf1gured000001',
      clientSecret: 'h'.repeat(40),
      grantTypes: ['authorization_code', 'client_credentials'],
      signinMethods: [{ name: 'Face ID', displayName: 'Face ID', rule: 'None' }],
      expireInHours: 0,
      refreshExpireInHours: 0,
      homepageUrl: 'https://keep.example.com',
      extra: { description: 'kept as it was', providers: [] },
    }),
  );
}

describe('casdoor-app apply', () => {
  it('creates a missing application from a complete object; setup then works against it', async () => {
    const run = await apply(['--name', 'k8s-new', '--device', '--yes'], globalToken);
    expect(run.code).toBe(0);
    const app = stored('k8s-new');
    expect(app).toMatchObject({ organization: DEFAULT_ORGANIZATION, tokenFormat: 'JWT', expireInHours: 1, refreshExpireInHours: 168, isShared: false, scopes: [] });
    expect(app?.grantTypes).toEqual(expect.arrayContaining(['password', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code']));
    expect(app?.signinMethods.map((m) => m.name)).toEqual(['Password', 'Device login']);
    expect(run.stderr).toContain(`Client ID: ${app?.clientId}`);
    expect(run.stderr).toMatch(/apiserver-config[\s\S]*rbac[\s\S]*generate/);
    expect(run.all).not.toContain(app?.clientSecret);
    expect(admin.stats.writes).toBe(1);

    const setup = await runCli(
      ['setup', '--non-interactive', '--casdoor-url', env.provider.issuer, '--client-id', app?.clientId as string, '--username', 'alice', '--casdoor-ca', env.caFile,
        '--server', env.apiserver.url, '--certificate-authority', env.caFile, '--kubeconfig', home.kubeconfig],
      { home: home.home, env: { CASDOOR_PASSWORD: 'correct-horse', KUBECONFIG: undefined } },
    );
    expect(setup.code).toBe(0);
    expect(await readFile(home.kubeconfig, 'utf8')).toContain(app?.clientId as string);
  });

  it('fixes a half-configured application: only what Kubernetes needs changes, the rest is written back as read', async () => {
    halfConfigured();
    const run = await apply(['--name', 'half', '--yes'], globalToken);
    expect(run.code).toBe(0);
    const app = stored('half');
    expect(app?.grantTypes).toEqual(['authorization_code', 'client_credentials', 'password', 'refresh_token']);
    expect(app?.signinMethods.map((m) => m.name)).toEqual(['Password', 'Face ID']);
    expect(app).toMatchObject({ expireInHours: 1, refreshExpireInHours: 168, clientSecret: 'h'.repeat(40), clientId: 'ha1fc0nf1gured000001', homepageUrl: 'https://keep.example.com' });
    expect(app?.extra).toMatchObject({ description: 'kept as it was' });
    expect(run.stderr).toContain('-  "refreshExpireInHours": 0');
    expect(run.all).not.toContain('h'.repeat(40));
  });

  it('leaves an already-correct application alone: no write', async () => {
    const run = await apply(['--name', 'kubernetes'], globalToken);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/already has everything Kubernetes needs; nothing was written/);
    expect(admin.stats.writes).toBe(0);
  });

  it('the client secret is printed only with --show-client-secret, on stdout, never in --json', async () => {
    const plain = await apply(['--name', 'kubernetes', '--json'], globalToken);
    expect(plain.all).not.toContain(env.provider.clientSecret);
    const shown = await apply(['--name', 'kubernetes', '--json', '--show-client-secret'], globalToken);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Client secret: ${env.provider.clientSecret}`);
    expect(shown.stderr).not.toContain(env.provider.clientSecret);
    expect(JSON.parse(shown.stdout.slice(0, shown.stdout.indexOf('Client secret:')))).not.toHaveProperty('clientSecret');
  });

  it('--dry-run prints the change as a diff and writes nothing', async () => {
    halfConfigured();
    const before = structuredClone(stored('half'));
    const run = await apply(['--name', 'half', '--dry-run'], globalToken);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^--- admin\/half in Casdoor\n\+\+\+ admin\/half after apply\n/);
    expect(run.stdout).toContain('+  "grantTypes": ["authorization_code","client_credentials","password","refresh_token"]');
    expect(stored('half')).toEqual(before);
    expect(admin.stats.writes).toBe(0);
  });

  it('without --yes and without a terminal nothing is changed (exit 2)', async () => {
    const run = await apply(['--name', 'k8s-new'], globalToken);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/needs a confirmation/);
    expect(stored('k8s-new')).toBeUndefined();
  });

  it('an admin of another organization is refused with Casdoor\'s message, nothing created', async () => {
    const token = await accessToken(env.provider, OTHER_CLIENT_ID, OTHER_ADMIN);
    const run = await apply(['--name', 'k8s-new', '--yes'], token);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('Casdoor refused /api/add-application: "Unauthorized operation"');
    expect(stored('k8s-new')).toBeUndefined();
    expect(admin.stats.refused).toBeGreaterThan(0);
  });

  it('an admin of another organization sees the existing application masked and changes nothing', async () => {
    halfConfigured();
    const before = structuredClone(stored('half'));
    const token = await accessToken(env.provider, OTHER_CLIENT_ID, OTHER_ADMIN);
    const run = await apply(['--name', 'half', '--yes'], token);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/masked/);
    expect(stored('half')).toEqual(before);
  });

  it('an admin of the application\'s own organization may apply', async () => {
    halfConfigured();
    const token = await accessToken(env.provider, env.provider.clientId, ORG_ADMIN);
    const run = await apply(['--name', 'half', '--yes', '--json'], token);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ action: 'updated', application: 'half', clientId: 'ha1fc0nf1gured000001' });
    expect(run.stdout).not.toContain('h'.repeat(40));
  });

  it('--users creates the missing users with groups and generated passwords kept only in the 0600 file', async () => {
    await apply(['--name', 'k8s-new', '--yes'], globalToken);
    const roster = path.join(home.home, 'team.csv');
    await writeFile(roster, 'username,groups\nerin,k8s-org/dev k8s-org/ops\nalice,k8s-org/new-team\n');
    const pw = path.join(home.home, 'pw.csv');
    const aliceGroups = [...(env.provider.model.getUser(DEFAULT_ORGANIZATION, 'alice')?.groups ?? [])];
    const run = await apply(['--name', 'k8s-new', '--yes', '--users', roster, '--passwords', pw], globalToken);
    expect(run.code).toBe(0);
    const erin = env.provider.model.getUser(DEFAULT_ORGANIZATION, 'erin');
    expect(erin?.groups).toEqual(['k8s-org/dev', 'k8s-org/ops']);
    expect(erin?.signupApplication).toBe('k8s-new');
    // Existing users are left as they are without --update-groups.
    expect(env.provider.model.getUser(DEFAULT_ORGANIZATION, 'alice')?.groups).toEqual(aliceGroups);
    expect(env.provider.model.groups.map((g) => `${g.owner}/${g.name}`)).toEqual(expect.arrayContaining(['k8s-org/dev', 'k8s-org/ops']));
    expect((await stat(pw)).mode & 0o777).toBe(0o600);
    const line = (await readFile(pw, 'utf8')).split('\n').find((l) => l.startsWith('erin,'));
    const password = line?.slice('erin,'.length) ?? '';
    expect(password.length).toBeGreaterThan(16);
    expect(erin?.password).toBe(password);
    expect(run.all).not.toContain(password);

    // A second run: erin exists now, the file's password is reused for nobody, alice's groups change only with --update-groups.
    // alice's OAuth token in `properties`, masked as "***" by get-users, is kept: only the groups column is written.
    const aliceBefore = env.provider.model.getUser(DEFAULT_ORGANIZATION, 'alice');
    if (aliceBefore) aliceBefore.properties = { ...aliceBefore.properties, oauth_GitHub_accessToken: 'gho_kept' };
    const again = await apply(['--name', 'k8s-new', '--yes', '--users', roster, '--passwords', pw, '--update-groups'], globalToken);
    expect(again.code).toBe(0);
    const alice = env.provider.model.getUser(DEFAULT_ORGANIZATION, 'alice');
    expect(alice?.groups).toEqual(['k8s-org/new-team']);
    expect(alice?.properties['oauth_GitHub_accessToken']).toBe('gho_kept');
    expect(alice?.password).not.toBe('***');
    expect(env.provider.model.users.filter((u) => u.name === 'erin')).toHaveLength(1);
    if (alice) {
      alice.groups = aliceGroups;
      delete alice.properties['oauth_GitHub_accessToken'];
    }
  });

  it('the emulator is as strict as Casdoor: update-user without columns writes get-users\' "***" back; add-group refuses a taken name', async () => {
    const api = new CasdoorApi({ http: createHttpClient({ env: {}, caPem: env.caPem }), origin: env.provider.issuer, bearer: globalToken });
    const bob = env.provider.model.getUser(DEFAULT_ORGANIZATION, 'bob');
    if (!bob) throw new Error('no bob');
    const saved = structuredClone(bob);
    try {
      bob.properties = { oauth_GitHub_accessToken: 'gho_secret', note: 'n' };
      const read = (await api.getUsers(DEFAULT_ORGANIZATION)).find((u) => u.name === 'bob');
      expect(read?.['properties']).toEqual({ oauth_GitHub_accessToken: '***', note: 'n' });
      // The default columns (object/user.go UpdateUser) include properties: the mask is stored.
      await api.updateUser({ ...read, displayName: 'Bob' } as CasdoorUser, []);
      expect(bob.properties).toEqual({ oauth_GitHub_accessToken: '***', note: 'n' });
      expect(bob.password).toBe(saved.password); // "***" is restored
      expect(bob.displayName).toBe('Bob');
      // A display name changed to "" needs allowEmpty (object/user_util.go CheckPermissionForUpdateUser).
      await expect(api.updateUser({ ...read, displayName: '' } as CasdoorUser, ['groups'])).rejects.toThrow(/Display name cannot be empty/);
    } finally {
      Object.assign(bob, saved);
    }
    env.provider.model.groups.push({ owner: 'other-org', name: 'taken', createdTime: '', displayName: 'taken', parentId: 'other-org', isTopGroup: true, type: 'Virtual', isEnabled: true });
    try {
      const err = await api.addGroup({ owner: DEFAULT_ORGANIZATION, name: 'taken', displayName: 'taken' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CasdoorApiError);
      expect((err as CasdoorApiError).message).toMatch(/Duplicate entry 'taken'/);
      expect((err as CasdoorApiError).hint).toMatch(/unique across organizations/);
    } finally {
      const groups = env.provider.model.groups;
      groups.splice(groups.findIndex((g) => g.name === 'taken'), 1);
    }
  });
});

describe('casdoor-app apply: the admin logs in with the browser against app-built-in', () => {
  it('authorization code + PKCE on a loopback port, no client secret; then creates the application', async () => {
    env.provider.settings.autoLoginAs = ADMIN.name;
    const http = createHttpClient({ env: {}, caPem: env.caPem });
    let stderr = '';
    const out = new Output({ env: { NO_COLOR: '1' }, stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } });
    const visits: Array<Promise<unknown>> = [];
    try {
      const result = await runApply(
        { casdoorUrl: env.provider.issuer, spec: { name: 'k8s-new', organization: DEFAULT_ORGANIZATION, device: false }, dryRun: false, yes: true, showClientSecret: false },
        {
          out,
          http,
          adminLogin: async (session, clientId) => {
            const login = await browserLogin({ http, meta: session.meta, client: { clientId }, notify: () => undefined, openUrl: async (url) => void visits.push(visit(url, { ca: env.caPem })) });
            return login.tokens.accessToken ?? login.tokens.idToken;
          },
        },
      );
      await Promise.all(visits);
      expect(result.action).toBe('created');
      expect(stored('k8s-new')?.grantTypes).toContain('refresh_token');
      expect(stderr).toContain('Created admin/k8s-new');
    } finally {
      env.provider.settings.autoLoginAs = undefined;
      await http.close();
    }
  });
});

const itKubectl = requireKubectl() ? it : it.skip;

describe('from no application to a teammate\'s kubectl auth whoami: apply, apiserver-config, rbac, generate', () => {
  itKubectl('the admin\'s four commands are enough', async () => {
    // The API server of the demo trusts one client id: the new application takes it (the demo's own is removed meanwhile).
    const demoApp = env.provider.model.applications.get('admin/kubernetes') as CasdoorApplication;
    env.provider.model.applications.delete('admin/kubernetes');
    const pw = path.join(home.home, 'pw.csv');
    try {
      const roster = path.join(home.home, 'team.csv');
      await writeFile(roster, 'username,namespace,groups\nfrank,team-f,k8s-org/platform\n');
      const applied = await apply(['--name', 'k8s-new', '--client-id', env.provider.clientId, '--yes', '--users', roster, '--passwords', pw], globalToken);
      expect(applied.code).toBe(0);

      const common = ['--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--casdoor-ca', env.caFile];
      const config = await runCli(['apiserver-config', ...common, '--format', 'flags'], { home: home.home });
      expect(config.code).toBe(0);
      expect(config.stdout).toContain(`--oidc-client-id=${env.provider.clientId}`);
      const rbac = await runCli(['rbac', '--group', 'k8s-org/platform', '--cluster-role', 'view'], { home: home.home });
      expect(rbac.code).toBe(0);
      expect(rbac.stdout).toContain('k8s-org/platform');

      const outDir = path.join(home.home, 'out');
      const generated = await runCli(['generate', '--roster', roster, '--out-dir', outDir, ...common, '--server', env.apiserver.url, '--certificate-authority', env.caFile, '--mode', 'auth-provider', '--passwords', pw], { home: home.home, env: { KUBECONFIG: undefined } });
      expect(generated.code).toBe(0);
      const whoami = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: path.join(outDir, 'frank.kubeconfig') });
      expect(whoami.code).toBe(0);
      expect(JSON.parse(whoami.stdout).status.userInfo).toMatchObject({ username: 'frank', groups: expect.arrayContaining(['k8s-org/platform']) });
    } finally {
      env.provider.model.applications.delete('admin/k8s-new');
      env.provider.model.applications.set('admin/kubernetes', demoApp);
      const i = env.provider.model.users.findIndex((u) => u.name === 'frank');
      if (i >= 0) env.provider.model.users.splice(i, 1);
    }
  });
});
