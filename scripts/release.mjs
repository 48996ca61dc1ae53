// `npm run release`: everything a user installs, written into release/ (ignored by git).
//
//   release/casdoor-kubeconfig-<version>.tgz    the npm package, bundled: `npm install -g <tgz>` / `npx <tgz>`
//                                               need no build step, no dependency and no network
//   release/casdoor-kubeconfig-<os>-<arch>      single executable (Node.js SEA): runs without Node.js
//   release/kubectl-casdoor-<os>-<arch>.tar.gz  krew archive: kubectl-casdoor (the same executable) + LICENSE
//   release/casdoor.yaml                        krew manifest, sha256 of every archive present
//   release/SHA256SUMS                          sha256sum format, every file above
//
//   node scripts/release.mjs                     all of it, for the platform it runs on
//   node scripts/release.mjs --no-sea            npm package only (no executable, archive or manifest)
//   node scripts/release.mjs manifest <dir>      rewrite <dir>/casdoor.yaml and <dir>/SHA256SUMS from the
//                                                archives in <dir> (the release workflow, all platforms)
//
// Environment: RELEASE_BASE_URL, where the archives will be downloaded from (default: the GitHub release
// of $GITHUB_REPOSITORY, tag v<version>); RELEASE_OUT_DIR, another folder than release/ (the e2e test).
//
// How: esbuild bundles src/ four times.
// npm package: (1) dist/bin.js, the `token` fast path alone (our sources, node built-ins only: asserted
// below), which imports ./cli/run.js for anything else; (2) dist/cli/run.js, ESM with code splitting:
// what every command needs (commander, js-yaml) loads with it, and each heavy part (@kubernetes/client-node,
// undici, jose, inquirer, the demo's provider) is a chunk loaded when a command first uses it.
// Single executable: Node's SEA runs exactly one script, as CommonJS, and its require() reaches only the
// built-in modules (Node 20 docs, "Single executable applications"). (3) the main script: the fast path
// again, as CommonJS; (4) the CLI as one CommonJS file, an SEA asset with a V8 code cache, compiled only
// when the fast path does not answer.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const outDir = path.resolve(root, process.env.RELEASE_OUT_DIR || 'release');
const stage = path.join(outDir, '.stage');

const OS = { linux: 'linux', darwin: 'darwin', win32: 'windows' };
const KREW_ARCH = { x64: 'amd64', arm64: 'arm64' };
/** Every platform the release workflow builds (.github/workflows/release.yml). */
const PLATFORMS = [
  ['linux', 'x64'],
  ['linux', 'arm64'],
  ['darwin', 'x64'],
  ['darwin', 'arm64'],
  ['windows', 'x64'],
];
// The fuse string Node's SEA loader looks for (Node 20 docs, "Injecting the preparation blob").
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function fail(message) {
  process.stderr.write(`release: ${message}\n`);
  process.exit(1);
}

const say = (s) => process.stdout.write(`${s}\n`);
const log = (s) => say(`== ${s}`);
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const platformName = (os = OS[process.platform], arch = process.arch) => `${os}-${arch}`;
const exeSuffix = (os) => (os === 'windows' ? '.exe' : '');

function baseUrl() {
  if (process.env.RELEASE_BASE_URL) return process.env.RELEASE_BASE_URL.replace(/\/$/, '');
  const repo = process.env.GITHUB_REPOSITORY || 'casdoor/casdoor-kubeconfig';
  return `https://github.com/${repo}/releases/download/v${pkg.version}`;
}

// ---------------------------------------------------------------------------------------------------------
// esbuild

