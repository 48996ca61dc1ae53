/**
 * The setup wizard end to end against the local Casdoor-like provider and API server, two ways:
 * - through `main([], io)` with a fake terminal (stdin/stderr report isTTY) and keystrokes typed into
 *   the real inquirer prompts, as a person would;
 * - through the same flow with scripted answers (src/wizard/scripted.ts), to assert exactly which
 *   questions were asked.
 * The kubeconfig written is then used by the real kubectl.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { spawn, type ChildProcess } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import type { Io } from '../../src/ports/io.js';
import { main } from '../../src/cli/main.js';
import { Output } from '../../src/ports/output.js';
import type { SetupFlags } from '../../src/cli/setup.js';
import { startDemoEnvironment, type DemoEnvironment } from '../../src/demo/index.js';
import { CliError } from '../../src/errors.js';
import { createHttpClient } from '../../src/oidc/http.js';
import type { SetupDeps } from '../../src/usecases/setup.js';
import { tryCachedToken } from '../../src/token/fast.js';
import { keyOf, storeLogin } from '../../src/usecases/token.js';
import { runWizardCommand } from '../../src/wizard/command.js';
import { DEFAULT, INTERRUPT, scriptedPrompts, type Script, type ScriptedPrompts } from '../../src/wizard/scripted.js';
import type { Prompts } from '../../src/wizard/types.js';
import { DIST_BIN, runCli, stopChild } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;
const PASSWORD = 'correct-horse';
const CLIENT_SECRET = 'wizard-test-client-secret-value';

let env: DemoEnvironment;
let home: TempHome;

useDemoEnvironment({ provider: { clientSecret: CLIENT_SECRET } }, (e, h) => {
  env = e;
  home = h;
});

const serverHost = (): string => new URL(env.apiserver.url).host;
const contextName = (user = 'alice'): string => `${user}@${serverHost()}`;

async function readDoc(file = home.kubeconfig): Promise<Record<string, any>> {
  return yaml.load(await readFile(file, 'utf8')) as Record<string, any>;
}

// ---- a fake terminal for main(): keystrokes in, screen out ------------------------------------------

interface Terminal {
  io: Io;
  /** Waits until `text` appears after what earlier waits consumed, then types `keys`. */
  answer(text: string | RegExp, keys: string): Promise<void>;
  waitFor(text: string | RegExp): Promise<void>;
  screen(): string;
  stdout(): string;
}

