/**
 * --token-cache-storage keyring against a real Secret Service: Debian's gnome-keyring-daemon, unlocked
 * with an empty password inside its own `dbus-run-session`, and the built CLI (dist/bin.js) started in
 * that D-Bus session, as kubectl would start it. The refresh token must be in the keyring and in no file
 * under HOME; `token` must refresh from the keyring once the id_token has expired; `clean` must empty
 * the keyring. Whether the keyring tests run is decided before they are defined: when
 * gnome-keyring-daemon, dbus-run-session or secret-tool is not on PATH they are skipped (it.skip, with a
 * loud banner); when all three are there, a Secret Service that fails to start fails those tests. The
 * keyring's own file lives outside HOME (XDG_DATA_HOME elsewhere): with an empty password gnome-keyring
 * stores it unencrypted, unlike a desktop login keyring.
 */
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { startCasdoorProvider, type CasdoorProvider } from '../../src/demo/index.js';
import { cacheDir, cacheFile, type CacheEntry } from '../../src/token/cache.js';
import { keyringAccount } from '../../src/token/keyring.js';
import { DIST_BIN } from '../helpers/cli.js';
import { makeTempDir, makeTempHome, type TempHome } from '../helpers/tmp.js';

let provider: CasdoorProvider;
let home: TempHome;
let keyringData: { dir: string; cleanup(): Promise<void> };
let daemon: ChildProcess | undefined;
/** The session bus of the running Secret Service. */
let bus: string | undefined;
/** Why the Secret Service did not start although its programs are installed ('' when it started). */
let startError = '';

/** The programs a Secret Service needs here (Debian: gnome-keyring, dbus, libsecret-tools). */
const NEEDED = ['gnome-keyring-daemon', 'dbus-run-session', 'secret-tool'];
const onPath = (cmd: string): boolean =>
  (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(path.join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
const missing = NEEDED.filter((cmd) => !onPath(cmd));
if (missing.length > 0) {
  console.warn(
    [
      '',
      '################################################################################',
      '##  NO Secret Service here: the token-keyring tests are SKIPPED.              ##',
      `##  Missing from PATH: ${missing.join(', ')}`,
      '##  Install gnome-keyring, dbus and libsecret-tools to run them.              ##',
      '################################################################################',
      '',
    ].join('\n'),
  );
}

/** Starts dbus-run-session with an unlocked gnome-keyring in it; resolves with its bus address. */
function startSecretService(dataHome: string): Promise<string> {
  const script = [
    // Not `eval "$(…)" || …`: eval of an empty output succeeds, so a daemon that failed would go unnoticed.
    'vars="$(printf \'\\n\' | gnome-keyring-daemon --unlock --daemonize --components=secrets)" || exit 3',
    'eval "$vars"',
    'echo "BUS=$DBUS_SESSION_BUS_ADDRESS"',
    'exec sleep 600',
  ].join('\n');
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn('dbus-run-session', ['--', 'sh', '-c', script], { env: { PATH: process.env.PATH ?? '', HOME: dataHome, XDG_DATA_HOME: dataHome }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      reject(err as Error);
      return;
    }
    daemon = child;
    let text = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`dbus-run-session exited (${code}): ${text}`)));
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /BUS=(\S+)/.exec(text);
      if (m) resolve(m[1]!);
    });
    child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  });
}

function run(cmd: string, args: string[], extraEnv: Record<string, string> = {}, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: { PATH: process.env.PATH ?? '', HOME: home.home, ...extraEnv }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.end(input);
  });
}

const cli = (args: string[], extraEnv: Record<string, string> = {}) => run(process.execPath, [DIST_BIN, ...args], { ...(bus ? { DBUS_SESSION_BUS_ADDRESS: bus } : {}), ...extraEnv });

const tokenArgs = (storage: string): string[] => ['token', '--casdoor-url', provider.issuer, '--client-id', provider.clientId, '--username', 'alice', '--casdoor-ca', provider.caFile, '--token-cache-storage', storage];
const entryFile = (): string => cacheFile(cacheDir(home.home, {}), { issuer: provider.issuer, clientId: provider.clientId, username: 'alice', grant: 'password', ca: provider.caFile });