/** src/templates.ts reads templates/ next to the sources; the bundles carry the texts instead. */
function embedTemplates() {
  return {
    name: 'embed-templates',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]templates\.ts$/ }, (args) => {
        let src = readFileSync(args.path, 'utf8');
        const texts = {};
        for (const f of readdirSync(path.join(root, 'templates'))) texts[f] = readFileSync(path.join(root, 'templates', f), 'utf8');
        const dirLine = /^const TEMPLATE_DIR = new URL\([^)]*\);$/m;
        const readCall = 'readFileSync(new URL(name, TEMPLATE_DIR), \'utf8\')';
        if (!dirLine.test(src) || !src.includes(readCall)) {
          throw new Error('src/templates.ts no longer reads templates the way scripts/release.mjs embeds them: update embedTemplates()');
        }
        src = src.replace(dirLine, `const EMBEDDED_TEMPLATES: Record<string, string> = ${JSON.stringify(texts)};`);
        src = src.replace(readCall, 'EMBEDDED_TEMPLATES[name] as string');
        return { contents: src, loader: 'ts' };
      });
    },
  };
}

/**
 * src/self-path.ts locates dist/bin.js next to itself, which holds only in a tsc build: the bundles answer
 * from install-info instead (runningToolPath in src/usecases/exec-command.ts).
 */
function noSelfPath() {
  return {
    name: 'no-self-path',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]self-path\.ts$/ }, () => ({ contents: 'export const ENTRY_URL: string | undefined = undefined;', loader: 'ts' }));
    },
  };
}

/**
 * With code splitting, esbuild turns `await import('undici')` (a CommonJS package) into a chunk whose only
 * export is `default`, so `const { request } = await import('undici')` finds nothing, where Node itself
 * would offer module.exports' names. Dynamic imports of CommonJS packages go through an ESM shim that
 * names every export the package has (read by loading it here, as Node's cjs-module-lexer would find them).
 */
function cjsDynamicImports() {
  const ident = /^[A-Za-z_$][\w$]*$/;
  return {
    name: 'cjs-dynamic-imports',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.path.startsWith('node:')) return undefined;
        const resolved = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
        if (resolved.errors.length || resolved.external || !isCommonJs(resolved.path)) return undefined;
        return { path: args.path, namespace: 'cjs-shim', pluginData: { resolveDir: args.resolveDir } };
      });
      build.onLoad({ filter: /.*/, namespace: 'cjs-shim' }, (args) => {
        const mod = createRequire(path.join(args.pluginData.resolveDir, 'x.js'))(args.path);
        const names = Object.keys(mod).filter((n) => ident.test(n) && n !== 'default');
        const spec = JSON.stringify(args.path);
        return {
          contents: `import m from ${spec};\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`,
          resolveDir: args.pluginData.resolveDir,
          loader: 'js',
        };
      });
    },
  };
}

/**
 * Single executable only: a require() of a package that is not there (optional peers such as `encoding`,
 * `bufferutil`, tried inside try/catch) would reach SEA's require(), which loads built-ins only and warns
 * on stderr. Bundle a module that fails the way a missing package does instead, so the catch runs quietly.
 */
function missingOptionalRequires() {
  return {
    name: 'missing-optional-requires',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.kind !== 'require-call' || args.namespace === 'missing' || args.pluginData?.probe) return undefined;
        if (args.path.startsWith('node:') && !/^node:sqlite$/.test(args.path)) return undefined;
        if (args.path === 'node:sqlite' && isBuiltin('node:sqlite')) return undefined;
        if (!args.path.startsWith('node:')) {
          const resolved = await build.resolve(args.path, { kind: 'require-call', resolveDir: args.resolveDir, pluginData: { probe: true } });
          if (!resolved.errors.length) return undefined;
        }
        return { path: args.path, namespace: 'missing' };
      });
      build.onLoad({ filter: /.*/, namespace: 'missing' }, (args) => ({
        contents: `const e = new Error(${JSON.stringify(`Cannot find module '${args.path}'`)}); e.code = 'MODULE_NOT_FOUND'; throw e;`,
        loader: 'js',
      }));
    },
  };
}

function isCommonJs(file) {
  if (file.endsWith('.cjs')) return true;
  if (file.endsWith('.mjs')) return false;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')).type !== 'module';
  }
  return true;
}

