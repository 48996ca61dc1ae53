/**
 * `whoami` end to end: the Casdoor-like provider mints real tokens, the token-checking API server
 * answers SelfSubjectReviews (or 401 with a recorded reason), and whoami must report the user, or
 * explain the 401 from the token, without ever changing the kubeconfig.
 */
import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { beforeEach, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { startDemoEnvironment, type DemoEnvironment } from '../../src/demo/index.js';
import { clusterEntry, contextEntry, execUserEntry, oidcUserEntry } from '../../src/usecases/entries.js';
import { mergeEntries } from '../../src/kubeconfig/merge.js';
import { newKubeconfig, serializeKubeconfig } from '../../src/kubeconfig/model.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { runSetup, setupArgs, useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;

const PASSWORD = 'correct-horse';
let env: DemoEnvironment;
let home: TempHome;

useDemoEnvironment({}, (e, h) => {
  env = e;
  home = h;
});

const names = { cluster: 'fixture', user: 'alice@casdoor', context: 'alice@fixture' };

/** Writes a kubeconfig with an oidc auth-provider user holding `idToken` (and a refresh token). */
async function writeOidcKubeconfig(idToken: string, opts: { refreshToken?: string; file?: string; issuer?: string; clientId?: string } = {}): Promise<string> {
  const file = opts.file ?? home.kubeconfig;
  const doc = mergeEntries(newKubeconfig(), {
    cluster: clusterEntry(names.cluster, { server: env.apiserver.url, certificateAuthorityData: Buffer.from(env.caPem).toString('base64') }),
    user: oidcUserEntry(names.user, {
      issuer: opts.issuer ?? env.provider.issuer,
      clientId: opts.clientId ?? env.provider.clientId,
      idToken,
      ...(opts.refreshToken ? { refreshToken: opts.refreshToken } : {}),
    }),
    context: contextEntry(names),
    currentContext: names.context,
  }).doc;
  await writeFile(file, serializeKubeconfig(doc), { mode: 0o600 });
  return file;
}

async function snapshot(file: string): Promise<{ text: string; mtimeMs: number; entries: string[] }> {
  const st = await stat(file);
  const dir = file.slice(0, file.lastIndexOf('/'));
  return { text: await readFile(file, 'utf8'), mtimeMs: st.mtimeMs, entries: (await readdir(dir)).sort() };
}

const whoami = (args: string[], options: { env?: Record<string, string | undefined> } = {}): Promise<CliRun> =>
  runCli(['whoami', ...args], { home: home.home, env: { KUBECONFIG: undefined, ...options.env } });

function expectNoSecrets(run: CliRun): void {
  expect(run.all).not.toContain(PASSWORD);
  expect(run.all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
}

const lastReason = (): string | undefined => env.apiserver.requests.filter((r) => r.path.includes('selfsubjectreviews')).at(-1)?.reason;

describe('whoami with a kubeconfig written by setup', () => {
  beforeEach(async () => {
    const run = await runSetup(env, home, [], { password: PASSWORD });
    expect(run.code).toBe(0);
  });

  it('prints username and groups as the API server sees them, and leaves the file alone', async () => {
    const before = await snapshot(home.kubeconfig);
    const run = await whoami(['--kubeconfig', home.kubeconfig]);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/Username\s+alice/);
    expect(run.stdout).toMatch(/Groups\s+k8s-org\/admins, system:authenticated/);
    expect(run.stdout).toMatch(/Token expires\s+\S+ \(in \d+ min\)/);
    expect(run.stderr).toContain('authentication.k8s.io/v1 SelfSubjectReview');
    expectNoSecrets(run);
    expect(await snapshot(home.kubeconfig)).toEqual(before);
  });

  it('-o json, reading the file KUBECONFIG names', async () => {
    const run = await whoami(['-o', 'json'], { env: { KUBECONFIG: home.kubeconfig } });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      authenticated: true,
      context: `alice@${new URL(env.apiserver.url).host}`,
      credential: 'oidc',
      apiVersion: 'authentication.k8s.io/v1',
      username: 'alice',
      groups: ['k8s-org/admins', 'system:authenticated'],
      token: { issuer: env.provider.issuer, audience: [env.provider.clientId] },
    });
    expectNoSecrets(run);
  });

  itKubectl('agrees with kubectl auth whoami', async () => {
    const ours = JSON.parse((await whoami(['-o', 'json', '--kubeconfig', home.kubeconfig])).stdout);
    const theirs = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig });
    expect(theirs.code).toBe(0);
    const info = JSON.parse(theirs.stdout).status.userInfo;
    expect({ username: ours.username, groups: ours.groups }).toEqual({ username: info.username, groups: info.groups });
  });

  it('an expired id-token: 401 explained, no refresh attempted (the refresh token stays valid), file untouched', async () => {
    const doc = yaml.load(await readFile(home.kubeconfig, 'utf8')) as { users: Array<{ user: { 'auth-provider': { config: Record<string, string> } } }> };
    const config = doc.users[0]?.user['auth-provider'].config as Record<string, string>;
    config['id-token'] = await env.provider.mintIdToken('alice', { ttl: -60 });
    await writeFile(home.kubeconfig, yaml.dump(doc), { mode: 0o600 });
    const before = await snapshot(home.kubeconfig);
    env.provider.resetStats();

    const run = await whoami(['--kubeconfig', home.kubeconfig, '-o', 'json']);
    expect(run.code).toBe(7);
    expect(lastReason()).toBe('expired');
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ authenticated: false, status: 401 });
    expect(report.findings.map((f: { code: string }) => f.code)).toEqual(['expired']);
    expect(run.stderr).toMatch(/401 Unauthorized[\s\S]*The token expired at .* \(\d+ s ago by the API server's clock\)/);
    expect(run.stderr).toMatch(/kubectl refreshes it by itself/);
    expect(run.stderr).not.toMatch(/\n\s+at .*\(/);
    expectNoSecrets(run);
    expect(env.provider.stats.refreshGrants).toBe(0);
    expect(env.provider.stats.tokenRequests).toBe(0);
    expect(await snapshot(home.kubeconfig)).toEqual(before);
  });
});