/** What the keyring holds for the entry ('' when nothing). */
async function keyringItem(): Promise<string> {
  const got = await run('secret-tool', ['lookup', 'service', 'casdoor-kubeconfig', 'username', keyringAccount(entryFile())], { DBUS_SESSION_BUS_ADDRESS: bus ?? '' });
  return got.code === 0 ? got.stdout.trim() : '';
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function filesContaining(secret: string): Promise<string[]> {
  const hits: string[] = [];
  for (const f of await filesUnder(home.home)) if ((await fs.readFile(f, 'utf8')).includes(secret)) hits.push(f);
  return hits;
}

beforeAll(async () => {
  if (!existsSync(DIST_BIN)) throw new Error('dist/ is missing: the jest globalSetup build did not run');
  provider = await startCasdoorProvider();
  keyringData = await makeTempDir('ck-keyring-data-');
  if (missing.length > 0) return;
  try {
    bus = await startSecretService(keyringData.dir);
  } catch (err) {
    // Its programs are installed, so it should have started: the keyring tests fail (itKeyring), loudly.
    startError = (err as Error).message.trim() || String(err);
    console.warn(`FAILING: token-keyring e2e tests: ${NEEDED.join(', ')} are installed but no Secret Service started: ${startError}`);
  }
}, 60_000);

afterAll(async () => {
  if (daemon?.pid !== undefined && daemon.exitCode === null) {
    daemon.removeAllListeners('exit');
    process.kill(-daemon.pid, 'SIGTERM');
  }
  await provider?.close();
  await keyringData?.cleanup();
});
beforeEach(async () => {
  home = await makeTempHome();
  provider.resetStats();
});
afterEach(async () => {
  await home.cleanup();
});

/** Skipped (it.skip) where the programs are missing; where they are installed, a Secret Service that did not start fails the test. */
const itKeyring = (name: string, fn: () => Promise<void>): void => {
  (missing.length > 0 ? it.skip : it)(name, async () => {
    if (!bus) throw new Error(`no Secret Service started although ${NEEDED.join(', ')} are installed: ${startError}`);
    await fn();
  }, 120_000);
};

describe('token --token-cache-storage keyring (gnome-keyring in dbus-run-session)', () => {
  itKeyring('a Secret Service starts in dbus-run-session and answers secret-tool', async () => {
    expect(startError).toBe('');
    expect(bus).toMatch(/^unix:/);
    // An item stored, read back and removed: the default collection exists and is unlocked.
    const probe = ['service', 'casdoor-kubeconfig-probe', 'username', 'probe'];
    expect(await run('secret-tool', ['store', '--label', 'probe', ...probe], { DBUS_SESSION_BUS_ADDRESS: bus ?? '' }, 'probe-value')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await run('secret-tool', ['lookup', ...probe], { DBUS_SESSION_BUS_ADDRESS: bus ?? '' })).toEqual({ code: 0, stdout: 'probe-value', stderr: '' });
    expect((await run('secret-tool', ['clear', ...probe], { DBUS_SESSION_BUS_ADDRESS: bus ?? '' })).code).toBe(0);
  });

  itKeyring('keeps the refresh token in the keyring and in no file under HOME; refreshes from it; clean empties it', async () => {
    const first = await cli(tokenArgs('keyring'), { CASDOOR_PASSWORD: 'correct-horse' });
    expect(first.stderr).not.toMatch(/keyring/i);
    expect(first.code).toBe(0);
    expect(provider.stats.passwordGrants).toBe(1);
    const refreshToken = await keyringItem();
    expect(refreshToken.length).toBeGreaterThan(20);
    expect(await filesContaining(refreshToken)).toEqual([]);
    const entry = JSON.parse(await fs.readFile(entryFile(), 'utf8')) as CacheEntry;
    expect(entry.refreshToken).toBeUndefined();
    expect(entry.refreshTokenIn).toBe('keyring');
    expect((await fs.stat(entryFile())).mode & 0o777).toBe(0o600);

    // The id_token "expires": the next run must refresh with the keyring's refresh token (no password now).
    await fs.writeFile(entryFile(), JSON.stringify({ ...entry, expiresAt: Math.floor(Date.now() / 1000) - 5 }), { mode: 0o600 });
    const second = await cli(tokenArgs('keyring'));
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(provider.stats.refreshGrants).toBe(1);
    expect(provider.stats.passwordGrants).toBe(1);
    const rotated = await keyringItem();
    expect(rotated).not.toBe(''); // Casdoor rotates the refresh token: the new one is the one kept
    expect(rotated).not.toBe(refreshToken);
    expect(await filesContaining(rotated)).toEqual([]);
    const refreshed = JSON.parse(await fs.readFile(entryFile(), 'utf8')) as CacheEntry;
    expect(refreshed.idToken).not.toBe(entry.idToken);
    expect(second.stdout).toContain(refreshed.idToken);

    // The hot path: a fresh id_token in the file answers without the keyring or Casdoor.
    provider.resetStats();
    const third = await cli(tokenArgs('keyring'), { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' });
    expect(third.code).toBe(0);
    expect(provider.stats.tokenRequests).toBe(0);

    const dry = await cli(['clean', '--dry-run']);
    expect(dry.stdout).toContain(`refresh token in the OS keyring (service casdoor-kubeconfig, account ${keyringAccount(entryFile())})`);
    expect(await keyringItem()).toBe(rotated);
    const clean = await cli(['clean']);
    expect(clean.code).toBe(0);
    expect(existsSync(entryFile())).toBe(false);
    expect(await keyringItem()).toBe('');
  });

  itKeyring('refresh keeps the rotated refresh token in the keychain; logout deletes its entry\'s keychain item with the file', async () => {
    expect((await cli(tokenArgs('keyring'), { CASDOOR_PASSWORD: 'correct-horse' })).code).toBe(0);
    expect(await keyringItem()).not.toBe('');
    const kubeconfig = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'casdoor-kubeconfig', args: tokenArgs('keyring'), interactiveMode: 'IfAvailable' } } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    };
    await fs.writeFile(home.kubeconfig, JSON.stringify(kubeconfig), { mode: 0o600 });
    const before = await keyringItem();
    const refreshed = await cli(['refresh', '--kubeconfig', home.kubeconfig]);
    expect(refreshed.code).toBe(0);
    expect(provider.stats.refreshGrants).toBe(1);
    const rotated = await keyringItem();
    expect(rotated).not.toBe('');
    expect(rotated).not.toBe(before);
    expect(await filesContaining(rotated)).toEqual([]);
    const got = await cli(['logout', '--kubeconfig', home.kubeconfig]);
    expect(got.stderr).toContain('Deleted the cached tokens');
    expect(existsSync(entryFile())).toBe(false);
    expect(await keyringItem()).toBe('');
  });

  it('without a Secret Service: a clear error naming --token-cache-storage disk, and no refresh token written anywhere', async () => {
    const got = await cli(tokenArgs('keyring'), { CASDOOR_PASSWORD: 'correct-horse', DBUS_SESSION_BUS_ADDRESS: `unix:path=${home.path('no-bus')}` });
    expect(got.code).toBe(6);
    expect(got.stderr).toMatch(/OS keyring/);
    expect(got.stderr).toContain('--token-cache-storage disk');
    expect(got.stdout).toBe('');
    expect(existsSync(entryFile())).toBe(false);
  }, 60_000);

  it('setup --mode exec without a Secret Service fails before the kubeconfig is touched', async () => {
    const kubeconfig = home.path('keyring-setup.yaml');
    await fs.writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\n');
    const before = await fs.readFile(kubeconfig);
    const got = await cli(
      ['setup', '--non-interactive', '--mode', 'exec', '--exec-command', DIST_BIN, '--token-cache-storage', 'keyring', '--casdoor-url', provider.issuer,
        '--client-id', provider.clientId, '--casdoor-ca', provider.caFile, '--username', 'alice', '--server', 'https://127.0.0.1:6443', '--kubeconfig', kubeconfig],
      { CASDOOR_PASSWORD: 'correct-horse', DBUS_SESSION_BUS_ADDRESS: `unix:path=${home.path('no-bus')}` },
    );
    expect({ code: got.code, keyring: /OS keyring/.test(got.stderr) }).toEqual({ code: 6, keyring: true });
    expect(await fs.readFile(kubeconfig)).toEqual(before);
  }, 60_000);
});

describe('token --token-cache-storage none', () => {
  it('logs in on every run and keeps nothing on disk', async () => {
    for (let i = 0; i < 2; i++) {
      const got = await cli(tokenArgs('none'), { CASDOOR_PASSWORD: 'correct-horse' });
      expect(got.code).toBe(0);
      expect(got.stdout).toContain('"token"');
    }
    expect(provider.stats.passwordGrants).toBe(2);
    expect(existsSync(cacheDir(home.home, {}))).toBe(false);
  }, 60_000);

  it('without a password or terminal: says nothing is kept and how to log in', async () => {
    const got = await cli(tokenArgs('none'));
    expect(got.code).toBe(3);
    expect(got.stderr).toContain('--token-cache-storage none keeps no token between runs');
    expect(got.stderr).toContain('--token-cache-storage none"');
  }, 60_000);
});
