/**
 * What a Casdoor admin (or release) changes, against the Casdoor-faithful provider, through the CLI:
 * the application's Scopes with the password, browser and device grants (and refresh afterwards),
 * the token formats, a refresh token expiry of 0, the Refresh Token grant off, the "Device login"
 * sign-in method, the device `interval` of 0 (v1.901–v3.26), and entries still holding a client secret.
 * Each refusal is checked for its exact exit code and message, and for the kubeconfig left byte-identical.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import yaml from 'js-yaml';
import type { Io } from '../../src/ports/io.js';
import { main } from '../../src/cli/main.js';
import { Output } from '../../src/ports/output.js';
import type { CasdoorApplication } from '../../src/demo/casdoor/model.js';
import { visit, type DemoEnvironment } from '../../src/demo/index.js';
import { createHttpClient } from '../../src/oidc/http.js';
import { openSession } from '../../src/usecases/login.js';
import { tryCachedToken } from '../../src/token/fast.js';
import { loginWithGrant } from '../../src/usecases/token.js';
import type { CliRun } from '../helpers/cli.js';
import { rejected } from '../helpers/errors.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { aliceContext, setupArgs, useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;
const PASSWORD = 'correct-horse';
const ORIGINAL = 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\ncurrent-context: ""\n# kept byte for byte\n';

let env: DemoEnvironment;
let home: TempHome;
let saved: { application: string; behaviour: string };

useDemoEnvironment({ provider: { autoLoginAs: 'alice' } }, (e, h) => {
  env = e;
  home = h;
});

beforeEach(async () => {
  saved = { application: JSON.stringify(env.provider.application), behaviour: JSON.stringify(env.provider.behaviour) };
  // Device polls every second here (Casdoor sends 5): the tests wait on real polls.
  env.provider.behaviour.deviceInterval = 1;
  await writeFile(home.kubeconfig, ORIGINAL, { mode: 0o600 });
});
afterEach(() => {
  Object.assign(env.provider.application, JSON.parse(saved.application) as CasdoorApplication);
  Object.assign(env.provider.behaviour, JSON.parse(saved.behaviour));
});

const app = (): CasdoorApplication => env.provider.application;

/**
 * The CLI in process, as __tests__/helpers/cli.ts runs it, with a person at the other end: every URL
 * the tool shows (sign-in page, device page) is opened in the demo's scripted browser, which the
 * provider's autoLoginAs signs in as alice.
 */
async function cli(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const visits: Array<Promise<unknown>> = [];
  const opened = new Set<string>();
  const stdin = Readable.from([]) as Readable & { isTTY?: boolean };
  stdin.isTTY = false;
  const io: Io = {
    env: { HOME: home.home, NO_COLOR: '1', CASDOOR_PASSWORD: PASSWORD, ...extraEnv },
    stdin,
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: {
      write: (s: string) => {
        stderr += s;
        for (const m of s.matchAll(/https:\/\/\S+\/login\/oauth\/(?:authorize\?|device\/)\S+/g)) {
          if (opened.has(m[0])) continue;
          opened.add(m[0]);
          visits.push(visit(m[0], { ca: env.caPem }).catch(() => undefined));
        }
        return true;
      },
      isTTY: false,
    },
    homeDir: home.home,
    cwd: home.home,
    now: () => new Date(),
  };
  const code = await main(args, io);
  await Promise.all(visits);
  return { code, stdout, stderr, all: stdout + stderr };
}

const GRANTS = ['password', 'browser', 'device'] as const;

function setup(grant: (typeof GRANTS)[number], extra: string[] = []): Promise<CliRun> {
  return cli([...setupArgs(env, home, ['--grant', grant, ...(grant === 'password' ? [] : ['--no-browser']), ...extra]).filter((a, i, all) => grant === 'password' || (a !== '--username' && all[i - 1] !== '--username'))]);
}

async function expectRefused(run: CliRun, code: number, message: string, hint?: RegExp): Promise<void> {
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code });
  expect(run.stderr).toContain(`error: ${message}`);
  if (hint) expect(run.stderr).toMatch(hint);
  expect(run.all).not.toContain(PASSWORD);
  expect(run.all).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
  expect(await readFile(home.kubeconfig, 'utf8')).toBe(ORIGINAL);
}

