// The release as users get it (issue 13), against the checkout's dist/ ("before") in the same run:
// - installed size: the npm tarball installed offline into an empty prefix, against dist/ plus the
//   production dependencies of the checkout (what `npm install -g` of the unbundled package brought);
// - `--help` against `node -e 0` (target: ≤ 2×) for the npm install, the single executable and dist/;
// - the cached `token` path (kubectl's every call) for the same three.
// Median of RUNS alternating runs each, after one warm-up of each; on Linux also the CPU time (user +
// system) each command cost, as a mean over the same runs (what "costs ≤ 2× `node -e 0`" is about:
// wall-clock figures move with the load of a shared machine, CPU time much less).
//
//   node bench/release.mjs      (npm run bench -- release) builds the release into a temporary folder
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const dist = path.join(root, 'dist');
const pkg = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8'));
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const PLATFORM = `${{ linux: 'linux', darwin: 'darwin', win32: 'windows' }[process.platform]}-${process.arch}`;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x) => Math.round(x * 10) / 10;
const mb = (kb) => Math.round((kb / 1024) * 10) / 10;
const say = (s) => process.stdout.write(`${s}\n`);

async function timed(file, args, env) {
  const start = performance.now();
  const { stdout } = await run(file, args, { env, maxBuffer: 4 << 20 });
  return { ms: performance.now() - start, stdout };
}

const CLK_TCK = process.platform === 'linux' ? Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100 : 0;

/**
 * CPU ms (user + system) of the children this process has waited for: cutime + cstime of
 * /proc/self/stat (proc(5): fields 16 and 17, in clock ticks). Linux only; undefined elsewhere.
 */
function childCpuMs() {
  if (!CLK_TCK) return undefined;
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLK_TCK;
}

/**
 * Median wall ms of each command, run alternately RUNS times after one warm-up each, and (Linux) its mean
 * CPU ms over the same runs (a sum over the runs: a clock tick is 10 ms, too coarse for one run).
 */
async function race(commands, env, check = () => true) {
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  const cpu = Object.fromEntries(Object.keys(commands).map((k) => [k, 0]));
  for (const [file, args] of Object.values(commands)) await timed(file, args, env);
  for (let i = 0; i < RUNS; i++) {
    for (const [name, [file, args]] of Object.entries(commands)) {
      const before = childCpuMs();
      const r = await timed(file, args, env);
      if (before !== undefined) cpu[name] += childCpuMs() - before;
      if (!check(name, r.stdout)) throw new Error(`${name}: unexpected output ${r.stdout.slice(0, 200)}`);
      times[name].push(r.ms);
    }
  }
  const ms = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  return { ...ms, cpu: CLK_TCK ? Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, v / RUNS])) : undefined };
}

const duKb = (p) => Number(execFileSync('du', ['-sk', p], { encoding: 'utf8' }).split('\t')[0]);

/** dist/ plus every production dependency of the checkout: what the unbundled package installed. */
function checkoutInstallKb() {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  const dirs = [...new Set(out.trim().split('\n').filter((d) => d !== root))].sort();
  const tops = dirs.filter((d, i) => !dirs.slice(0, i).some((p) => d.startsWith(`${p}/`)));
  return duKb(dist) + tops.reduce((sum, d) => sum + duKb(d), 0);
}