function fakeTerminal(extraEnv: Record<string, string> = {}): Terminal {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = true;
  let screen = '';
  let stdout = '';
  let consumed = 0;
  const io: Io = {
    env: { HOME: home.home, KUBECONFIG: home.kubeconfig, NO_COLOR: '1', ...extraEnv },
    stdin,
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: Object.assign({ write: (s: string) => (screen += s), isTTY: true }, { columns: 160, rows: 50 }),
    homeDir: home.home,
    cwd: home.home,
    now: () => new Date(),
  };
  const plain = (): string => stripVTControlCharacters(screen);
  const waitFor = async (text: string | RegExp): Promise<void> => {
    const until = Date.now() + 15_000;
    for (;;) {
      const rest = plain().slice(consumed);
      const m = typeof text === 'string' ? { index: rest.indexOf(text), length: text.length } : ((r) => (r ? { index: r.index, length: r[0].length } : { index: -1, length: 0 }))(text.exec(rest));
      if (m.index >= 0) {
        consumed += m.index + m.length;
        return;
      }
      if (Date.now() > until) throw new Error(`timed out waiting for ${String(text)}; screen after the last match:\n${rest}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    io,
    waitFor,
    answer: async (text, keys) => {
      await waitFor(text);
      // Let the prompt finish rendering and start listening before the keys arrive.
      await new Promise((r) => setTimeout(r, 20));
      stdin.write(keys);
    },
    screen: plain,
    stdout: () => stdout,
  };
}

const ENTER = '\r';
const BACKSPACE = '\x7f';
const CTRL_C = '\x03';

/** Types the answers of a first run with nothing given: every question of the wizard. */
async function typeFullSetup(t: Terminal, o: { casdoorUrl?: string; beforeWrite?: () => Promise<void>; write?: string; apiserverConfig?: string } = {}): Promise<void> {
  await t.answer('Casdoor URL', `${o.casdoorUrl ?? env.provider.issuer}${ENTER}`);
  await t.answer("Casdoor's CA certificate file", `${env.caFile}${ENTER}`);
  await t.answer('Organization', ENTER);
  await t.answer('Application name', ENTER);
  await t.answer('Client ID', `${env.provider.clientId}${ENTER}`);
  await t.answer('Client secret', `${CLIENT_SECRET}${ENTER}`);
  await t.answer('How do you want to log in?', ENTER);
  await t.answer('Casdoor username', `alice${ENTER}`);
  await t.answer('Password for alice', `${PASSWORD}${ENTER}`);
  await t.answer('Username claim', ENTER);
  await t.answer('Groups claim', ENTER);
  await t.answer('API server URL', `${env.apiserver.url}${ENTER}`);
  await t.answer("How should kubectl check the API server's certificate?", ENTER);
  await t.answer("API server's CA certificate file", `${env.caFile}${ENTER}`);
  await t.answer('Use these names?', ENTER);
  await t.answer('Default namespace', `team-a${ENTER}`);
  await t.answer('Where should the result go?', ENTER);
  await t.answer('How should kubectl get your token?', ENTER);
  await t.waitFor('secrets redacted');
  await o.beforeWrite?.();
  await t.answer('Write these changes to', o.write ?? ENTER);
  // After a write: the check with the API server, then the offer for admins (default no).
  if (o.write === undefined) await t.answer('Show the API server configuration', o.apiserverConfig ?? ENTER);
}

describe('the wizard in a terminal (keystrokes into the real prompts through main)', () => {
  it('no command in a terminal starts the wizard; it ends with a context kubectl can use', async () => {
    const t = fakeTerminal();
    const done = main([], t.io);
    await typeFullSetup(t);
    expect(await done).toBe(0);
    const screen = t.screen();
    expect(screen).toContain('issuer is');
    expect(screen).toContain('The API server will see');
    expect(screen).toMatch(/username\s+alice/);
    expect(screen).toContain('Done.');
    expect(screen).toContain('kubectl auth whoami');
    // The wizard ends by asking the API server who it sees with the new context.
    expect(screen).toMatch(/The API server accepted context alice@[^\n]*\n\s+username\s+alice\n\s+groups\s+k8s-org\/admins, system:authenticated/);
    expect(t.stdout()).toBe('');
    for (const secret of [PASSWORD, CLIENT_SECRET]) expect(screen + t.stdout()).not.toContain(secret);
    expect(screen).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);

    const doc = await readDoc();
    expect(doc['current-context']).toBe(contextName());
    expect(doc.contexts[0].context.namespace).toBe('team-a');
    expect(doc.users[0].user['auth-provider'].config).toMatchObject({ 'idp-issuer-url': env.provider.issuer });
    // Asked, checked with Casdoor, never stored (a Casdoor admin credential).
    expect(doc.users[0].user['auth-provider'].config).not.toHaveProperty('client-secret');
    expect((await stat(home.kubeconfig)).mode & 0o777).toBe(0o600);
    expect(env.provider.stats.passwordGrants).toBe(1);

    const bin = kubectlBinary();
    if (bin) {
      const who = await runKubectl(bin, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig });
      expect(who.stderr).toBe('');
      expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
    }
  });

  it('setup --json in a terminal: the wizard on stderr, then the same JSON summary as without it on stdout', async () => {
    const t = fakeTerminal();
    const done = main(['setup', '--json'], t.io);
    await typeFullSetup(t);
    expect(await done).toBe(0);
    const summary = JSON.parse(t.stdout());
    expect(summary).toMatchObject({
      context: contextName(),
      server: env.apiserver.url,
      namespace: 'team-a',
      mode: 'auth-provider',
      currentContextSet: true,
      dryRun: false,
      loggedIn: true,
      username: 'alice',
      groups: ['k8s-org/admins'],
      files: [{ file: home.kubeconfig, created: true }],
    });
    expect(t.stdout()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(t.screen()).not.toContain('"context"');
  });

  it("a typo'd Casdoor URL: the error is shown and the URL comes back for editing in place", async () => {
    const t = fakeTerminal();
    const done = main([], t.io);
    const good = env.provider.issuer; // https://127.0.0.1:<port>
    const typo = good.replace(/:(\d+)$/, ':1'); // nothing listens on port 1
    await t.answer('Casdoor URL', `${typo}${ENTER}`);
    await t.waitFor('Connection refused by 127.0.0.1:1');
    // The prompt is back with the typo in the edit buffer: fix the port in place.
    await t.answer('Casdoor URL', `${BACKSPACE}${good.split(':').pop()}${ENTER}`);
    await t.answer("Casdoor's CA certificate file", CTRL_C);
    expect(await done).toBe(130);
    expect(t.screen()).toContain(`Casdoor URL (e.g. https://door.example.com): ${good}`);
    expect(existsSync(home.kubeconfig)).toBe(false);
  });

  it('Ctrl-C at the confirmation: exit 130, the kubeconfig byte for byte unchanged, no lock file', async () => {
    const before = 'apiVersion: v1\nkind: Config\n# a comment kubectl would drop\nclusters: []\nusers: []\ncontexts: []\ncurrent-context: ""\n';
    await writeFile(home.kubeconfig, before, { mode: 0o600 });
    const t = fakeTerminal();
    const done = main([], t.io);
    await typeFullSetup(t, { write: CTRL_C });
    expect(await done).toBe(130);
    expect(t.screen()).toContain('Interrupted; nothing was written.');
    expect(await readFile(home.kubeconfig, 'utf8')).toBe(before);
    expect(existsSync(`${home.kubeconfig}.lock`)).toBe(false);
  });
});

// ---- scripted answers: which questions are asked -----------------------------------------------------

const FLAG_DEFAULTS: SetupFlags = {
  setCurrentContext: true,
  usernameClaim: 'name',
  groupsClaim: 'groups',
  usernamePrefix: '-',
  mode: 'auth-provider',
  grant: 'password',
};

interface ScriptedRun {
  code: number;
  prompts: ScriptedPrompts;
  asked: string[];
  stderr: string;
  stdout: string;
}

/** Runs the wizard like `setup` in a terminal would, with scripted answers instead of keystrokes. */
async function wizard(
  script: Script,
  flags: Partial<SetupFlags> = {},
  given: string[] = Object.keys(flags),
  extraDeps: Partial<SetupDeps> = {},
  /** Wraps the scripted prompts, e.g. to change the kubeconfig while a question is open. */
  wrap: (prompts: Prompts) => Prompts = (p) => p,
): Promise<ScriptedRun> {
  let stderr = '';
  let stdout = '';
  const io: Io = {
    // PATH: the final check runs the exec entry as kubectl does, and dist/bin.js starts with `#!/usr/bin/env node`.
    env: { HOME: home.home, KUBECONFIG: home.kubeconfig, NO_COLOR: '1', PATH: path.dirname(process.execPath) },
    stdin: Object.assign(new PassThrough(), { isTTY: true }),
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    homeDir: home.home,
    cwd: home.home,
    now: () => new Date(),
  };
  const out = new Output(io);
  const deps: SetupDeps = {
    out,
    env: io.env,
    homeDir: io.homeDir,
    now: io.now,
    makeHttp: (caPem) => createHttpClient({ env: {}, ...(caPem ? { caPem } : {}) }),
    ...extraDeps,
  };
  const prompts = scriptedPrompts(script);
  let code = 0;
  try {
    await runWizardCommand({ ...FLAG_DEFAULTS, ...flags }, new Set(given), deps, io, wrap(prompts));
  } catch (err) {
    const { reportError } = await import('../../src/cli/main.js');
    code = reportError(err, out, false);
  }
  return { code, prompts, asked: prompts.asked.map((q) => q.id), stderr, stdout };
}

function fullScript(overrides: Script = {}): Script {
  return {
    casdoorUrl: env.provider.issuer,
    casdoorCa: env.caFile,
    organization: DEFAULT,
    application: DEFAULT,
    clientId: env.provider.clientId,
    clientSecret: CLIENT_SECRET,
    grant: 'password',
    username: 'alice',
    password: PASSWORD,
    usernameClaim: DEFAULT,
    groupsClaim: DEFAULT,
    server: env.apiserver.url,
    tls: 'file',
    certificateAuthority: env.caFile,
    keepNames: true,
    namespace: DEFAULT,
    target: 'merge',
    mode: 'auth-provider',
    write: true,
    ...overrides,
  };
}

describe('the wizard, scripted', () => {
  it('a cluster entry another context uses, given another server: asks, naming that context; no leaves the file byte-identical, yes re-points it', async () => {
    const host = new URL(env.apiserver.url).host;
    const shared = `apiVersion: v1\nkind: Config\nclusters:\n- name: ${host}\n  cluster: {server: https://k8s.other.example:6443}\nusers:\n- name: ci-robot\n  user: {token: static-ci-token-0000}\ncontexts:\n- name: ci\n  context: {cluster: ${host}, user: ci-robot}\ncurrent-context: ci\n`;
    await writeFile(home.kubeconfig, shared, { mode: 0o600 });
    const { write: _unasked, ...noWrite } = fullScript({ repoint: false });
    const declined = await wizard(noWrite);
    expect(declined.code).toBe(0);
    const q = declined.prompts.asked.find((a) => a.id === 'repoint');
    expect(q?.message).toBe(`The cluster entry "${host}" is also used by context "ci"; this setup changes it (server https://k8s.other.example:6443 → ${env.apiserver.url}). Re-point that context too?`);
    expect(declined.asked).not.toContain('write');
    expect(declined.stderr).toContain('Nothing was written.');
    expect(await readFile(home.kubeconfig, 'utf8')).toBe(shared);
    const yes = await wizard(fullScript({ repoint: true }));
    expect(yes.code).toBe(0);
    expect(yes.asked.indexOf('repoint')).toBeLessThan(yes.asked.indexOf('write'));
    expect(await readFile(home.kubeconfig, 'utf8')).toContain(`server: ${env.apiserver.url}`);
    expect(yes.stderr + yes.stdout).not.toContain('static-ci-token-0000');
  });

  it('asks every question once on a first run, in order', async () => {
    const run = await wizard(fullScript());
    expect(run.code).toBe(0);
    expect(run.asked).toEqual([
      'casdoorUrl', 'casdoorCa', 'organization', 'application', 'clientId', 'clientSecret', 'grant', 'username', 'password',
      'usernameClaim', 'groupsClaim', 'server', 'tls', 'certificateAuthority', 'keepNames', 'namespace', 'target', 'mode', 'write', 'apiserverConfig',
    ]);
    expect(run.prompts.unused()).toEqual([]);
  });

  it("JWT-Standard: the username claim question defaults to preferred_username, and the wizard says why (object/token_jwt.go UserStandard)", async () => {
    const saved = env.provider.application.tokenFormat;
    env.provider.application.tokenFormat = 'JWT-Standard';
    try {
      const run = await wizard(fullScript());
      expect(run.code).toBe(0);
      const question = run.prompts.asked.find((q) => q.id === 'usernameClaim');
      // DEFAULT takes the question's default: the format's claim.
      expect(question?.answer).toMatch(/^preferred_username \(alice\)$/);
      expect(run.stderr).toContain('Casdoor token format JWT-Standard (it has "preferred_username" and no "displayName"): Casdoor\'s JWT-Standard format puts the username in "preferred_username" and the display name in "name".');
      expect(run.stderr).toContain("Casdoor's JWT-Standard token format carries no groups, so RBAC bindings on groups will not match anyone");
    } finally {
      env.provider.application.tokenFormat = saved;
    }
  });

  it("wrong password: Casdoor's message, then the password is asked again (not a crash)", async () => {
    const run = await wizard(fullScript({ password: ['battery-staple', PASSWORD] }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('password or code is incorrect');
    expect(run.asked.filter((id) => id === 'password')).toHaveLength(2);
    expect(run.asked.filter((id) => id === 'username')).toHaveLength(1);
    expect(env.provider.stats.passwordGrants).toBe(1);
    expect(run.stderr).not.toContain('battery-staple');
  });

  // Casdoor does not check the client secret on the password grant (object/token_oauth.go GetPasswordToken):
  // proving the refresh right after the login (usecases/prove-refresh.ts) catches it, before any write.
  it('a wrong client secret: the secret is asked again, not the client ID, and never stored', async () => {
    const run = await wizard(fullScript({ clientSecret: ['not-the-secret-value', CLIENT_SECRET] }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Casdoor refused the client secret (invalid_client: "client_secret is invalid"); nothing was written.');
    // One login: the refresh token survives a refused secret (Casdoor checks the secret first), so it is proven again.
    expect(env.provider.stats.passwordGrants).toBe(1);
    expect(env.provider.stats.tokenRequests).toBe(3);
    expect(env.provider.stats.failedTokenRequests).toBe(1);
    expect(env.provider.stats.refreshGrants).toBe(1);
    expect(await readFile(home.kubeconfig, 'utf8')).not.toContain(CLIENT_SECRET);
    expect(run.asked.filter((id) => id === 'clientSecret')).toHaveLength(2);
    expect(run.asked.filter((id) => id === 'clientId')).toHaveLength(1);
    expect(run.stderr).not.toContain('not-the-secret-value');
  });

  it('unknown user: the username comes back for editing, then the password', async () => {
    const run = await wizard(fullScript({ username: ['alicia', 'alice'], password: ['x-wrong-1', PASSWORD] }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('does not exist');
    const second = run.prompts.asked.filter((q) => q.id === 'username')[1];
    expect(second).toMatchObject({ default: 'alicia', editable: true, answer: 'alice' });
  });

  it("a typo'd URL is re-asked with the previous value as the default, ready to edit", async () => {
    const typo = env.provider.issuer.replace(/:(\d+)$/, ':1');
    const run = await wizard(fullScript({ casdoorUrl: [typo, env.provider.issuer] }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Connection refused');
    const urls = run.prompts.asked.filter((q) => q.id === 'casdoorUrl');
    expect(urls).toHaveLength(2);
    expect(urls[1]).toMatchObject({ default: typo, editable: true });
  });

  it('an http URL: explained, and https offered', async () => {
    const run = await wizard(fullScript({ casdoorUrl: env.provider.issuer.replace('https:', 'http:'), useHttps: true }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Kubernetes accepts only https issuers');
    expect(run.asked.slice(0, 2)).toEqual(['casdoorUrl', 'useHttps']);
    expect((await readDoc()).users[0].user['auth-provider'].config['idp-issuer-url']).toBe(env.provider.issuer);
  });

  it('a bad namespace or CA path is explained and re-asked', async () => {
    const run = await wizard(fullScript({ namespace: ['Team_A', 'team-a'], certificateAuthority: [home.path('nope.pem'), env.caFile] }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('no such file');
    expect(run.prompts.asked.find((q) => q.id === 'namespace')?.error).toMatch(/lowercase/);
    expect((await readDoc()).contexts[0].context.namespace).toBe('team-a');
  });

  it('flags given on the command line skip their questions', async () => {
    const run = await wizard(
      { organization: DEFAULT, application: DEFAULT, clientSecret: DEFAULT, grant: 'password', password: PASSWORD, usernameClaim: DEFAULT, groupsClaim: DEFAULT, keepNames: true, write: true },
      {
        casdoorUrl: env.provider.issuer,
        casdoorCa: env.caFile,
        clientId: env.provider.clientId,
        username: 'alice',
        server: env.apiserver.url,
        certificateAuthority: env.caFile,
        namespace: 'team-b',
        kubeconfig: home.kubeconfig,
        mode: 'auth-provider',
      },
    );
    expect(run.code).toBe(0);
    expect(run.asked).toEqual(['organization', 'application', 'clientSecret', 'grant', 'password', 'usernameClaim', 'groupsClaim', 'keepNames', 'write', 'apiserverConfig']);
    expect((await readDoc()).contexts[0].context.namespace).toBe('team-b');
  });

  it('re-running offers to renew: select, password, confirm — only the tokens change', async () => {
    const other = 'apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster: {server: "https://other.example:6443"}\nusers: []\ncontexts:\n- name: other\n  context: {cluster: other, user: nobody}\ncurrent-context: other\n';
    await writeFile(home.kubeconfig, other, { mode: 0o600 });
    expect((await wizard(fullScript({ namespace: 'team-a' }))).code).toBe(0);
    const before = await readDoc();
    // Someone switched back to another context meanwhile: a renewal must not switch it.
    before['current-context'] = 'other';
    await writeFile(home.kubeconfig, yaml.dump(before), { mode: 0o600 });
    env.provider.resetStats();

    const run = await wizard({ password: PASSWORD });
    expect(run.code).toBe(0);
    expect(run.asked).toEqual(['action', 'password', 'write']);
    const action = run.prompts.asked[0];
    expect(action?.answer).toBe(`Renew the token for ${contextName()}`);
    expect(run.stderr).toContain(`Replaced existing entries: user alice@${new URL(env.provider.issuer).host}/${env.provider.clientId}`);
    expect(env.provider.stats.passwordGrants).toBe(1);

    const after = await readDoc();
    const config = (d: Record<string, any>) => d.users.find((u: any) => u.name.startsWith('alice@')).user['auth-provider'].config;
    // (The id_token may be byte-identical when both logins fall in the same second; the refresh token never is.)
    expect(config(after)['refresh-token']).not.toBe(config(before)['refresh-token']);
    expect({ ...config(after), 'id-token': 'x', 'refresh-token': 'y' }).toEqual({ ...config(before), 'id-token': 'x', 'refresh-token': 'y' });
    expect(after.clusters).toEqual(before.clusters);
    expect(after.contexts).toEqual(before.contexts);
    expect(after['current-context']).toBe('other');
    expect(run.stderr).not.toContain(PASSWORD);
    // A renewal ends with the same check, and no question for admins.
    expect(run.stderr).toMatch(/The API server accepted context [^\n]*\n\s+username\s+alice/);
  });

  it('a renewal writes the tokens into the user entry as the file holds it then: edits made meanwhile are kept', async () => {
    expect((await wizard(fullScript())).code).toBe(0);
    const userOf = (d: Record<string, any>): Record<string, any> => d.users.find((u: any) => u.name.startsWith('alice@')).user;
    const before = await readDoc();
    // Another program edits the same user entry (synchronously: a select answer is a plain function).
    const editUser = (change: (user: Record<string, any>) => void): void => {
      const d = yaml.load(readFileSync(home.kubeconfig, 'utf8')) as Record<string, any>;
      change(userOf(d));
      writeFileSync(home.kubeconfig, yaml.dump(d), { mode: 0o600 });
    };
    let early = false;
    const run = await wizard(
      {
        // Right after the wizard read the kubeconfig to offer the renewal, before the login.
        action: (choice) => {
          if (!early) editUser((u) => (u['auth-provider'].config['extra-scopes'] = 'groups'));
          early = true;
          return choice.name.startsWith('Renew');
        },
        password: PASSWORD,
      },
      {},
      [],
      {},
      // While the write question is open, after the preview.
      (p) => ({
        ...p,
        confirm: async (q) => {
          if (q.id === 'write') editUser((u) => (u.extensions = [{ name: 'team', extension: { owner: 'ops' } }]));
          return p.confirm(q);
        },
      }),
    );
    expect(run.code).toBe(0);
    expect(run.asked).toEqual(['action', 'password', 'write']);
    // The preview shows the token change only, not the removal of the key added before the login.
    expect(run.stderr).not.toMatch(/^-.*extra-scopes/m);
    expect(run.stderr).toMatch(/Updated .*config \(previous version saved as .*\):\n\s+replaced\s+user alice@/);
    const user = userOf(await readDoc());
    expect(user['auth-provider'].config['extra-scopes']).toBe('groups');
    expect(user.extensions).toEqual([{ name: 'team', extension: { owner: 'ops' } }]);
    expect(user['auth-provider'].config['refresh-token']).not.toBe(userOf(before)['auth-provider'].config['refresh-token']);
  });

  itKubectl('a renewed token works with kubectl', async () => {
    expect((await wizard(fullScript())).code).toBe(0);
    expect((await wizard({ password: PASSWORD })).code).toBe(0);
    const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig });
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
  });

  it('"Set up a new context" on a re-run goes through the full flow', async () => {
    expect((await wizard(fullScript())).code).toBe(0);
    const run = await wizard({ ...fullScript({ username: 'bob', password: 'battery-staple' }), action: 'Set up a new context' });
    expect(run.code).toBe(0);
    expect(run.asked[0]).toBe('action');
    expect(run.asked[1]).toBe('casdoorUrl');
    const doc = await readDoc();
    expect(doc.contexts.map((c: { name: string }) => c.name).sort()).toEqual([contextName('alice'), contextName('bob')].sort());
  });

  it('exec mode: an exec user without tokens, the tokens handed to the cache; a re-run renews without touching the file', async () => {
    const stored: Array<{ username: string; issuer: string }> = [];
    // The real cache, as `setup` stores it: the final check runs the exec entry, which reads it.
    const storeTokens: SetupDeps['storeTokens'] = async (input, login) => {
      stored.push({ username: input.username, issuer: input.casdoorUrl });
      // The key the written exec args name, as setup's own storeTokens computes it.
      await storeLogin(keyOf({ ...input, grant: input.grant ?? 'password' }), login, { homeDir: home.home, env: { HOME: home.home } });
    };
    const first = await wizard(fullScript({ mode: 'exec' }), { mode: 'exec', execCommand: DIST_BIN }, ['mode', 'execCommand'], { storeTokens });
    expect(first.code).toBe(0);
    expect(stored).toEqual([{ username: 'alice', issuer: env.provider.issuer }]);
    // Checked through the exec entry, as kubectl runs it: the plugin printed the token just cached.
    expect(first.stderr).toMatch(/The API server accepted context [^\n]*\n\s+username\s+alice/);
    const before = await readFile(home.kubeconfig, 'utf8');
    const user = (yaml.load(before) as Record<string, any>).users[0].user;
    expect(user.exec.args.slice(0, 5)).toEqual(['token', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId]);
    expect(before).not.toContain(CLIENT_SECRET);
    // Asked, and its default (disk) is the plugin's default: nothing about it in the exec args.
    expect(first.asked).toContain('tokenCacheStorage');
    expect(user.exec.args).not.toContain('--token-cache-storage');

    const again = await wizard({ password: PASSWORD }, {}, [], { storeTokens });
    expect(again.code).toBe(0);
    expect(again.asked).toEqual(['action', 'password']);
    expect(stored).toHaveLength(2);
    expect(await readFile(home.kubeconfig, 'utf8')).toBe(before);
  });

  it('exec mode: the token storage picked in the wizard goes into the exec args', async () => {
    const storeTokens: SetupDeps['storeTokens'] = async (input, login) => {
      await storeLogin(keyOf({ ...input, grant: input.grant ?? 'password' }), login, { homeDir: home.home, env: { HOME: home.home } }, input.tokenCacheStorage);
    };
    const run = await wizard({ ...fullScript({ mode: 'exec' }), tokenCacheStorage: { value: 'none' } }, { mode: 'exec', execCommand: DIST_BIN }, ['mode', 'execCommand'], { storeTokens });
    expect(run.code).toBe(0);
    const args: string[] = (await readDoc()).users[0].user.exec.args;
    expect(args.slice(-2)).toEqual(['--token-cache-storage', 'none']);
    // none: setup's login left nothing in the token cache.
    expect(existsSync(path.join(home.kubeDir, 'cache', 'casdoor-kubeconfig'))).toBe(false);
  });

  it('exec mode: a token cache that refuses the tokens (an OS keyring that does not answer) fails the run with the kubeconfig as it was', async () => {
    writeFileSync(home.kubeconfig, 'apiVersion: v1\nkind: Config\n');
    const before = readFileSync(home.kubeconfig, 'utf8');
    const storeTokens: SetupDeps['storeTokens'] = async () => {
      throw new CliError('kubeconfig', 'cannot store the refresh token in the OS keyring (--token-cache-storage keyring): no Secret Service.');
    };
    const run = await wizard({ ...fullScript({ mode: 'exec' }), tokenCacheStorage: { value: 'keyring' } }, { mode: 'exec', execCommand: DIST_BIN }, ['mode', 'execCommand'], { storeTokens });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('OS keyring');
    expect(readFileSync(home.kubeconfig, 'utf8')).toBe(before);
  });

  it('renewing an exec entry without --username caches the tokens where `token` looks: kubectl needs no new login', async () => {
    const { passwordLogin } = await import('../../src/usecases/login.js');
    const where = { homeDir: home.home, env: { HOME: home.home } };
    let stored = '';
    // The real cache, as `setup` stores it.
    const storeTokens: SetupDeps['storeTokens'] = async (input, login) => {
      stored = login.tokens.idToken;
      await storeLogin(keyOf({ ...input, grant: input.grant ?? 'password' }), login, where);
    };
    // Stands in for the browser flow (tested on its own): Casdoor's page signs bob in.
    const grantLogin: SetupDeps['grantLogin'] = async (session, input) => passwordLogin(session, { clientId: input.clientId }, 'bob', 'battery-staple');
    const first = await wizard(fullScript({ grant: 'browser', mode: 'exec', username: INTERRUPT, password: INTERRUPT }), {}, [], { storeTokens, grantLogin });
    expect(first.code).toBe(0);
    // The wizard always names the user; `setup --grant browser --mode exec` without --username does not.
    const doc = await readDoc();
    const args: string[] = doc.users[0].user.exec.args;
    expect(args.splice(args.indexOf('--username'), 2)).toEqual(['--username', 'bob']);
    await writeFile(home.kubeconfig, yaml.dump(doc), { mode: 0o600 });

    const again = await wizard({}, {}, [], { storeTokens, grantLogin });
    expect(again.code).toBe(0);
    // The token's username is bob, but this entry's cache key has none.
    expect(again.asked).toEqual(['action']);
    env.provider.resetStats();
    let printed = '';
    expect(tryCachedToken(args.slice(1), where.env, (s) => (printed += s), Date.now(), () => home.home)).toBe(true);
    expect(JSON.parse(printed).status.token).toBe(stored);
    const token = await runCli(args, { home: home.home, env: { KUBECONFIG: home.kubeconfig } });
    expect(token.code).toBe(0);
    expect(JSON.parse(token.stdout).status.token).toBe(stored);
    expect(env.provider.stats.tokenRequests).toBe(0);
  });

  it('exec mode with a command kubectl cannot find: warned, and the final check fails as kubectl would (not "accepted")', async () => {
    const storeTokens: SetupDeps['storeTokens'] = async (input, login) => {
      // The key the written exec args name, as setup's own storeTokens computes it.
      await storeLogin(keyOf({ ...input, grant: input.grant ?? 'password' }), login, { homeDir: home.home, env: { HOME: home.home } });
    };
    const run = await wizard(fullScript({ mode: 'exec' }), {}, [], { storeTokens });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('casdoor-kubeconfig is not on PATH: kubectl will not be able to run this exec entry');
    expect(run.stderr).not.toMatch(/The API server accepted context/);
    expect(run.stderr).toMatch(/executable casdoor-kubeconfig not found|npm install -g casdoor-kubeconfig/);
  });

  it('exec mode cannot be picked when this build has no token store', async () => {
    const run = await wizard(fullScript({ mode: 'exec' }));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no enabled choice of "mode"');
  });

  it('browser login (where this build has it): no username or password question; the username comes from the token', async () => {
    const { passwordLogin } = await import('../../src/usecases/login.js');
    const grants: string[] = [];
    // Stands in for the browser flow (tested on its own): Casdoor's page would sign bob in.
    const grantLogin: SetupDeps['grantLogin'] = async (session, input) => {
      grants.push(input.grant ?? 'password');
      return passwordLogin(session, { clientId: input.clientId }, 'bob', 'battery-staple');
    };
    const run = await wizard(fullScript({ grant: 'browser', username: INTERRUPT, password: INTERRUPT }), {}, [], { grantLogin });
    expect(run.code).toBe(0);
    expect(grants).toEqual(['browser']);
    expect(run.asked).not.toContain('username');
    expect(run.asked).not.toContain('password');
    expect((await readDoc())['current-context']).toBe(contextName('bob'));
  });

  it('a standalone file for a teammate: only these entries, 0600, the target untouched', async () => {
    const file = home.path('for-bob.kubeconfig');
    const run = await wizard(fullScript({ target: 'standalone', output: file }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('standalone kubeconfig');
    expect(existsSync(home.kubeconfig)).toBe(false);
    const doc = await readDoc(file);
    expect(doc.contexts).toHaveLength(1);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('--dry-run: the preview, then nothing written', async () => {
    const run = await wizard(fullScript({ write: INTERRUPT }), { dryRun: true });
    expect(run.code).toBe(0);
    expect(run.asked).not.toContain('write');
    expect(run.stderr).toContain('Dry run: nothing was written.');
    expect(run.stderr).toContain('<redacted>');
    expect(existsSync(home.kubeconfig)).toBe(false);
  });

  it('declining the write leaves nothing behind', async () => {
    const run = await wizard(fullScript({ write: false }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Nothing was written.');
    expect(existsSync(home.kubeconfig)).toBe(false);
  });

  it('skipping TLS verification needs a second yes, after a red warning', async () => {
    const run = await wizard(fullScript({ tls: ['insecure', 'file'], insecureSkipTlsVerify: false }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('kubectl sends your token to whoever answers');
    expect(run.asked.filter((id) => id === 'tls')).toHaveLength(2);
    expect((await readDoc()).clusters[0].cluster['insecure-skip-tls-verify']).toBeUndefined();
  });

  it("a CA that is not the API server's: said at once, and the choice is asked again", async () => {
    const { makeTlsMaterial } = await import('../../src/demo/certs.js');
    const wrong = await makeTlsMaterial();
    try {
      const run = await wizard(fullScript({ tls: ['file', 'file'], certificateAuthority: [wrong.caFile, env.caFile] }));
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('is not signed by that CA');
    } finally {
      await wrong.remove();
    }
  });

  it('the end: the API server says who it sees; an admin can have the kube-apiserver flags printed', async () => {
    const run = await wizard(fullScript({ apiserverConfig: true }));
    expect(run.code).toBe(0);
    expect(run.asked.slice(-2)).toEqual(['write', 'apiserverConfig']);
    expect(run.stderr).toMatch(/The API server accepted context [^\n]*\n\s+username\s+alice\n\s+groups\s+k8s-org\/admins, system:authenticated/);
    for (const flag of [
      `--oidc-issuer-url=${env.provider.issuer}`,
      `--oidc-client-id=${env.provider.clientId}`,
      '--oidc-username-claim=name',
      '--oidc-username-prefix=-',
      '--oidc-groups-claim=groups',
      `--oidc-signing-algs=${env.provider.alg}`,
      '--oidc-ca-file=/etc/kubernetes/pki/casdoor-ca.crt',
    ]) {
      expect(run.stderr).toContain(`\n${flag}\n`);
    }
    expect(run.stderr).toContain(`casdoor-kubeconfig apiserver-config --casdoor-url ${env.provider.issuer} --client-id ${env.provider.clientId} --casdoor-ca ${env.caFile} --format all`);
    expect(run.stdout).toBe('');
  });

  it("the admin's question defaults to no: nothing printed", async () => {
    const run = await wizard(fullScript());
    expect(run.prompts.asked.at(-1)).toMatchObject({ id: 'apiserverConfig', default: 'no', answer: 'no' });
    expect(run.stderr).not.toContain('--oidc-issuer-url');
  });

  it("--username-prefix '' means the API server's flag unset, as in apiserver-config: <issuer>#name", async () => {
    const run = await wizard(fullScript({ apiserverConfig: true }), { usernamePrefix: '' }, []);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`${env.provider.issuer}#alice`);
    expect(run.stderr).toContain('no --oidc-username-prefix');
    expect(run.stderr).not.toContain('--oidc-username-prefix=');
  });

  it('an API server that did not answer earlier: the final check is skipped politely', async () => {
    const run = await wizard(fullScript({ server: 'https://127.0.0.1:1', unreachable: true }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Could not reach the API server');
    expect(run.stderr).toContain('Not checked with the API server: it did not answer earlier. Once it is reachable: kubectl auth whoami --context alice@127.0.0.1:1');
    expect((await readDoc()).clusters[0].cluster.server).toBe('https://127.0.0.1:1');
  });

  it('Ctrl-C (scripted) at any question: exit 130 and nothing written', async () => {
    for (const at of ['casdoorUrl', 'password', 'namespace', 'write']) {
      const run = await wizard(fullScript({ [at]: INTERRUPT }));
      expect({ at, code: run.code }).toEqual({ at, code: 130 });
      expect(existsSync(home.kubeconfig)).toBe(false);
      expect(existsSync(`${home.kubeconfig}.lock`)).toBe(false);
    }
  });
});

describe('issuer mismatch', () => {
  let slashed: DemoEnvironment;
  beforeAll(async () => {
    slashed = await startDemoEnvironment({ provider: { trailingSlash: true } });
  });
  afterAll(async () => {
    await slashed?.close();
  });

  it("explains a trailing-slash mismatch and offers Casdoor's issuer", async () => {
    const bare = slashed.provider.issuer.replace(/\/$/, '');
    const run = await wizard(
      fullScript({
        casdoorUrl: bare,
        casdoorCa: slashed.caFile,
        useIssuer: true,
        clientId: slashed.provider.clientId,
        clientSecret: DEFAULT,
        server: slashed.apiserver.url,
        certificateAuthority: slashed.caFile,
      }),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('trailing slash');
    expect(run.asked).toContain('useIssuer');
    const doc = await readDoc();
    expect(doc.users[0].user['auth-provider'].config['idp-issuer-url']).toBe(slashed.provider.issuer);
  });
});

describe('an API server not configured for this Casdoor', () => {
  let strict: DemoEnvironment;
  beforeAll(async () => {
    // Its --oidc-required-claim no Casdoor token carries: every token is refused with 401.
    strict = await startDemoEnvironment({ apiserver: { requiredClaims: { hd: 'example.com' } } });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('the 401 is explained, with the apiserver-config command, and the run still succeeds', async () => {
    const run = await wizard(
      fullScript({
        casdoorUrl: strict.provider.issuer,
        casdoorCa: strict.caFile,
        clientId: strict.provider.clientId,
        clientSecret: DEFAULT,
        server: strict.apiserver.url,
        certificateAuthority: strict.caFile,
      }),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('does not accept this token yet (401 Unauthorized)');
    expect(run.stderr).toContain('Nothing in the token explains the refusal');
    expect(run.stderr).toContain(`casdoor-kubeconfig apiserver-config --casdoor-url ${strict.provider.issuer} --client-id ${strict.provider.clientId} --casdoor-ca ${strict.caFile}`);
    expect(run.stderr).toContain(`Then check again: kubectl auth whoami --context alice@${new URL(strict.apiserver.url).host}`);
    expect((await readDoc()).users[0].user['auth-provider'].config['idp-issuer-url']).toBe(strict.provider.issuer);
  });
});

describe('without a terminal', () => {
  /** The real process a test started: stopped here if the test failed or timed out before it exited. */
  let child: ChildProcess | undefined;
  afterEach(async () => {
    await stopChild(child);
    child = undefined;
  });

  it('setup without flags fails at once with exit 2, naming the missing flags (in process)', async () => {
    for (const args of [['setup'], []]) {
      const started = Date.now();
      const run = await runCli(args, { home: home.home, env: { KUBECONFIG: home.kubeconfig } });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('missing --casdoor-url, --client-id, --username, --password-stdin (or CASDOOR_PASSWORD), --server');
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });

  it('the real process with a pipe for stdin exits 2 without waiting for input', async () => {
    const bin = new URL('../../dist/bin.js', import.meta.url).pathname;
    if (!existsSync(bin)) throw new Error('dist/bin.js is missing: run npm run build first');
    const started = Date.now();
    const running = spawn(process.execPath, [bin], { env: { PATH: process.env.PATH ?? '', HOME: home.home, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    child = running;
    let stderr = '';
    running.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // stdin stays open: a prompt would hang here forever.
    const code = await new Promise<number | null>((resolve) => running.on('exit', resolve));
    running.stdin.end();
    expect(code).toBe(2);
    expect(stderr).toContain('missing --casdoor-url');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