/** Native bindings: never bundled (esbuild cannot load .node files), imported at run time. */
const NATIVE_EXTERNALS = ['@napi-rs/keyring'];

async function bundle(esbuild, options) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { bin: 'src/bin.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    // Whitespace and syntax only: names stay, so error names and stack traces stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [embedTemplates(), noSelfPath()],
    define: { 'process.env.NODE_ENV': '"production"' },
    external: NATIVE_EXTERNALS,
    ...options,
  });
  if (result.warnings.length) fail(`esbuild warnings (see above): ${result.warnings.length}`);
  return result.metafile;
}

/** The inputs every static import of `entry` pulls in (what loads before any dynamic import). */
function staticInputs(metafile, entry) {
  const seen = new Set();
  const inputs = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const out = metafile.outputs[file];
    for (const input of Object.keys(out.inputs)) inputs.add(input);
    for (const imp of out.imports) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  visit(entry);
  return [...inputs];
}

/** Licence texts of every bundled package (their licences ask that the notice travels with the code). */
function thirdPartyNotices(metafiles) {
  const pkgDirs = new Set();
  for (const m of metafiles) {
    for (const input of Object.keys(m.inputs)) {
      const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (match) pkgDirs.add(match[1]);
    }
  }
  const parts = [
    `# Third-party notices\n\nThe bundled files of ${pkg.name} ${pkg.version} include the following packages.\n`,
  ];
  for (const dir of [...pkgDirs].sort()) {
    const meta = JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
    const licenseFile = readdirSync(path.join(root, dir)).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text = licenseFile ? readFileSync(path.join(root, dir, licenseFile), 'utf8').trim() : `(no licence file; package.json says ${meta.license})`;
    parts.push(`## ${meta.name} ${meta.version} (${meta.license ?? 'see below'})\n\n\`\`\`\n${text}\n\`\`\`\n`);
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// the npm package

/** package.json of the published package: the bundle needs no runtime dependency. */
function publishedPackageJson() {
  const keep = ['name', 'version', 'description', 'license', 'type', 'keywords', 'homepage', 'repository', 'bugs', 'author', 'engines'];
  const out = Object.fromEntries(keep.filter((k) => pkg[k] !== undefined).map((k) => [k, pkg[k]]));
  out.bin = { 'casdoor-kubeconfig': 'dist/bin.js', 'kubectl-casdoor': 'dist/bin.js' };
  out.files = ['dist', 'docs', 'README.md', 'LICENSE', 'THIRD_PARTY_NOTICES.md'];
  // The one package that cannot be bundled: a native binding (prebuilt per platform, in its own optional
  // packages), loaded only for --token-cache-storage keyring. Optional: where it cannot be installed the
  // tool works and that storage says so (src/token/keyring.ts).
  out.optionalDependencies = Object.fromEntries(NATIVE_EXTERNALS.map((name) => [name, pkg.dependencies[name]]));
  return out;
}

async function buildNpmPackage(esbuild) {
  log('npm package (esbuild: dist/bin.js alone for the token fast path, the CLI as ESM with lazily loaded chunks)');
  const pkgDir = path.join(stage, 'package');
  mkdirSync(pkgDir, { recursive: true });
  // (1) dist/bin.js: the token fast path in one file, node built-ins only; anything else imports ./cli/run.js.
  const binMeta = await bundle(esbuild, {
    outfile: path.join(pkgDir, 'dist', 'bin.js'),
    format: 'esm',
    plugins: [
      {
        name: 'cli-run-external',
        setup(build) {
          build.onResolve({ filter: /^\.\/cli\/run\.js$/ }, (args) => ({ path: args.path, external: true }));
        },
      },
    ],
  });
  const binInputs = Object.keys(binMeta.inputs);
  const notOurs = binInputs.filter((i) => !i.startsWith('src/'));
  if (notOurs.length) fail(`dist/bin.js (the token fast path) bundles more than our sources: ${notOurs.join(', ')}`);
  // (2) dist/cli/run.js and its chunks: each heavy command's modules load when that command runs.
  const metafile = await bundle(esbuild, {
    entryPoints: { 'cli/run': 'src/cli/run.ts' },
    outdir: path.join(pkgDir, 'dist'),
    format: 'esm',
    splitting: true,
    plugins: [embedTemplates(), noSelfPath(), cjsDynamicImports()],
    chunkNames: 'chunks/[name]-[hash]',
    // Bundled CommonJS packages call require() for node built-ins and read __filename (write-file-atomic
    // names its temporary files with it): give every ESM chunk real ones.
    banner: {
      js: [
        "import { createRequire as __ckRequire } from 'node:module';",
        "import { fileURLToPath as __ckPath } from 'node:url';",
        'const require = __ckRequire(import.meta.url);',
        'const __filename = __ckPath(import.meta.url);',
        "const __dirname = __ckPath(new URL('.', import.meta.url));",
      ].join(' '),
    },
  });
  // What every command loads before it runs (`--help` included): never the heavy packages.
  const runOut = Object.keys(metafile.outputs).find((f) => f.endsWith('dist/cli/run.js'));
  const eager = staticInputs(metafile, runOut);
  const heavy = eager.filter((i) => /node_modules\/(@kubernetes|@inquirer|oidc-provider|undici|jose)\/|^src\/demo\//.test(i));
  if (heavy.length) fail(`dist/cli/run.js loads heavy modules before any command runs: ${[...new Set(heavy.map((h) => h.split('/').slice(0, 3).join('/')))].join(', ')}`);

  writeFileSync(path.join(pkgDir, 'package.json'), `${JSON.stringify(publishedPackageJson(), null, 2)}\n`);
  for (const f of ['README.md', 'LICENSE']) copyFileSync(path.join(root, f), path.join(pkgDir, f));
  writeFileSync(path.join(pkgDir, 'THIRD_PARTY_NOTICES.md'), thirdPartyNotices([metafile]));
  cpSync(path.join(root, 'docs'), path.join(pkgDir, 'docs'), { recursive: true });
  // --ignore-scripts: the staged package.json has none, and npm must not run the repo's `prepare`.
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', outDir], {
    cwd: pkgDir,
    encoding: 'utf8',
    shell: process.platform === 'win32', // npm is npm.cmd there
  });
  const [{ filename, size, unpackedSize }] = JSON.parse(packed);
  say(`   ${filename}: ${(size / 1e6).toFixed(2)} MB packed, ${(unpackedSize / 1e6).toFixed(2)} MB unpacked`);
  return { tarball: path.join(outDir, filename), metafile };
}

// ---------------------------------------------------------------------------------------------------------
// the single executable and the krew archive

/**
 * The single executable's main script: dist/bin.ts's fast path, nothing else. SEA compiles its main script
 * on every start, so the CLI (several MB) is an SEA asset compiled only when the fast path did not answer,
 * with a V8 code cache made here by the same node binary (rejected, and simply recompiled, if it differs).
 */
const SEA_CLI_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'];
const SEA_CLI_LOADER = `
const sea = require('node:sea');
const vm = require('node:vm');
const path = require('node:path');
const filename = path.join(path.dirname(process.execPath), 'casdoor-kubeconfig-cli.cjs');
let cachedData;
try { cachedData = Buffer.from(sea.getAsset('cli.cache')); } catch { cachedData = undefined; }
const code = ${JSON.stringify(SEA_CLI_WRAPPER[0])} + sea.getAsset('cli.cjs', 'utf8') + ${JSON.stringify(SEA_CLI_WRAPPER[1])};
const cli = { exports: {} };
new vm.Script(code, { filename, cachedData }).runInThisContext()(cli.exports, require, cli, filename, path.dirname(filename));
module.exports = cli.exports;
`;

async function buildSea(esbuild) {
  const name = `${pkg.name}-${platformName()}${exeSuffix(OS[process.platform])}`;
  log(`single executable ${name} (esbuild → CommonJS fast path + CLI asset → SEA blob → postject)`);
  const seaDir = path.join(stage, 'sea');
  mkdirSync(seaDir, { recursive: true });
  const main = path.join(seaDir, 'main.cjs');
  const cli = path.join(seaDir, 'cli.cjs');
  const cache = path.join(seaDir, 'cli.cache');
  const mainMeta = await bundle(esbuild, {
    outfile: main,
    format: 'cjs',
    plugins: [
      {
        name: 'sea-cli-asset',
        setup(build) {
          build.onResolve({ filter: /^\.\/cli\/run\.js$/ }, () => ({ path: 'cli', namespace: 'sea-cli' }));
          build.onLoad({ filter: /.*/, namespace: 'sea-cli' }, () => ({ contents: SEA_CLI_LOADER, loader: 'js' }));
        },
      },
    ],
  });
  if (Object.keys(mainMeta.inputs).some((i) => i.includes('node_modules/'))) fail('the single executable\'s main script bundles packages');
  const metafile = await bundle(esbuild, {
    entryPoints: { cli: 'src/cli/run.ts' },
    outfile: cli,
    format: 'cjs',
    plugins: [embedTemplates(), noSelfPath(), missingOptionalRequires()],
  });
  const { Script } = await import('node:vm');
  const wrapped = SEA_CLI_WRAPPER[0] + readFileSync(cli, 'utf8') + SEA_CLI_WRAPPER[1];
  writeFileSync(cache, new Script(wrapped, { filename: 'casdoor-kubeconfig-cli.cjs' }).createCachedData());

  const config = path.join(seaDir, 'sea-config.json');
  const blob = path.join(seaDir, 'sea-prep.blob');
  // useCodeCache: V8's compile cache for main.cjs goes into the blob (a faster start, same platform only).
  writeFileSync(
    config,
    JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets: { 'cli.cjs': cli, 'cli.cache': cache } }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });

  const exe = path.join(outDir, name);
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  if (process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', exe]);
  const { inject } = require('postject');
  await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), {
    sentinelFuse: SEA_FUSE,
    ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
  });
  if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', exe]);

  // An empty environment: no Node.js on PATH (Windows keeps SystemRoot, which its C runtime needs).
  const emptyEnv = process.platform === 'win32' ? { SystemRoot: process.env.SystemRoot } : {};
  const version = execFileSync(exe, ['--version'], { env: emptyEnv, encoding: 'utf8' }).trim();
  if (version !== pkg.version) fail(`${name} --version printed ${JSON.stringify(version)}, not ${pkg.version}`);
  say(`   ${name}: ${(statSync(exe).size / 1e6).toFixed(1)} MB`);
  return { exe, metafile };
}