for (const f of [path.join(dist, 'bin.js'), path.join(dist, 'demo', 'index.js')]) {
  if (!existsSync(f)) {
    process.stderr.write(`bench/release: ${f} is missing. Run \`npm run build\` first.\n`);
    process.exit(1);
  }
}

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'ck-bench-release-'));
let demo;
try {
  const out = path.join(work, 'release');
  say('building the release (scripts/release.mjs) …');
  await run(process.execPath, [path.join(root, 'scripts', 'release.mjs')], { env: { ...process.env, RELEASE_OUT_DIR: out }, maxBuffer: 16 << 20 });
  const exe = path.join(out, `${pkg.name}-${PLATFORM}`);
  const tarball = path.join(out, `${pkg.name}-${pkg.version}.tgz`);
  const prefix = path.join(work, 'prefix');
  await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--omit=dev', '--no-audit', '--no-fund', tarball], {
    env: { ...process.env, npm_config_cache: path.join(work, 'npm-cache') },
  });
  // Run as `node <file>` like dist/bin.js, so that the comparison is of the code, not of the bin link's shebang.
  const installed = path.join(prefix, 'lib', 'node_modules', pkg.name, 'dist', 'bin.js');
  const bundleKb = duKb(prefix);
  const beforeKb = checkoutInstallKb();

  const home = path.join(work, 'home');
  await fs.mkdir(home);
  const env = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: home };

  const help = await race(
    {
      node: [process.execPath, ['-e', '0']],
      npm: [process.execPath, [installed, '--help']],
      sea: [exe, ['--help']],
      dist: [process.execPath, [path.join(dist, 'bin.js'), '--help']],
    },
    env,
    (name, stdout) => name === 'node' || stdout.includes('Usage: casdoor-kubeconfig'),
  );

  // The cached token path: one real login fills the cache that all three then answer from.
  const { startDemoEnvironment } = await import(pathToFileURL(path.join(dist, 'demo', 'index.js')).href);
  demo = await startDemoEnvironment();
  const args = ['token', '--casdoor-url', demo.provider.issuer, '--client-id', demo.provider.clientId, '--casdoor-ca', demo.caFile, '--username', 'alice'];
  await timed(exe, args, { ...env, CASDOOR_PASSWORD: 'correct-horse' });
  const grants = demo.provider.stats.tokenRequests;
  const token = await race(
    {
      node: [process.execPath, ['-e', '0']],
      npm: [process.execPath, [installed, ...args]],
      sea: [exe, args],
      dist: [process.execPath, [path.join(dist, 'bin.js'), ...args]],
    },
    env,
    (name, stdout) => name === 'node' || stdout.includes('"kind":"ExecCredential"'),
  );
  if (demo.provider.stats.tokenRequests !== grants) throw new Error('the cached path made token requests');

  const ratio = (x, base) => Math.round((x / base) * 100) / 100;
  const helpOk = ratio(help.npm, help.node) <= 2;
  say(`load average:     ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs (wall-clock medians; ratios are the figure to read)`);
  say(`installed size:   npm package ${mb(bundleKb)} MB (target <= 30); before (dist/ + production node_modules) ${mb(beforeKb)} MB`);
  say(`single exec:      ${mb(duKb(exe))} MB (the node binary + the bundle)`);
  say(`--help:           node -e 0 ${round(help.node)} ms; npm ${round(help.npm)} ms (${ratio(help.npm, help.node)}x, target <= 2 ${helpOk ? 'OK' : 'OVER TARGET'}); ` +
    `single exec ${round(help.sea)} ms (${ratio(help.sea, help.node)}x); before: dist ${round(help.dist)} ms (${ratio(help.dist, help.node)}x)`);
  if (help.cpu) {
    const c = help.cpu;
    say(`--help (CPU):     node -e 0 ${round(c.node)} ms; npm ${round(c.npm)} ms (${ratio(c.npm, c.node)}x); ` +
      `single exec ${round(c.sea)} ms (${ratio(c.sea, c.node)}x); dist ${round(c.dist)} ms (${ratio(c.dist, c.node)}x)`);
  }
  say(`token (cached):   node -e 0 ${round(token.node)} ms; npm ${round(token.npm)} ms (${ratio(token.npm, token.node)}x); ` +
    `single exec ${round(token.sea)} ms (${ratio(token.sea, token.node)}x); before: dist ${round(token.dist)} ms (${ratio(token.dist, token.node)}x)`);
  if (token.cpu) {
    const c = token.cpu;
    say(`token (CPU):      node -e 0 ${round(c.node)} ms; npm ${round(c.npm)} ms (${ratio(c.npm, c.node)}x); ` +
      `single exec ${round(c.sea)} ms (${ratio(c.sea, c.node)}x); dist ${round(c.dist)} ms (${ratio(c.dist, c.node)}x)`);
  }
  say(
    JSON.stringify({
      bench: 'release',
      installed_mb: mb(bundleKb),
      before_installed_mb: mb(beforeKb),
      help_ms: { node: round(help.node), npm: round(help.npm), sea: round(help.sea), dist: round(help.dist) },
      ...(help.cpu ? { help_cpu_ms: Object.fromEntries(Object.entries(help.cpu).map(([k, v]) => [k, round(v)])) } : {}),
      token_ms: { node: round(token.node), npm: round(token.npm), sea: round(token.sea), dist: round(token.dist) },
      ...(token.cpu ? { token_cpu_ms: Object.fromEntries(Object.entries(token.cpu).map(([k, v]) => [k, round(v)])) } : {}),
      runs: RUNS,
    }),
  );
  process.exitCode = bundleKb <= 30 * 1024 && helpOk ? 0 : 1;
} finally {
  await demo?.close();
  await fs.rm(work, { recursive: true, force: true });
}
