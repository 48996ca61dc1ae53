/**
 * The token cache under the real kubectl. A refresh killed with SIGKILL in the middle (kubectl's plugin killed, an OOM kill) leaves its cache lock
 * behind; the next `token` run must see that its holder is dead and take the lock over at once, instead of
 * waiting a minute and failing. The refresh is caught mid-flight by a proxy that accepts its connection and
 * never answers: once the proxy has counted that connection, the process holds the lock and is killed.
 * The next run goes through the real kubectl (a real binary, not the dispatcher) and the real plugin.
 * And `clean`: after it, kubectl finds no token and presents nothing to Casdoor.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import yaml from 'js-yaml';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { cacheDir, cacheFile } from '../../src/token/cache.js';
import { parseOwner } from '../../src/token/lock.js';
import { DIST_BIN, runCli } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { setupArgs, useDemoEnvironmentWithScripts } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;

let env: DemoEnvironment;
let home: TempHome;
let wrapper: string;
useDemoEnvironmentWithScripts({}, (e, h, scripts) => {
  env = e;
  home = h;
  ({ wrapper } = scripts);
});
/** Accepts connections and never answers: a refresh that goes through it hangs with the lock held. */
let blackHole: Server;
let blackHoleUrl: string;
const held: Socket[] = [];
let connected: () => void = () => undefined;
const children: ChildProcess[] = [];

beforeAll(async () => {
  blackHole = createServer((socket) => {
    held.push(socket);
    connected();
  });
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
  const addr = blackHole.address();
  blackHoleUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of held) s.destroy();
  await new Promise((r) => blackHole?.close(r));
});

/** The exec entry's args, as kubectl would pass them to the plugin. */
async function execArgs(): Promise<string[]> {
  const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as { users: Array<{ user: { exec: { args: string[] } } }> };
  return doc.users[0]!.user.exec.args;
}

function runNode(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DIST_BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: home.home, ...extraEnv }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * setup --mode exec (a password login fills the cache), the cached token made to look expired, then a
 * `token` run that refreshes through the black hole, killed with SIGKILL once it holds the lock.
 */
async function killRefreshMidFlight(): Promise<{ args: string[]; lockPath: string; pid: number }> {
  const setup = await runCli(setupArgs(env, home, ['--mode', 'exec', '--exec-command', wrapper]), { home: home.home, env: { CASDOOR_PASSWORD: 'correct-horse' } });
  expect(setup.code).toBe(0);
  const args = await execArgs();
  const file = cacheFile(cacheDir(home.home, {}), { issuer: env.provider.issuer, clientId: env.provider.clientId, username: 'alice', ca: env.caFile });
  const entry = JSON.parse(await fs.readFile(file, 'utf8'));
  await fs.writeFile(file, JSON.stringify({ ...entry, expiresAt: Math.floor(Date.now() / 1000) - 30 }), { mode: 0o600 });

  const reached = new Promise<void>((r) => (connected = r));
  const child = spawn(process.execPath, [DIST_BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: home.home, HTTPS_PROXY: blackHoleUrl }, stdio: 'ignore' });
  children.push(child);
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  await reached; // the refresh is on the wire: the lock was taken before any request
  const lockPath = `${file}.lock`;
  const owner = parseOwner(await fs.readFile(lockPath, 'utf8'));
  expect(owner?.pid).toBe(child.pid);
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  // The kill left the lock behind, holding a pid that no longer exists.
  expect(parseOwner(await fs.readFile(lockPath, 'utf8'))?.pid).toBe(child.pid);
  env.provider.resetStats();
  return { args, lockPath, pid: child.pid as number };
}

/**
 * Issue 12 asks for a working `token` call "within seconds" after a killed refresh. The bound is generous
 * (a busy 2-core machine starts node and kubectl slowly) and only separates a take-over from waiting out
 * the lock (CACHE_LOCK_WAIT_MS in src/token/store.ts, a minute): a bound on recovery, not a performance figure.
 */
const RECOVERY_BOUND_MS = 15_000;
function expectRecoveredWithinSeconds(elapsedMs: number): void {
  expect(elapsedMs).toBeLessThan(RECOVERY_BOUND_MS);
}

describe('a refresh killed with SIGKILL while it holds the cache lock', () => {
  itKubectl('the next kubectl command works: the dead holder\'s lock is taken over, one refresh, no lock left', async () => {
    const { lockPath } = await killRefreshMidFlight();
    const started = Date.now();
    const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig, env: { HOME: home.home } });
    const elapsed = Date.now() - started;
    expect({ code: who.code, stderr: who.stderr }).toEqual({ code: 0, stderr: '' });
    expectRecoveredWithinSeconds(elapsed);
    expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
    expect(env.provider.stats.refreshGrants).toBe(1);
    expect(env.provider.stats.passwordGrants).toBe(0);
    expect(existsSync(lockPath)).toBe(false);
  }, 120_000);

  it('token --verbose says whose lock it took over, and answers with a fresh ExecCredential', async () => {
    const { args, lockPath, pid } = await killRefreshMidFlight();
    const started = Date.now();
    const run = await runNode([...args, '--verbose']);
    const elapsed = Date.now() - started;
    expect(run.code).toBe(0);
    expectRecoveredWithinSeconds(elapsed);
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: 'ExecCredential', status: { token: expect.stringMatching(/^eyJ/) } });
    expect(run.stderr).toContain(`token: took over the cache lock of a dead holder (process ${pid} is gone)`);
    expect(run.stderr.match(/took over/g)).toHaveLength(1);
    expect(env.provider.stats.refreshGrants).toBe(1);
    expect(existsSync(lockPath)).toBe(false);
  }, 120_000);
});

describe('clean', () => {
  itKubectl('empties the cache: the next kubectl command must log in again, and nothing is presented to Casdoor', async () => {
    const setup = await runCli(setupArgs(env, home, ['--mode', 'exec', '--exec-command', wrapper]), { home: home.home, env: { CASDOOR_PASSWORD: 'correct-horse' } });
    expect(setup.code).toBe(0);
    const kubectl = kubectlBinary() as string;
    const whoami = () => runKubectl(kubectl, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig, env: { HOME: home.home } });
    env.provider.resetStats();
    expect((await whoami()).code).toBe(0);
    expect(env.provider.stats.tokenRequests).toBe(0);

    const dir = cacheDir(home.home, {});
    const dry = await runCli(['clean', '--dry-run'], { home: home.home });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^would remove ${dir}/[0-9a-f]{16}\\.json  alice at ${env.provider.issuer.replace(/[.]/g, '\\.')} \\(`));
    expect((await fs.readdir(dir)).length).toBe(1);

    const run = await runCli(['clean'], { home: home.home });
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('removed '))).toHaveLength(1);
    expect(run.stderr).toContain('Removed 1 cached token entry');
    expect(await fs.readdir(dir)).toEqual([]);
    expect(run.all).not.toMatch(/eyJ/);

    const after = await whoami();
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain('not logged in to Casdoor as alice');
    expect(after.stderr).toContain('(no cached token)');
    expect(env.provider.stats.tokenRequests).toBe(0);
  }, 120_000);
});