function buildKrewArchive(exe, notices) {
  const os = OS[process.platform];
  const archive = path.join(outDir, `kubectl-casdoor-${platformName()}.tar.gz`);
  log(`krew archive ${path.basename(archive)}`);
  const dir = path.join(stage, 'krew');
  mkdirSync(dir, { recursive: true });
  const bin = `kubectl-casdoor${exeSuffix(os)}`;
  copyFileSync(exe, path.join(dir, bin));
  chmodSync(path.join(dir, bin), 0o755);
  copyFileSync(path.join(root, 'LICENSE'), path.join(dir, 'LICENSE'));
  writeFileSync(path.join(dir, 'THIRD_PARTY_NOTICES.md'), notices);
  execFileSync('tar', ['-czf', archive, '-C', dir, bin, 'LICENSE', 'THIRD_PARTY_NOTICES.md']);
  return archive;
}

// ---------------------------------------------------------------------------------------------------------
// krew manifest and checksums (also run alone by the release workflow, over all platforms' archives)

/**
 * The krew plugin manifest (krew.googlecontainertools.github.com/v1alpha2 Plugin): one platform entry per
 * archive present in `dir`, each with the archive's real sha256. krew rejects an entry without one.
 */
export function krewManifest(dir, base = baseUrl()) {
  const platforms = [];
  for (const [os, arch] of PLATFORMS) {
    const archive = `kubectl-casdoor-${os}-${arch}.tar.gz`;
    if (!existsSync(path.join(dir, archive))) continue;
    platforms.push(
      [
        `  - selector:`,
        `      matchLabels:`,
        `        os: ${os}`,
        `        arch: ${KREW_ARCH[arch]}`,
        `    uri: ${base}/${archive}`,
        `    sha256: ${sha256(path.join(dir, archive))}`,
        `    bin: kubectl-casdoor${exeSuffix(os)}`,
      ].join('\n'),
    );
  }
  if (!platforms.length) fail(`no kubectl-casdoor-<os>-<arch>.tar.gz in ${dir}`);
  return [
    'apiVersion: krew.googlecontainertools.github.com/v1alpha2',
    'kind: Plugin',
    'metadata:',
    '  name: casdoor',
    'spec:',
    `  version: v${pkg.version}`,
    `  homepage: ${pkg.homepage ?? 'https://github.com/casdoor/casdoor-kubeconfig'}`,
    '  shortDescription: Log in to Casdoor (OIDC) and get a working kubectl context',
    '  description: |',
    '    Logs you in to Casdoor, verifies the id_token, explains what the API server',
    '    will see, and writes a cluster, an OIDC user and a context into your kubeconfig,',
    '    or an exec credential entry that renews tokens itself. Run `kubectl casdoor`',
    '    for the guided setup, `kubectl casdoor --help` for every command.',
    '  platforms:',
    ...platforms,
    '',
  ].join('\n');
}

