/**
 * The release as a user gets it (issue 13): `scripts/release.mjs` builds it once into a temporary folder,
 * then everything below uses the artifacts only, never the checkout:
 * - the npm tarball installs into an empty prefix with --offline --omit=dev and an empty npm cache (so
 *   nothing can come from the registry), runs as `casdoor-kubeconfig` and as `kubectl casdoor`;
 * - npx on the tarball runs it, and refuses to write its temporary cache path into an exec entry;
 * - the single executable runs with an empty environment (no Node.js, no PATH), sets up exec mode
 *   against the Casdoor-like provider and API server, and the real kubectl runs it as the exec plugin;
 * - the krew manifest carries the archive's real sha256, and SHA256SUMS matches every file.
 * When esbuild or postject is not installed the release cannot be built: the tests say so loudly and skip.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { startDemoEnvironment, type DemoEnvironment } from '../../src/demo/index.js';
import { kubectlBinary, requireKubectl, runKubectl, type KubectlResult } from '../helpers/kubectl.js';
import { setupArgs } from '../helpers/setup-args.js';
import { makeTempDir, makeTempHome, type TempHome } from '../helpers/tmp.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const PLATFORM = `${{ linux: 'linux', darwin: 'darwin', win32: 'windows' }[process.platform as string] ?? process.platform}-${process.arch}`;
const PASSWORD = 'correct-horse';

function canBuildRelease(): boolean {
  const require = createRequire(import.meta.url);
  const missing = ['esbuild', 'postject'].filter((m) => {
    try {
      require.resolve(m);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0 && process.platform !== 'win32') return true;
  console.warn(
    [
      '',
      '################################################################################',
      `##  THE RELEASE CANNOT BE BUILT HERE (${missing.length ? `missing: ${missing.join(', ')}` : process.platform}): release tests SKIPPED.`,
      '##  Run `npm ci` (esbuild and postject are dev dependencies) to run them.     ##',
      '################################################################################',
      '',
    ].join('\n'),
  );
  return false;
}

const buildable = canBuildRelease();
const itRelease = buildable ? it : it.skip;
const itReleaseKubectl = buildable && requireKubectl() ? it : it.skip;

function run(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env: options.env ?? {}, cwd: options.cwd ?? ROOT, timeout: options.timeout ?? 120_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const nodeDir = path.dirname(process.execPath);

let out: { dir: string; cleanup(): Promise<void> };
let work: { dir: string; cleanup(): Promise<void> };
let demo: DemoEnvironment | undefined;
const homes: TempHome[] = [];
let exe: string;
let tarball: string;

async function freshHome(): Promise<TempHome> {
  const home = await makeTempHome('ck-release-home-');
  homes.push(home);
  return home;
}

beforeAll(async () => {
  if (!buildable) return;
  out = await makeTempDir('ck-release-out-');
  work = await makeTempDir('ck-release-work-');
  // Built once for the whole file (the executable is a copy of the ~100 MB node binary).
  const build = await run(process.execPath, [path.join(ROOT, 'scripts', 'release.mjs')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work.dir, RELEASE_OUT_DIR: out.dir },
    timeout: 300_000,
  });
  if (build.code !== 0) throw new Error(`npm run release failed (${build.code}):\n${build.stdout}\n${build.stderr}`);
  exe = path.join(out.dir, `${PKG.name}-${PLATFORM}`);
  tarball = path.join(out.dir, `${PKG.name}-${PKG.version}.tgz`);
  demo = await startDemoEnvironment();
}, 360_000);

afterAll(async () => {
  await demo?.close();
  for (const home of homes) await home.cleanup();
  await out?.cleanup();
  await work?.cleanup();
});

describe('release artifacts', () => {
  itRelease('release/ holds the tarball, the executable, the krew archive and manifest, and SHA256SUMS over all of them', async () => {
    const files = (await fs.readdir(out.dir)).sort();
    const expected = [`${PKG.name}-${PKG.version}.tgz`, `${PKG.name}-${PLATFORM}`, `kubectl-casdoor-${PLATFORM}.tar.gz`, 'casdoor.yaml', 'SHA256SUMS'];
    expect(files).toEqual(expected.sort());
    const sums = (await fs.readFile(path.join(out.dir, 'SHA256SUMS'), 'utf8')).trim().split('\n');
    expect(sums).toHaveLength(4);
    for (const line of sums) {
      const [sum, name] = line.split(/ {2}/) as [string, string];
      expect({ name, sum }).toEqual({ name, sum: sha256(path.join(out.dir, name)) });
    }
  });

  itRelease('krew: the manifest entry for this platform carries the archive\'s sha256; the archive holds kubectl-casdoor and LICENSE', async () => {
    const manifest = yaml.load(await fs.readFile(path.join(out.dir, 'casdoor.yaml'), 'utf8')) as any;
    expect(manifest).toMatchObject({ apiVersion: 'krew.googlecontainertools.github.com/v1alpha2', kind: 'Plugin', metadata: { name: 'casdoor' }, spec: { version: `v${PKG.version}` } });
    const krewArch = { x64: 'amd64', arm64: 'arm64' }[process.arch as 'x64' | 'arm64'];
    const entry = manifest.spec.platforms.find((p: any) => p.selector.matchLabels.os === PLATFORM.split('-')[0] && p.selector.matchLabels.arch === krewArch);
    const archive = path.join(out.dir, `kubectl-casdoor-${PLATFORM}.tar.gz`);
    expect(entry).toMatchObject({ bin: 'kubectl-casdoor', sha256: sha256(archive) });
    expect(entry.uri).toMatch(new RegExp(`^https://.+/kubectl-casdoor-${PLATFORM}\\.tar\\.gz$`));
    const list = await run('tar', ['-tzf', archive], { env: { PATH: process.env.PATH ?? '' } });
    expect(list.stdout.trim().split('\n').sort()).toEqual(['LICENSE', 'THIRD_PARTY_NOTICES.md', 'kubectl-casdoor']);
    // The archived plugin is the executable, byte for byte.
    await run('tar', ['-xzf', archive, '-C', work.dir, 'kubectl-casdoor'], { env: { PATH: process.env.PATH ?? '' } });
    expect(sha256(path.join(work.dir, 'kubectl-casdoor'))).toBe(sha256(exe));
    expect(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toContain('Apache License');
  });
});

describe('npm package', () => {
  itReleaseKubectl('installs offline into an empty prefix with no dependency (≤ 30 MB) and runs as casdoor-kubeconfig and kubectl casdoor', async () => {
    const prefix = path.join(work.dir, 'prefix');
    const cache = path.join(work.dir, 'empty-npm-cache');
    const env = { PATH: `${nodeDir}:/usr/bin:/bin`, HOME: work.dir, npm_config_cache: cache, npm_config_update_notifier: 'false' };
    const install = await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--omit=dev', '--no-audit', '--no-fund', tarball], { env });
    expect({ code: install.code, stderr: install.stderr.replace(/npm (warn|notice).*\n/g, '') }).toEqual({ code: 0, stderr: '' });
    const installed = path.join(prefix, 'lib', 'node_modules', PKG.name);
    const manifest = JSON.parse(await fs.readFile(path.join(installed, 'package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(existsSync(path.join(installed, 'node_modules'))).toBe(false);
    const du = await run('du', ['-sk', prefix], { env: { PATH: '/usr/bin:/bin' } });
    expect(Number(du.stdout.split('\t')[0])).toBeLessThanOrEqual(30 * 1024);

    const binEnv = { PATH: `${path.join(prefix, 'bin')}:${nodeDir}:/usr/bin:/bin`, HOME: work.dir };
    const version = await run(path.join(prefix, 'bin', PKG.name), ['--version'], { env: binEnv });
    expect(version).toEqual({ code: 0, stdout: `${PKG.version}\n`, stderr: '' });
    const verbose = await run(path.join(prefix, 'bin', PKG.name), ['--version', '--verbose'], { env: binEnv });
    expect(verbose.stdout).toContain(`${PKG.name} ${PKG.version} (npm package)`);
    const help = await runKubectl(kubectlBinary() as string, ['casdoor', '--help'], { env: binEnv });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: casdoor-kubeconfig');
    expect(help.stdout).toContain('apiserver-config');

    // The lazily loaded chunks work from the install: setup logs in (undici, jose), writes the kubeconfig
    // and asks the API server who it sees (@kubernetes/client-node).
    const home = await freshHome();
    const setup = await run(path.join(prefix, 'bin', PKG.name), setupArgs(demo as DemoEnvironment, home), { env: { ...binEnv, HOME: home.home, CASDOOR_PASSWORD: PASSWORD } });
    expect({ code: setup.code, stderr: setup.stderr }).toEqual({ code: 0, stderr: expect.not.stringContaining('error') });
    expect(setup.stdout + setup.stderr).toMatch(/SelfSubjectReview|sees you as|alice/);
    expect((demo as DemoEnvironment).provider.stats.passwordGrants).toBeGreaterThan(0);
    const who = await run(path.join(prefix, 'bin', PKG.name), ['whoami', '--kubeconfig', home.kubeconfig], { env: { ...binEnv, HOME: home.home } });
    expect({ code: who.code, out: who.stdout.includes('alice') }).toEqual({ code: 0, out: true });
  });

  itRelease('--help runs from dist/bin.js and dist/cli/run.js alone: its V8 code cache accepted, no lazily loaded part, no child_process', async () => {
    const unpacked = path.join(work.dir, 'unpacked');
    await fs.mkdir(unpacked, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', unpacked], { env: { PATH: '/usr/bin:/bin' } });
    const dist = path.join(unpacked, 'package', 'dist');
    // What loaded, written when the process exits: built-in modules, and each vm.Script given a code cache.
    const report = path.join(work.dir, 'startup-report.json');
    const preload = path.join(work.dir, 'startup-report.cjs');
    await fs.writeFile(
      preload,
      `const vm = require('node:vm');
const caches = [];
const Script = vm.Script;
vm.Script = class extends Script {
  constructor(code, options) {
    super(code, options);
    if (options && options.cachedData) caches.push({ filename: options.filename, rejected: this.cachedDataRejected });
  }
};
process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ builtins: process.moduleLoadList, caches })));
`,
    );
    // The lazily loaded parts moved away: --help must not need them.
    for (const d of ['lazy', 'chunks']) await fs.rename(path.join(dist, d), path.join(dist, `${d}.away`));
    try {
      for (const args of [['--help'], ['setup', '--help'], ['token', '--help']]) {
        const r = await run(process.execPath, ['-r', preload, path.join(dist, 'bin.js'), ...args], { env: { PATH: '/usr/bin:/bin', HOME: work.dir } });
        expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
        expect(r.stdout).toContain('Usage: casdoor-kubeconfig');
        const { builtins, caches } = JSON.parse(await fs.readFile(report, 'utf8')) as { builtins: string[]; caches: { filename: string; rejected: boolean }[] };
        expect(caches).toEqual([{ filename: path.join(dist, 'cli', 'run.js'), rejected: false }]);
        expect(builtins.filter((m) => /^NativeModule (child_process|fs\/promises|readline)$/.test(m))).toEqual([]);
      }
      // A run.js changed after the release (newer than its cache) is compiled afresh: V8 would take a cache
      // for a source of the same length.
      const later = new Date(Date.now() + 60_000);
      await fs.utimes(path.join(dist, 'cli', 'run.js'), later, later);
      const edited = await run(process.execPath, ['-r', preload, path.join(dist, 'bin.js'), '--help'], { env: { PATH: '/usr/bin:/bin', HOME: work.dir } });
      expect({ code: edited.code, caches: JSON.parse(await fs.readFile(report, 'utf8')).caches }).toEqual({ code: 0, caches: [] });
    } finally {
      for (const d of ['lazy', 'chunks']) await fs.rename(path.join(dist, `${d}.away`), path.join(dist, d));
    }
    // With them back, a command that needs one loads it (whoami's use case, sharing the start-up modules).
    const bad = await run(process.execPath, [path.join(dist, 'bin.js'), 'whoami', '--kubeconfig', path.join(work.dir, 'none.yaml')], { env: { PATH: '/usr/bin:/bin', HOME: work.dir } });
    expect(bad.code).toBe(6);
    expect(bad.stderr).toContain('none.yaml');
  });

  itRelease('npx <tarball> runs it, and exec-mode setup from npx refuses to write npx\'s temporary cache path', async () => {
    const cache = path.join(work.dir, 'npx-cache');
    const home = await freshHome();
    // No casdoor-kubeconfig on PATH besides npx's own.
    const env = { PATH: `${nodeDir}:/usr/bin:/bin`, HOME: home.home, npm_config_cache: cache, npm_config_update_notifier: 'false' };
    // `file:`: npx takes a bare path for a command to run, not a package.
    const spec = `file:${tarball}`;
    const version = await run('npx', ['--yes', '--offline', spec, '--version'], { env, cwd: work.dir });
    expect({ code: version.code, stdout: version.stdout }).toEqual({ code: 0, stdout: `${PKG.version}\n` });

    const setup = await run('npx', ['--yes', '--offline', spec, ...setupArgs(demo as DemoEnvironment, home, ['--mode', 'exec'])], {
      env: { ...env, CASDOOR_PASSWORD: PASSWORD },
      cwd: work.dir,
    });
    expect({ code: setup.code, stderr: setup.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('temporary cache') });
    expect(setup.stderr).toContain('temporary cache');
    expect(setup.stderr).toContain('npm install -g casdoor-kubeconfig');
    expect(existsSync(home.kubeconfig)).toBe(false);
  });
});

describe('single executable', () => {
  itRelease('runs with an empty environment (no Node.js, no PATH): --version, --version --verbose, --help', async () => {
    expect(await run(exe, ['--version'], { env: {}, cwd: work.dir })).toEqual({ code: 0, stdout: `${PKG.version}\n`, stderr: '' });
    const verbose = await run(exe, ['--version', '--verbose'], { env: {}, cwd: work.dir });
    expect(verbose.code).toBe(0);
    expect(verbose.stdout.split('\n')[0]).toBe(PKG.version);
    expect(verbose.stdout).toContain(`single executable ${exe}`);
    expect(verbose.stdout).toContain(`Node.js ${process.version} (inside the executable)`);
    const help = await run(exe, ['--help'], { env: {}, cwd: work.dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: casdoor-kubeconfig');
    expect(help.stderr).toBe('');
  });

  itRelease('carries its templates: apiserver-config against the provider prints the AuthenticationConfiguration', async () => {
    const env = demo as DemoEnvironment;
    const res = await run(exe, ['apiserver-config', '--casdoor-url', env.provider.issuer, '--client-id', env.provider.clientId, '--casdoor-ca', env.caFile], { env: {}, cwd: work.dir });
    expect(res.stderr).not.toContain('ENOENT');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('kind: AuthenticationConfiguration');
    expect(res.stdout).toContain(`--oidc-issuer-url=${env.provider.issuer}`);
  });

  itReleaseKubectl('setup --mode exec from the executable writes its absolute path; kubectl runs it as the exec plugin with no PATH', async () => {
    const env = demo as DemoEnvironment;
    const home = await freshHome();
    const setup = await run(exe, setupArgs(env, home, ['--mode', 'exec']), { env: { HOME: home.home, CASDOOR_PASSWORD: PASSWORD }, cwd: work.dir });
    expect({ code: setup.code, stderr: setup.stderr.includes(PASSWORD) }).toEqual({ code: 0, stderr: false });
    const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as any;
    expect(doc.users[0].user.exec).toMatchObject({ command: exe, args: expect.arrayContaining(['token', '--casdoor-url', env.provider.issuer]) });
    expect(doc.users[0].user.exec.installHint).toContain('single executable');

    env.provider.resetStats();
    const kubectlEnv = { PATH: '/nonexistent', HOME: home.home };
    for (let i = 0; i < 2; i++) {
      const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig, env: kubectlEnv });
      expect({ code: who.code, stderr: who.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
    }
    // setup filled the cache: the plugin answered both times without asking Casdoor.
    expect(env.provider.stats.tokenRequests).toBe(0);
  });

  itRelease('keyring storage from the executable is refused clearly (the binding is native), and the kubeconfig is untouched', async () => {
    const env = demo as DemoEnvironment;
    const home = await freshHome();
    await fs.writeFile(home.kubeconfig, 'apiVersion: v1\nkind: Config\n');
    const before = await fs.readFile(home.kubeconfig);
    const setup = await run(exe, setupArgs(env, home, ['--mode', 'exec', '--token-cache-storage', 'keyring']), { env: { HOME: home.home, CASDOOR_PASSWORD: PASSWORD }, cwd: work.dir });
    expect(setup.code).toBe(6);
    expect(setup.stderr).toContain('the single executable cannot use the OS keyring');
    expect(setup.stderr).toContain('npm install -g casdoor-kubeconfig');
    expect(await fs.readFile(home.kubeconfig)).toEqual(before);
  });
});