describe('setup --json and whoami agree on what the API server sees', () => {
  it('setup --json prints one JSON object (no secrets) whose username and groups whoami then confirms', async () => {
    const run = await runSetup(env, home, ['--json'], { password: PASSWORD });
    expect(run.code).toBe(0);
    expectNoSecrets(run);
    const summary = JSON.parse(run.stdout);
    const host = new URL(env.apiserver.url).host;
    expect(summary).toMatchObject({
      context: `alice@${host}`,
      cluster: host,
      user: `alice@${new URL(env.provider.issuer).host}/${env.provider.clientId}`,
      server: env.apiserver.url,
      mode: 'auth-provider',
      dryRun: false,
      loggedIn: true,
      files: [{ file: home.kubeconfig, created: true, backup: null }],
    });
    expect(summary.files[0].changes).toEqual(expect.arrayContaining([{ kind: 'user', name: summary.user, action: 'added' }]));
    expect(Date.parse(summary.expiresAt)).toBeGreaterThan(Date.now());
    expect(summary.warnings.map((w: { code: string }) => w.code)).toContain('groups-org-prefix');
    const who = JSON.parse((await whoami(['-o', 'json', '--kubeconfig', home.kubeconfig])).stdout);
    expect(who.username).toBe(summary.username);
    expect(who.groups).toEqual([...summary.groups, 'system:authenticated']);
  });

  it('--json with --output - is a usage error (both want stdout)', async () => {
    const args = setupArgs(env, home, ['--json']).filter((a, i, all) => a !== '--kubeconfig' && all[i - 1] !== '--kubeconfig');
    const run = await runCli([...args, '--output', '-'], { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--json and --output - both print on standard output');
    expect(env.provider.stats.tokenRequests).toBe(0);
  });
});

describe('whoami 401 diagnoses with minted tokens', () => {
  it("Casdoor's clock ahead: nbf beyond go-oidc's 60 s is named a clock problem with the offset measured against the API server's Date", async () => {
    const ahead = Math.floor(Date.now() / 1000) + 300;
    await writeOidcKubeconfig(await env.provider.mintIdToken('alice', { iat: ahead }));
    const run = await whoami(['--kubeconfig', home.kubeconfig, '-o', 'json']);
    expect(run.code).toBe(7);
    expect(lastReason()).toBe('not-yet-valid');
    const report = JSON.parse(run.stdout);
    expect(report.findings.map((f: { code: string }) => f.code)).toEqual(['not-yet-valid']);
    const offset = Number(/Casdoor issued it (\d+) s ahead of the API server's clock/.exec(run.stderr)?.[1]);
    // The Date header has whole seconds: 300 s give or take the second boundaries crossed.
    expect(offset).toBeGreaterThanOrEqual(298);
    expect(offset).toBeLessThanOrEqual(301);
    expect(run.stderr).toMatch(/clock problem: Casdoor's clock is about \d+ s ahead/);
  });

  itKubectl('a Casdoor refresh token used as the credential: an API server without tokenType=access-token accepts it (kubectl too); whoami warns', async () => {
    await writeOidcKubeconfig(await env.provider.mintIdToken('alice', { claims: { tokenType: 'refresh-token' } }));
    const theirs = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig });
    expect(theirs.code).toBe(0);
    const run = await whoami(['--kubeconfig', home.kubeconfig]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/Security: the credential is a Casdoor refresh token, and the API server accepted it/);
    expect(run.stderr).toContain('--oidc-required-claim=tokenType=access-token');
  });

  it('wrong audience: aud vs client-id', async () => {
    await writeOidcKubeconfig(await env.provider.mintIdToken('alice', { audience: ['some-other-app'] }));
    const before = await snapshot(home.kubeconfig);
    const run = await whoami(['--kubeconfig', home.kubeconfig]);
    expect(run.code).toBe(7);
    expect(lastReason()).toBe('audience');
    expect(run.stderr).toContain(`audience (aud) ["some-other-app"] does not contain this user's client id ${env.provider.clientId}`);
    expect(run.stderr).toMatch(/Fix: .*Client ID/);
    expectNoSecrets(run);
    expect(await snapshot(home.kubeconfig)).toEqual(before);
  });

  it('wrong issuer: iss vs idp-issuer-url (what apiserver-config would pass as --oidc-issuer-url)', async () => {
    await writeOidcKubeconfig(await env.provider.mintIdToken('alice', { issuer: 'https://door.example.com' }));
    const run = await whoami(['--kubeconfig', home.kubeconfig, '-o', 'json']);
    expect(run.code).toBe(7);
    expect(lastReason()).toBe('issuer');
    const report = JSON.parse(run.stdout);
    expect(report.findings.map((f: { code: string }) => f.code)).toEqual(['issuer']);
    expect(run.stderr).toContain(`issuer (iss) is "https://door.example.com", but this user's idp-issuer-url is ${env.provider.issuer}`);
    expect(run.stderr).toContain(`--oidc-issuer-url=${env.provider.issuer}`);
  });

  it('a trailing slash in iss is named as such', async () => {
    await writeOidcKubeconfig(await env.provider.mintIdToken('alice', { issuer: `${env.provider.issuer}/` }));
    const run = await whoami(['--kubeconfig', home.kubeconfig]);
    expect(run.code).toBe(7);
    expect(run.stderr).toMatch(/trailing slash/);
  });

  it('username claim missing (JWT-Standard-like token without "name")', async () => {
    // Casdoor's JWT format has no preferred_username: add it as JWT-Standard would, and drop "name".
    await writeOidcKubeconfig(await env.provider.mintIdToken('alice', { claims: { name: undefined, preferred_username: 'alice' } }));
    const run = await whoami(['--kubeconfig', home.kubeconfig, '-o', 'json']);
    expect(run.code).toBe(7);
    expect(lastReason()).toBe('username-claim');
    const report = JSON.parse(run.stdout);
    expect(report.findings[0]).toMatchObject({ code: 'username-claim', certain: true });
    expect(run.stderr).toMatch(/has no "name" claim[\s\S]*preferred_username/);
  });

  it('a token the API server refuses for a reason the token does not show: points at the API server config', async () => {
    const other = await startDemoEnvironment();
    try {
      // Signed by another provider's key with the same issuer string and client id: only the signature is wrong.
      const foreign = await other.provider.mintIdToken('alice', { issuer: env.provider.issuer, audience: [env.provider.clientId] });
      await writeOidcKubeconfig(foreign);
      const run = await whoami(['--kubeconfig', home.kubeconfig, '-o', 'json']);
      expect(run.code).toBe(7);
      expect(lastReason()).toBe('signature');
      const report = JSON.parse(run.stdout);
      expect(report.findings.map((f: { code: string }) => f.code)).toEqual(['server-config']);
      expect(run.stderr).toContain(`apiserver-config --casdoor-url ${env.provider.issuer} --client-id ${env.provider.clientId} --format flags`);
    } finally {
      await other.close();
    }
  });
});

describe('whoami with an exec user', () => {
  async function writeExecKubeconfig(script: string, apiVersion?: string): Promise<void> {
    await home.write('.kube/plugin.sh', script, 0o755);
    const user = execUserEntry(names.user, { command: './plugin.sh', issuer: env.provider.issuer, clientId: env.provider.clientId, username: 'alice' });
    if (apiVersion) (user.user.exec as Record<string, unknown>).apiVersion = apiVersion;
    const doc = mergeEntries(newKubeconfig(), {
      cluster: clusterEntry(names.cluster, { server: env.apiserver.url, certificateAuthorityData: Buffer.from(env.caPem).toString('base64') }),
      user,
      context: contextEntry(names),
      currentContext: names.context,
    }).doc;
    await writeFile(home.kubeconfig, serializeKubeconfig(doc), { mode: 0o600 });
  }

  const plugin = (token: string): string =>
    [
      '#!/bin/sh',
      'printf "%s" "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/exec-info.json"',
      'echo "plugin says hello" >&2',
      `printf '%s' '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${token}"}}'`,
      '',
    ].join('\n');

  it('runs the plugin as kubectl would (relative command, KUBERNETES_EXEC_INFO, stderr passed through)', async () => {
    await writeExecKubeconfig(plugin(await env.provider.mintIdToken('alice')));
    const run = await whoami(['--kubeconfig', home.kubeconfig, '-o', 'json']);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    expect(JSON.parse(run.stdout)).toMatchObject({ credential: 'exec', username: 'alice' });
    expect(run.stderr).toContain('plugin says hello');
    const info = JSON.parse(await readFile(home.path('.kube', 'exec-info.json'), 'utf8'));
    expect(info).toEqual({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } });
    expectNoSecrets(run);
  });

  it('an expired token from the plugin: says it is an exec user and how to see its token', async () => {
    await writeExecKubeconfig(plugin(await env.provider.mintIdToken('alice', { ttl: -120 })));
    const run = await whoami(['--kubeconfig', home.kubeconfig]);
    expect(run.code).toBe(7);
    expect(run.stderr).toMatch(/The token came from the exec plugin: \S*plugin\.sh token --casdoor-url/);
    expect(run.stderr).toMatch(/expired/);
    expect(run.stderr).toContain('--raw');
    expectNoSecrets(run);
  });

  it('a failing plugin: exit 3, its message passed through', async () => {
    await writeExecKubeconfig('#!/bin/sh\necho "error: not logged in" >&2\nexit 3\n');
    const run = await whoami(['--kubeconfig', home.kubeconfig]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error: not logged in');
    expect(run.stderr).toMatch(/failed with exit code 3/);
  });

  it("an invalid apiVersion: kubectl's words, exit 6", async () => {
    await writeExecKubeconfig(plugin('x'), 'client.authentication.k8s.io/v1alpha1');
    const run = await whoami(['--kubeconfig', home.kubeconfig]);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"');
  });
});

describe('whoami: kubeconfig and cluster problems', () => {
  it('an unknown context: exit 6 listing the contexts', async () => {
    await writeOidcKubeconfig(await env.provider.mintIdToken('alice'));
    const run = await whoami(['--kubeconfig', home.kubeconfig, '--context', 'nope']);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('context "nope" is not defined');
    expect(run.stderr).toContain('alice@fixture');
  });

  it('no kubeconfig at all: exit 6', async () => {
    const run = await whoami([]);
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/no kubeconfig found/);
  });

  it("the API server's CA not trusted: exit 7 with the fix", async () => {
    const file = await writeOidcKubeconfig(await env.provider.mintIdToken('alice'));
    const doc = yaml.load(await readFile(file, 'utf8')) as { clusters: Array<{ cluster: Record<string, unknown> }> };
    delete doc.clusters[0]?.cluster['certificate-authority-data'];
    await writeFile(file, yaml.dump(doc));
    const run = await whoami(['--kubeconfig', file]);
    expect(run.code).toBe(7);
    expect(run.stderr).toMatch(/TLS: the API server at 127\.0\.0\.1:\d+ presented a certificate that is not trusted[\s\S]*--certificate-authority/);
  });

  it('nothing listening: exit 7', async () => {
    const file = await writeOidcKubeconfig(await env.provider.mintIdToken('alice'));
    await writeFile(file, (await readFile(file, 'utf8')).replace(env.apiserver.url, 'https://127.0.0.1:9'));
    const run = await whoami(['--kubeconfig', file]);
    expect(run.code).toBe(7);
    expect(run.stderr).toContain('Connection refused by the API server at 127.0.0.1:9');
  });

  it('falls back to authentication.k8s.io/v1beta1 on 404 (Kubernetes 1.27)', async () => {
    const paths: string[] = [];
    const server: Server = createServer({ key: env.tls.keyPem, cert: env.tls.certPem }, (req, res) => {
      paths.push(req.url ?? '');
      req.resume();
      req.on('end', () => {
        if (req.url === '/apis/authentication.k8s.io/v1beta1/selfsubjectreviews') {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1beta1', status: { userInfo: { username: 'old-alice', groups: ['system:authenticated'] } } }));
        } else {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'the server could not find the requested resource' }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const file = await writeOidcKubeconfig(await env.provider.mintIdToken('alice'));
      await writeFile(file, (await readFile(file, 'utf8')).replace(env.apiserver.url, `https://127.0.0.1:${(server.address() as AddressInfo).port}`));
      const run = await whoami(['--kubeconfig', file, '-o', 'json']);
      expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
      expect(JSON.parse(run.stdout)).toMatchObject({ apiVersion: 'authentication.k8s.io/v1beta1', username: 'old-alice' });
      expect(paths).toEqual(['/apis/authentication.k8s.io/v1/selfsubjectreviews', '/apis/authentication.k8s.io/v1beta1/selfsubjectreviews']);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('does not create lock or backup files next to the kubeconfig, even with a lock held by someone else', async () => {
    await writeOidcKubeconfig(await env.provider.mintIdToken('alice'));
    await writeFile(`${home.kubeconfig}.lock`, '');
    await chmod(home.kubeconfig, 0o400);
    const before = await snapshot(home.kubeconfig);
    const run = await whoami(['--kubeconfig', home.kubeconfig]);
    expect(run.code).toBe(0);
    expect(await snapshot(home.kubeconfig)).toEqual(before);
  });
});