function writeManifestAndSums(dir) {
  writeFileSync(path.join(dir, 'casdoor.yaml'), krewManifest(dir));
  const files = readdirSync(dir)
    .filter((f) => f !== 'SHA256SUMS' && !f.startsWith('.') && statSync(path.join(dir, f)).isFile())
    .sort();
  writeFileSync(path.join(dir, 'SHA256SUMS'), files.map((f) => `${sha256(path.join(dir, f))}  ${f}\n`).join(''));
  log(`casdoor.yaml and SHA256SUMS over ${files.length} files in ${path.relative(root, dir) || '.'}`);
}

// ---------------------------------------------------------------------------------------------------------

function checkVersion() {
  const main = readFileSync(path.join(root, 'src/cli/main.ts'), 'utf8');
  const m = /export const VERSION = '([^']+)'/.exec(main);
  if (!m || m[1] !== pkg.version) fail(`src/cli/main.ts VERSION (${m?.[1]}) differs from package.json (${pkg.version})`);
}

async function releaseAll({ sea }) {
  if (!OS[process.platform] || !KREW_ARCH[process.arch]) fail(`unsupported platform ${process.platform}-${process.arch}`);
  checkVersion();
  const esbuild = await import('esbuild');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const { metafile } = await buildNpmPackage(esbuild);
  if (sea) {
    const { exe, metafile: seaMeta } = await buildSea(esbuild);
    buildKrewArchive(exe, thirdPartyNotices([metafile, seaMeta]));
    writeManifestAndSums(outDir);
  }
  rmSync(stage, { recursive: true, force: true });
  for (const f of readdirSync(outDir)) say(`   ${path.join(path.relative(root, outDir) || ".", f)}`);
}

const args = process.argv.slice(2);
if (args[0] === 'manifest') {
  if (!args[1]) fail('usage: node scripts/release.mjs manifest <dir>');
  writeManifestAndSums(path.resolve(args[1]));
} else {
  await releaseAll({ sea: !args.includes('--no-sea') });
}
