// The exec plugin's hot path: `casdoor-kubeconfig token …` with a valid cached token, as kubectl runs it
// on every command (a fresh `node dist/bin.js` process), against `node -e 0` in the same run. Median of
// RUNS alternating runs each, after one warm-up of each. Target: ours/node <= 1.5.
// Also: the refresh round trip against the local Casdoor-like provider, as a whole `token` process whose
// cached token has expired (discovery + refresh grant + JWKS + verification + atomic cache write).
// The same two with --token-cache-storage keyring when a Secret Service can be started here (gnome-keyring
// in its own dbus-run-session, as the e2e test does): the cached path is the disk path (the id_token is in
// the file); the refresh also reads and writes the refresh token in the keyring.
//
//   npm run build && node bench/token.mjs
import { execFile, spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../dist');
const bin = path.join(dist, 'bin.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const REFRESH_RUNS = 5;

for (const f of [bin, path.join(dist, 'demo', 'index.js'), path.join(dist, 'token', 'cache.js')]) {
  if (!existsSync(f)) {
    console.error(`bench/token: ${f} is missing. Run \`npm run build\` first.`);
    process.exit(1);
  }
}

const { startDemoEnvironment } = await import(pathToFileURL(path.join(dist, 'demo', 'index.js')).href);
const { cacheDir, cacheFile } = await import(pathToFileURL(path.join(dist, 'token', 'cache.js')).href);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x) => Math.round(x * 10) / 10;

// Children run asynchronously: the provider in this process must keep answering during the refresh runs.
async function timed(file, args, env) {
  const start = performance.now();
  const { stdout } = await run(file, args, { env, maxBuffer: 1 << 20 });
  return { ms: performance.now() - start, stdout };
}

/** gnome-keyring unlocked in a new dbus-run-session: { bus, stop } or { reason } when it cannot start. */
function startSecretService(dataHome) {
  const script = 'eval "$(printf \'\\n\' | gnome-keyring-daemon --unlock --daemonize --components=secrets)" || exit 3\necho "BUS=$DBUS_SESSION_BUS_ADDRESS"\nexec sleep 600';
  return new Promise((resolve) => {
    const child = spawn('dbus-run-session', ['--', 'sh', '-c', script], { env: { PATH: process.env.PATH ?? '', HOME: dataHome, XDG_DATA_HOME: dataHome }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let text = '';
    child.on('error', (err) => resolve({ reason: err.message }));
    child.on('exit', (code) => resolve({ reason: `dbus-run-session exited (${code}) ${text.trim()}` }));
    child.stderr.on('data', (d) => (text += d));
    child.stdout.on('data', (d) => {
      text += d;
      const m = /BUS=(\S+)/.exec(text);
      if (m) resolve({ bus: m[1], stop: () => child.exitCode === null && process.kill(-child.pid, 'SIGTERM') });
    });
  });
}

const demo = await startDemoEnvironment();
const home = await fs.mkdtemp(path.join(os.tmpdir(), 'ck-bench-token-'));
const keyringHome = await fs.mkdtemp(path.join(os.tmpdir(), 'ck-bench-keyring-'));
const keyringData = await fs.mkdtemp(path.join(os.tmpdir(), 'ck-bench-keyring-data-'));
const service = await startSecretService(keyringData);
try {
  const { provider, caFile } = demo;
  const key = { issuer: provider.issuer, clientId: provider.clientId, username: 'alice', ca: caFile };
  const args = ['token', '--casdoor-url', key.issuer, '--client-id', key.clientId, '--casdoor-ca', caFile, '--username', 'alice'];
  const env = { PATH: process.env.PATH ?? '', HOME: home };
  const file = cacheFile(cacheDir(home, {}), key);

  // A real login fills the cache (the password grant, as kubectl's first use would with CASDOOR_PASSWORD).
  await timed(process.execPath, [bin, ...args], { ...env, CASDOOR_PASSWORD: 'correct-horse' });
  const entry = JSON.parse(await fs.readFile(file, 'utf8'));
  if (!entry.refreshToken) throw new Error('the login left no refresh token in the cache');

  // The keyring variant: its own home, the refresh token in the Secret Service.
  const kArgs = [...args, '--token-cache-storage', 'keyring'];
  const kEnv = service.bus ? { PATH: env.PATH, HOME: keyringHome, DBUS_SESSION_BUS_ADDRESS: service.bus } : undefined;
  const kFile = cacheFile(cacheDir(keyringHome, {}), key);
  if (kEnv) {
    await timed(process.execPath, [bin, ...kArgs], { ...kEnv, CASDOOR_PASSWORD: 'correct-horse' });
    const kEntry = JSON.parse(await fs.readFile(kFile, 'utf8'));
    if (kEntry.refreshToken || kEntry.refreshTokenIn !== 'keyring') throw new Error('the keyring login left its refresh token in the file');
  } else {
    console.log(`keyring: SKIPPED (no Secret Service: ${service.reason})`);
  }

  // Hot path: cached token, no network.
  const before = { ...provider.stats };
  const ours = [];
  const node = [];
  const keyringCached = [];
  await timed(process.execPath, [bin, ...args], env);
  await timed(process.execPath, ['-e', '0'], env);
  for (let i = 0; i < RUNS; i++) {
    const r = await timed(process.execPath, [bin, ...args], env);
    if (!r.stdout.includes('"kind":"ExecCredential"')) throw new Error(`unexpected output: ${r.stdout.slice(0, 200)}`);
    ours.push(r.ms);
    node.push((await timed(process.execPath, ['-e', '0'], env)).ms);
    if (kEnv) {
      const k = await timed(process.execPath, [bin, ...kArgs], kEnv);
      if (!k.stdout.includes('"kind":"ExecCredential"')) throw new Error(`unexpected output: ${k.stdout.slice(0, 200)}`);
      keyringCached.push(k.ms);
    }
  }
  if (provider.stats.tokenRequests !== before.tokenRequests) throw new Error('the cached path made token requests');

  // Refresh round trip: expire the cache entry, run `token` once, repeat.
  const refreshRuns = async (entryFile, runArgs, runEnv) => {
    const times = [];
    for (let i = 0; i < REFRESH_RUNS; i++) {
      const current = JSON.parse(await fs.readFile(entryFile, 'utf8'));
      await fs.writeFile(entryFile, JSON.stringify({ ...current, expiresAt: Math.floor(Date.now() / 1000) - 1 }), { mode: 0o600 });
      const grants = provider.stats.refreshGrants;
      times.push((await timed(process.execPath, [bin, ...runArgs], runEnv)).ms);
      if (provider.stats.refreshGrants !== grants + 1) throw new Error('the expired entry was not refreshed exactly once');
    }
    return times;
  };
  const refreshes = await refreshRuns(file, args, env);
  const keyringRefreshes = kEnv ? await refreshRuns(kFile, kArgs, kEnv) : [];

  const oursMs = median(ours);
  const nodeMs = median(node);
  const ratio = oursMs / nodeMs;
  console.log(`token (cached):   median ${round(oursMs)} ms over ${RUNS} runs`);
  console.log(`node -e 0:        median ${round(nodeMs)} ms over ${RUNS} runs`);
  console.log(`ratio:            ${ratio.toFixed(2)} (target <= 1.5) ${ratio <= 1.5 ? 'OK' : 'OVER TARGET'}`);
  console.log(`token (refresh):  median ${round(median(refreshes))} ms over ${REFRESH_RUNS} runs (process start + discovery + refresh grant + JWKS + verify + cache write)`);
  if (kEnv) {
    console.log(`keyring (cached): median ${round(median(keyringCached))} ms over ${RUNS} runs, ratio ${(median(keyringCached) / nodeMs).toFixed(2)} to node -e 0`);
    console.log(`keyring (refresh): median ${round(median(keyringRefreshes))} ms over ${REFRESH_RUNS} runs (as above + the keyring binding, a Secret Service read and write)`);
  }
  console.log(
    JSON.stringify({
      bench: 'token-cached',
      ours_ms: round(oursMs),
      node_ms: round(nodeMs),
      ratio: Math.round(ratio * 100) / 100,
      refresh_ms: round(median(refreshes)),
      ...(kEnv ? { keyring_cached_ms: round(median(keyringCached)), keyring_refresh_ms: round(median(keyringRefreshes)) } : {}),
      runs: RUNS,
    }),
  );
  process.exitCode = ratio <= 1.5 ? 0 : 1;
} finally {
  service.stop?.();
  await demo.close();
  for (const dir of [home, keyringHome, keyringData]) await fs.rm(dir, { recursive: true, force: true });
}