describe("the application's Scopes (object/token_oauth_util.go IsScopeValidAndExpand)", () => {
  beforeEach(() => {
    app().scopes = [{ name: 'k8s', displayName: 'Kubernetes', description: 'kubectl access' }];
  });

  for (const grant of GRANTS) {
    it(`${grant}: no --scope logs in (an empty scope is always valid), and refresh keeps working`, async () => {
      const run = await setup(grant);
      expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
      expect(run.stderr).toContain('Casdoor renewed the token once');
      const stat = { password: 'passwordGrants', browser: 'codeGrants', device: 'deviceGrants' } as const;
      expect(env.provider.stats[stat[grant]]).toBe(1);
      const again = await cli(['refresh', '--kubeconfig', home.kubeconfig]);
      expect({ code: again.code, stderr: again.stderr }).toMatchObject({ code: 0 });
      expect(again.stderr).toContain('Refreshed the tokens of user');
    });
  }

  it('password: a scope the application does not list is refused with exit 3, naming it, before anything is written', async () => {
    const run = await setup('password', ['--scope', 'openid']);
    await expectRefused(
      run,
      3,
      'Casdoor refused the request (invalid_scope): "the requested scope is invalid or not defined in the application".',
      /The application defines Scopes in Casdoor and the scope "openid" is not among them\. Ask only for scopes the application lists \(--scope\), or for none \(--scope '': an empty scope is always accepted\), or add the scope to the application's Scopes\./,
    );
  });

  it('browser: Casdoor shows an "Invalid scope" page and never redirects back; the tool said beforehand what that page means', async () => {
    const http = createHttpClient({ env: {}, caPem: env.caPem });
    let shown = '';
    const pages: string[] = [];
    try {
      const session = await openSession(http, env.provider.issuer);
      const out = new Output({ env: { NO_COLOR: '1' }, stdout: { write: () => true }, stderr: { write: (s: string) => (shown += s) } });
      const openUrl = async (url: string): Promise<void> => {
        pages.push((await visit(url, { ca: env.caPem })).body);
      };
      const err = await rejected(
        loginWithGrant(session, { clientId: env.provider.clientId }, { grant: 'browser', scope: 'openid' }, { out, now: () => new Date(), interactive: false, openUrl, browserTimeoutMs: 1500 }),
      );
      expect(err.message).toMatch(/^No sign-in came back within 2 s/);
    } finally {
      await http.close();
    }
    // object/token_oauth_util.go CheckOAuthLogin → "Invalid scope", shown by Casdoor's page.
    expect(pages[0]).toContain('Invalid scope');
    expect(shown).toContain('If Casdoor shows "Invalid scope": The application defines Scopes in Casdoor and the scope "openid" is not among them.');
    expect(env.provider.stats.codeGrants).toBe(0);
  });

  it('device: the refused scope is reported (Casdoor checks it at /api/device-auth or after the approval, by release)', async () => {
    const run = await setup('device', ['--scope', 'openid profile']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/invalid_scope/);
    expect(run.stderr).toContain('The application defines Scopes in Casdoor and one of the scopes "openid", "profile" is not among them.');
    expect(await readFile(home.kubeconfig, 'utf8')).toBe(ORIGINAL);
  });

  it('a listed scope is asked for and kept in the exec entry for `token`', async () => {
    // (any existing executable: the entry is only read here, not run)
    const run = await setup('password', ['--scope', 'k8s', '--mode', 'exec', '--exec-command', process.execPath]);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    const doc = yaml.load(await readFile(home.kubeconfig, 'utf8')) as any;
    const args = doc.users[0].user.exec.args as string[];
    expect(args).toEqual(expect.arrayContaining(['--scope', 'k8s']));
    // The tokens setup cached are where kubectl's hot path (token/fast.ts) looks for them with these args.
    let printed = '';
    expect(tryCachedToken(args.slice(1), {}, (t) => (printed += t), Date.now(), () => home.home)).toBe(true);
    expect(JSON.parse(printed).kind).toBe('ExecCredential');
  });
});

describe('token formats (object/token_jwt.go generateJwtTokenInternal)', () => {
  it('JWT-Standard: the username claim follows (preferred_username), the summary says why, and that groups will not work', async () => {
    app().tokenFormat = 'JWT-Standard';
    const run = await setup('password', ['--json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ tokenFormat: 'JWT-Standard', usernameClaim: 'preferred_username', username: 'alice', groups: [] });
    expect(run.stderr).toMatch(/username\s+alice\s+claim "preferred_username" \(Casdoor's JWT-Standard format puts the username in "preferred_username" and the display name in "name"\)/);
    expect(summary.warnings.map((w: { code: string }) => w.code)).toEqual(expect.arrayContaining(['username-claim-chosen', 'groups-not-in-format']));
    expect(run.stderr).toContain('RBAC bindings on groups will not match anyone: set the application\'s "Token format" to JWT');
  });

  it('JWT-Standard with --username-claim name: kept as given, with the display-name warning', async () => {
    app().tokenFormat = 'JWT-Standard';
    const run = await setup('password', ['--json', '--username-claim', 'name']);
    const summary = JSON.parse(run.stdout);
    expect(summary.usernameClaim).toBe('name');
    expect(summary.warnings.map((w: { code: string }) => w.code)).toContain('name-is-display-name');
  });

  it('JWT-Empty: name is the username, and no groups', async () => {
    app().tokenFormat = 'JWT-Empty';
    const summary = JSON.parse((await setup('password', ['--json'])).stdout);
    expect(summary).toMatchObject({ tokenFormat: 'JWT-Empty', usernameClaim: 'name', username: 'alice' });
    expect(summary.warnings.map((w: { code: string }) => w.code)).toContain('groups-not-in-format');
  });

  it('JWT-Custom without Groups among the Token fields: says what to add', async () => {
    app().tokenFormat = 'JWT-Custom';
    app().tokenFields = ['Name', 'Email'];
    const summary = JSON.parse((await setup('password', ['--json'])).stdout);
    expect(summary).toMatchObject({ tokenFormat: 'JWT-Custom', usernameClaim: 'name', username: 'alice' });
    expect(summary.warnings.find((w: { code: string }) => w.code === 'custom-groups-missing').message).toContain('add Groups to the application\'s "Token fields" in Casdoor');
  });

  it('JWT (the default): name, groups, no format warning', async () => {
    const summary = JSON.parse((await setup('password', ['--json'])).stdout);
    expect(summary).toMatchObject({ tokenFormat: 'JWT', usernameClaim: 'name', groups: ['k8s-org/admins'] });
    expect(summary.warnings.filter((w: { code: string }) => /format|custom|claim-chosen/.test(w.code))).toEqual([]);
  });
});

describe('refresh expiry and the Refresh Token grant', () => {
  it('"Refresh token expire" 0: the refresh token dies with the id_token; warned, naming the setting', async () => {
    app().refreshExpireInHours = 0;
    const run = await setup('password', ['--json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.refresh.status).toBe('proven');
    expect(summary.refresh.expiresAt).toBe(summary.expiresAt);
    expect(run.stderr).toContain(
      'The refresh token expires together with the id_token: the application\'s "Refresh token expire" in Casdoor is 0, which gives the refresh token the access token\'s lifetime.',
    );
    expect(summary.warnings.map((w: { code: string }) => w.code)).toContain('refresh-expires-with-token');
  });

  it('the Refresh Token grant off: written with a warning, renewal "not possible"', async () => {
    app().grantTypes = app().grantTypes.filter((g) => g !== 'refresh_token');
    const run = await setup('password', ['--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).refresh).toMatchObject({ status: 'grant-disabled' });
    expect(run.stderr).toMatch(/renewal\s+not possible \(the "Refresh Token" grant is not enabled\)/);
    expect(run.stderr).toContain('enable the "Refresh Token" grant type in the application');
  });

  it('the Refresh Token grant off with a wrong client secret: introspection still catches the secret (exit 3)', async () => {
    app().grantTypes = app().grantTypes.filter((g) => g !== 'refresh_token');
    const run = await cli([...setupArgs(env, home, [], { clientSecret: 'not-the-secret-42' })]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^error: Casdoor refused the client secret.*; nothing was written\.$/m);
    expect(run.all).not.toContain('not-the-secret-42');
    expect(await readFile(home.kubeconfig, 'utf8')).toBe(ORIGINAL);
  });
});

describe('device flow (controllers/auth.go DeviceAuth)', () => {
  it('without the "Device login" sign-in method (v3.27+): exit 3 saying exactly that', async () => {
    app().signinMethods = app().signinMethods.filter((m) => m.name !== 'Device login');
    const run = await setup('device');
    await expectRefused(
      run,
      3,
      'Casdoor refused the device login (unauthorized_client): "device login is not enabled for this application".',
      /The application lacks the "Device login" sign-in method \(required since Casdoor v3\.27\): add it under the application's "Sign-in methods"/,
    );
  });

  it('interval 0 (v1.901–v3.26): one poll every 5 s, counted with a fake sleep, never a tight loop', async () => {
    env.provider.behaviour.deviceInterval = 0;
    const http = createHttpClient({ env: {}, caPem: env.caPem });
    const sleeps: number[] = [];
    let shown = '';
    try {
      const session = await openSession(http, env.provider.issuer);
      const out = new Output({ env: { NO_COLOR: '1' }, stdout: { write: () => true }, stderr: { write: (s: string) => (shown += s) } });
      const sleep = async (ms: number): Promise<void> => {
        sleeps.push(ms);
        // The person approves after the third pending poll.
        if (sleeps.length === 4) await env.provider.approveDevice(/\(code (\S+)\)/.exec(shown)?.[1] as string, 'alice');
      };
      const login = await loginWithGrant(session, { clientId: env.provider.clientId }, { grant: 'device' }, { out, now: () => new Date(), interactive: false, openUrl: async () => undefined, sleep });
      expect(login.verified.claims.name).toBe('alice');
    } finally {
      await http.close();
    }
    expect(sleeps).toEqual([5000, 5000, 5000, 5000]);
    expect(env.provider.stats.devicePolls).toBe(4);
  });
});

describe('entries that still hold the client secret (routers/base.go getUsernameByClientIdSecret)', () => {
  async function handWrittenEntry(): Promise<void> {
    expect((await setup('password')).code).toBe(0);
    const doc = yaml.load(await readFile(home.kubeconfig, 'utf8')) as any;
    // As Casdoor's guide writes it (and earlier versions of this tool did).
    doc.users[0].user['auth-provider'].config['client-secret'] = env.provider.clientSecret;
    await writeFile(home.kubeconfig, yaml.dump(doc), { mode: 0o600 });
  }

  it('refresh warns with the reason and the command; --remove-client-secret takes it out in the same write', async () => {
    await handWrittenEntry();
    const warned = await cli(['refresh', '--kubeconfig', home.kubeconfig]);
    expect(warned.code).toBe(0);
    const userName = (yaml.load(await readFile(home.kubeconfig, 'utf8')) as any).users[0].name as string;
    expect(warned.stderr).toContain(
      `users[${userName}].user.auth-provider.config.client-secret in ${home.kubeconfig} holds the Casdoor application's client secret, which Casdoor accepts as an administrator of every API`,
    );
    expect(warned.stderr).toContain(`Remove it with: casdoor-kubeconfig refresh --context ${aliceContext(env)} --remove-client-secret`);
    expect(warned.all).not.toContain(env.provider.clientSecret);

    const before = (yaml.load(await readFile(home.kubeconfig, 'utf8')) as any).users[0].user['auth-provider'].config;
    const removed = await cli(['refresh', '--kubeconfig', home.kubeconfig, '--remove-client-secret']);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toContain('Removed the client secret from user');
    const text = await readFile(home.kubeconfig, 'utf8');
    expect(text).not.toContain(env.provider.clientSecret);
    const after = (yaml.load(text) as any).users[0].user['auth-provider'].config;
    const { 'client-secret': _s, 'id-token': _i, 'refresh-token': _r, ...rest } = before;
    const { 'id-token': _i2, 'refresh-token': _r2, ...restAfter } = after;
    expect(restAfter).toEqual(rest);
    expect(after['refresh-token']).not.toBe(before['refresh-token']);
  });

  it('setup and whoami name the entry holding a secret and the command that removes it', async () => {
    await handWrittenEntry();
    const doc = yaml.load(await readFile(home.kubeconfig, 'utf8')) as any;
    // Another context: setup writes a new one next to the old entry, which keeps its secret until removed.
    const run = await setup('password', ['--user', 'alice-new', '--context', 'new-context']);
    expect(run.code).toBe(0);
    const advice = `Remove it with: casdoor-kubeconfig refresh --context ${doc.contexts[0].name} --remove-client-secret`;
    expect(run.stderr).toContain(advice);
    expect(run.all).not.toContain(env.provider.clientSecret);
    const who = await cli(['whoami', '--kubeconfig', home.kubeconfig, '--context', doc.contexts[0].name]);
    expect(who.stderr).toContain(advice);
    expect(who.all).not.toContain(env.provider.clientSecret);
  });

  itKubectl("kubectl's own oidc refresh works on the entry without the secret (Casdoor checks it only if sent)", async () => {
    expect((await setup('password')).code).toBe(0);
    const doc = yaml.load(await readFile(home.kubeconfig, 'utf8')) as any;
    const config = doc.users[0].user['auth-provider'].config;
    expect(config).not.toHaveProperty('client-secret');
    // An id-token kubectl sees as expired makes it refresh with the refresh token, client id and nothing else.
    config['id-token'] = await env.provider.mintIdToken('alice', { ttl: -60 });
    await writeFile(home.kubeconfig, yaml.dump(doc), { mode: 0o600 });
    env.provider.resetStats();
    const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig, env: { HOME: home.home } });
    expect({ code: who.code, stderr: who.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
    expect(env.provider.stats.refreshGrants).toBe(1);
    const after = (yaml.load(await readFile(home.kubeconfig, 'utf8')) as any).users[0].user['auth-provider'].config;
    expect(after['refresh-token']).not.toBe(config['refresh-token']);
    expect(after).not.toHaveProperty('client-secret');
  });
});
