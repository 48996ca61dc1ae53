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
// How (esbuild): what runs at start-up is CommonJS, in as few files as possible, because Node loads a
// CommonJS file without starting its ESM loader and each file costs a resolve, a read and a compile
// (issue 13: `--help` ≤ 2× `node -e 0`; ESM with code splitting was 2.9×).
// npm package:
//   dist/bin.js          the `token` fast path alone (our sources, node built-ins only: asserted below);
//                        anything else loads dist/cli/run.js (npmCliLoader);
//   dist/cli/run.js      the start-up graph, every module loaded before a command runs (commander, chalk,
//                        the command definitions), in one file compiled with the V8 code cache beside it
//                        (run.js.v8cache); it leaves each start-up module's namespace in a registry;
//   dist/lazy/*.mjs      one ESM entry per dynamic import of the start-up graph (use cases, undici, jose,
//   dist/chunks/*.mjs    inquirer, @kubernetes/client-node, the demo's provider), code-split; an import of a
//                        start-up module is answered from the registry (startupShims), never bundled twice.
// Single executable (SEA runs exactly one CommonJS script, whose require() reaches only the built-ins):
//   the main script is the fast path again; the start-up graph (cli.cjs) and all lazy parts in one CommonJS
//   file (lazy.cjs) are SEA assets with code caches, compiled when first needed (SEA_CLI_LOADER).
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

const IDENT = /^[A-Za-z_$][\w$]*$/;

/**
 * An ESM module offering a CommonJS module's exports by name, as Node does for `import()` of CommonJS
 * (cjs-module-lexer): `default` is module.exports, and each own key a named export.
 */
function cjsReexport(spec, moduleExports) {
  const names = Object.keys(moduleExports).filter((n) => IDENT.test(n) && n !== 'default');
  return `import m from ${JSON.stringify(spec)};\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`;
}

/**
 * With code splitting, esbuild turns `await import('undici')` (a CommonJS package) into a chunk whose only
 * export is `default`, so `const { request } = await import('undici')` finds nothing, where Node itself
 * would offer module.exports' names. Dynamic imports of CommonJS packages go through an ESM shim that
 * names every export the package has (read by loading it here, as Node's cjs-module-lexer would find them).
 */
function cjsDynamicImports() {
  return {
    name: 'cjs-dynamic-imports',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.path.startsWith('node:')) return undefined;
        const resolved = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
        if (resolved.errors.length || resolved.external || !isCommonJs(resolved.path)) return undefined;
        return { path: args.path, namespace: 'cjs-shim', pluginData: { resolveDir: args.resolveDir } };
      });
      build.onLoad({ filter: /.*/, namespace: 'cjs-shim' }, (args) => ({
        contents: cjsReexport(args.path, createRequire(path.join(args.pluginData.resolveDir, 'x.js'))(args.path)),
        resolveDir: args.pluginData.resolveDir,
        loader: 'js',
      }));
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

/**
 * Node built-ins that start-up modules import but `--help` never uses, loaded on first use instead (each
 * export a getter; esbuild's CommonJS output reads imports as properties at the call, so nothing else
 * changes). Each was measured in `--help`'s CPU profile:
 * - node:child_process, which commander requires when it loads for stand-alone executable subcommands
 *   (node_modules/commander/lib/command.js, _executeSubCommand, its one use): with it came net, dgram and
 *   the stream modules, ~4 ms;
 * - node:fs/promises, which our flag readers import (src/cli/inputs.ts and others), ~1.7 ms.
 */
const LAZY_BUILTINS = [
  { spec: 'node:child_process', importer: /node_modules[\\/]commander[\\/]/ },
  { spec: 'node:fs/promises', importer: /[\\/]src[\\/]/ },
];

function lazyBuiltins() {
  return {
    name: 'lazy-builtins',
    setup(build) {
      build.onResolve({ filter: /^node:/ }, (args) =>
        LAZY_BUILTINS.some((l) => l.spec === args.path && l.importer.test(args.importer)) ? { path: args.path, namespace: 'lazy-builtin' } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
        const names = Object.keys(require(args.path)).filter((n) => n !== 'default');
        const spec = JSON.stringify(args.path);
        return {
          contents: [
            'let m;',
            `const load = () => (m ??= require(${spec}));`,
            ...names.map((n) => `Object.defineProperty(exports, ${JSON.stringify(n)}, { enumerable: true, get: () => load()[${JSON.stringify(n)}] });`),
          ].join('\n'),
          loader: 'js',
        };
      });
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
  // CommonJS: dist/bin.js and dist/cli/run.js; the lazily loaded chunks are ESM by their .mjs names.
  out.type = 'commonjs';
  out.bin = { 'casdoor-kubeconfig': 'dist/bin.js', 'kubectl-casdoor': 'dist/bin.js' };
  out.files = ['dist', 'docs', 'README.md', 'LICENSE', 'THIRD_PARTY_NOTICES.md'];
  // The one package that cannot be bundled: a native binding (prebuilt per platform, in its own optional
  // packages), loaded only for --token-cache-storage keyring. Optional: where it cannot be installed the
  // tool works and that storage says so (src/token/keyring.ts).
  out.optionalDependencies = Object.fromEntries(NATIVE_EXTERNALS.map((name) => [name, pkg.dependencies[name]]));
  return out;
}

/** Where start-up modules leave their namespaces for the lazily loaded chunks (see startupShims). */
const STARTUP_REGISTRY = 'casdoor-kubeconfig.startup-modules';
const dynamicExternal = {
  name: 'dynamic-imports-external',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined));
  },
};

/**
 * The start-up graph: every input dist/cli/run.js loads before any command runs (static imports of
 * src/cli/run.ts, dynamic imports left out), as paths relative to the repository like esbuild's metafile.
 */
async function startupInputs(esbuild) {
  const metafile = await bundle(esbuild, {
    entryPoints: { run: 'src/cli/run.ts' },
    outdir: path.join(stage, 'probe'),
    write: false,
    format: 'cjs',
    plugins: [embedTemplates(), noSelfPath(), dynamicExternal],
  });
  return new Set(Object.keys(metafile.inputs));
}

/** dist/lazy/<name>.mjs for a dynamic import target: src/usecases/setup.ts → usecases/setup, a package → pkg/<name>. */
function lazyName(target) {
  if (target.startsWith('src/')) return target.slice(4).replace(/\.[cm]?[jt]s$/, '');
  return `pkg/${target.replace(/^@/, '').replace(/[^\w.-]+/g, '-')}`;
}

/**
 * The start-up bundle (CommonJS, one file): the entry's `run` plus, in a global registry, the namespace of
 * every start-up module, so that lazily loaded chunks share those modules (one CliError class, one cleanup
 * list) instead of bundling second copies. A dynamic import of a module outside the start-up graph becomes
 * `import('../lazy/<name>.mjs')`, whose target is collected into `lazy`.
 */
function startupEntry(startup, lazy, shared = startup) {
  const inputs = [...shared].filter((i) => /\.[cm]?[jt]s$/.test(i)).sort();
  return {
    name: 'startup-entry',
    setup(build) {
      build.onResolve({ filter: /^startup-entry$/ }, () => ({ path: 'startup-entry', namespace: 'startup-entry' }));
      build.onLoad({ filter: /.*/, namespace: 'startup-entry' }, () => ({
        contents: [
          "export { run } from './src/cli/run.ts';",
          ...inputs.map((input, i) => `import * as m${i} from ${JSON.stringify(`./${input}`)};`),
          `globalThis[Symbol.for(${JSON.stringify(STARTUP_REGISTRY)})] = {`,
          ...inputs.map((input, i) => `  ${JSON.stringify(input)}: m${i},`),
          '};',
        ].join('\n'),
        resolveDir: root,
        loader: 'js',
      }));
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData?.probe) return undefined;
        if (NATIVE_EXTERNALS.includes(args.path)) return { path: args.path, external: true };
        const resolved = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir, pluginData: { probe: true } });
        if (resolved.errors.length) return undefined;
        const rel = path.relative(root, resolved.path).split(path.sep).join('/');
        if (startup.has(rel)) return undefined; // already loaded: stays in this file
        const target = rel.startsWith('src/') ? rel : args.path;
        lazy.set(lazyName(target), { target, resolved: resolved.path });
        return { path: `../lazy/${lazyName(target)}.mjs`, external: true };
      });
    },
  };
}

/**
 * Lazily loaded chunks: an import of a start-up module is answered from the registry the start-up bundle
 * filled (its exports, by the names it has there), never bundled a second time.
 */
function startupShims(exportNames, used) {
  return {
    name: 'startup-shims',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.probe || args.namespace === 'startup-shim' || args.path.startsWith('node:')) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { probe: true } });
        if (resolved.errors.length || resolved.external) return undefined;
        const rel = path.relative(root, resolved.path).split(path.sep).join('/');
        if (!exportNames[rel]) return undefined;
        used?.add(rel);
        return { path: rel, namespace: 'startup-shim' };
      });
      build.onLoad({ filter: /.*/, namespace: 'startup-shim' }, (args) => {
        const names = exportNames[args.path].filter((n) => IDENT.test(n) && n !== 'default');
        return {
          contents: [
            `const m = globalThis[Symbol.for(${JSON.stringify(STARTUP_REGISTRY)})]?.[${JSON.stringify(args.path)}];`,
            `if (!m) throw new Error(${JSON.stringify(`${args.path} was not loaded by dist/cli/run.js`)});`,
            ...(exportNames[args.path].includes('default') ? ['export default m.default;'] : []),
            names.length ? `export const { ${names.join(', ')} } = m;` : '',
          ].join('\n'),
          loader: 'js',
        };
      });
    },
  };
}

/** A lazily loaded package (a dynamic import of it from the start-up graph): its exports, as Node would offer them. */
function lazyPackageEntries(lazy) {
  return {
    name: 'lazy-package-entries',
    setup(build) {
      build.onResolve({ filter: /^lazy-pkg:/ }, (args) => ({ path: args.path.slice('lazy-pkg:'.length), namespace: 'lazy-pkg' }));
      build.onLoad({ filter: /.*/, namespace: 'lazy-pkg' }, (args) => {
        const { resolved } = [...lazy.values()].find((l) => l.target === args.path);
        const contents = isCommonJs(resolved) ? cjsReexport(args.path, require(resolved)) : `export * from ${JSON.stringify(args.path)};`;
        return { contents, resolveDir: root, loader: 'js' };
      });
    },
  };
}

/** The export names of every start-up module, read from the built start-up bundle in a child process. */
function registryExportNames(startupFile) {
  const script = `require(${JSON.stringify(startupFile)}); const r = globalThis[Symbol.for(${JSON.stringify(STARTUP_REGISTRY)})];
process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, m]) => [k, Object.keys(m)]))));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } }));
}

/**
 * dist/cli/run.js runs inside this wrapper: CommonJS's own parameters plus __ckImport, which stands for its
 * dynamic import()s (vm-compiled code cannot import() without an experimental flag). Compiled with a
 * negative columnOffset, so that stack traces give run.js's own columns on its first line.
 */
const RUN_WRAPPER = ['(function (exports, require, module, __filename, __dirname, __ckImport) {', '\n})'];

/**
 * How dist/bin.js loads dist/cli/run.js: compiled with vm.Script and the V8 code cache in run.js.v8cache,
 * made at release by the same Node.js (compiling the file was ~8 ms of `--help`, ~1.7 ms with the cache).
 * Under another Node.js version V8 rejects the cache (Script#cachedDataRejected) and simply compiles.
 */
function npmCliLoader(filenameExpr) {
  return `
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');
const filename = ${filenameExpr};
// V8 checks a code cache against the length of the source only: a run.js edited after the release (a
// hotfix, patch-package) is newer than its cache, which is then left unused.
let cachedData;
try {
  if (fs.statSync(filename + '.v8cache').mtimeMs >= fs.statSync(filename).mtimeMs) cachedData = fs.readFileSync(filename + '.v8cache');
} catch { cachedData = undefined; }
const code = ${JSON.stringify(RUN_WRAPPER[0])} + fs.readFileSync(filename, 'utf8') + ${JSON.stringify(RUN_WRAPPER[1])};
const script = new vm.Script(code, { filename, cachedData, columnOffset: -${RUN_WRAPPER[0].length} });
const url = pathToFileURL(filename);
const ckImport = (spec) => import(spec.startsWith('.') ? new URL(spec, url).href : spec);
const cli = { exports: {} };
script.runInThisContext()(cli.exports, createRequire(filename), cli, filename, path.dirname(filename), ckImport);
module.exports = cli.exports;
`;
}

/**
 * esbuild leaves a bundle's external dynamic imports as import("…"): each becomes __ckImport("…"). Only
 * the specifiers the metafile lists as this output's external dynamic imports are rewritten, and any other
 * import("…") text fails the build (it would be one the rewrite cannot tell from code).
 */
function routeDynamicImports(file, metafile) {
  const out = Object.entries(metafile.outputs).find(([f]) => path.resolve(root, f) === path.resolve(file));
  if (!out) fail(`${file}: not in its metafile`);
  const external = new Set(out[1].imports.filter((i) => i.kind === 'dynamic-import' && i.external).map((i) => i.path));
  const text = readFileSync(file, 'utf8');
  const sites = text.match(/\bimport\("[^"]*"\)/g) ?? [];
  const odd = sites.filter((site) => !external.has(site.slice('import("'.length, -2)));
  if (odd.length) fail(`${file}: dynamic imports esbuild did not leave: ${odd.join(', ')}`);
  const routed = text.replace(/\bimport\("([^"]*)"\)/g, (_, spec) => `__ckImport(${JSON.stringify(spec)})`);
  if (/\bimport\(/.test(routed)) fail(`${file}: a dynamic import() is left that __ckImport does not route`);
  writeFileSync(file, routed);
}

/**
 * The code cache of a start-up bundle (dist/cli/run.js, the executable's cli.cjs): what V8 compiled to run
 * it and print `--help`, in a child process, compiled exactly as npmCliLoader and SEA_CLI_LOADER compile it.
 */
function writeCodeCache(file, cacheFile) {
  const maker = path.join(stage, 'make-code-cache.cjs');
  writeFileSync(
    maker,
    `const fs = require('node:fs');
const vm = require('node:vm');
const code = ${JSON.stringify(RUN_WRAPPER[0])} + fs.readFileSync(${JSON.stringify(file)}, 'utf8') + ${JSON.stringify(RUN_WRAPPER[1])};
const script = new vm.Script(code, { filename: ${JSON.stringify(file)}, columnOffset: -${RUN_WRAPPER[0].length} });
const m = { exports: {} };
script.runInThisContext()(m.exports, require, m, ${JSON.stringify(file)}, __dirname, () => Promise.reject(new Error('no import at build time')));
process.on('exit', () => fs.writeFileSync(${JSON.stringify(cacheFile)}, script.createCachedData()));
m.exports.run(['--help']);
`,
  );
  execFileSync(process.execPath, [maker], { stdio: ['ignore', 'ignore', 'inherit'], env: { PATH: process.env.PATH } });
  if (!existsSync(cacheFile)) fail(`no code cache was written for ${file}`);
}

async function buildNpmPackage(esbuild) {
  log('npm package (esbuild: dist/bin.js, the token fast path; dist/cli/run.js, what every command needs; lazily loaded ESM chunks)');
  const pkgDir = path.join(stage, 'package');
  mkdirSync(pkgDir, { recursive: true });
  // CommonJS for what runs at start-up: Node loads one CommonJS file without starting its ESM loader, which
  // costs more than the file itself (measured: `--help` 2.9× `node -e 0` with ESM code splitting).
  // (1) dist/bin.js: the token fast path in one file, node built-ins only; anything else requires ./cli/run.js.
  const binMeta = await bundle(esbuild, {
    outfile: path.join(pkgDir, 'dist', 'bin.js'),
    format: 'cjs',
    plugins: [
      {
        name: 'cli-run-required',
        setup(build) {
          build.onResolve({ filter: /^\.\/cli\/run\.js$/ }, (args) =>
            args.namespace === 'cli-run' ? { path: args.path, external: true } : { path: 'cli-run', namespace: 'cli-run' },
          );
          build.onLoad({ filter: /.*/, namespace: 'cli-run' }, () => ({ contents: npmCliLoader("require('node:path').join(__dirname, 'cli', 'run.js')"), loader: 'js' }));
        },
      },
    ],
  });
  const binInputs = Object.keys(binMeta.inputs);
  const notOurs = binInputs.filter((i) => !i.startsWith('src/') && !i.startsWith('cli-run:'));
  if (notOurs.length) fail(`dist/bin.js (the token fast path) bundles more than our sources: ${notOurs.join(', ')}`);
  // (2) dist/cli/run.js: the start-up graph in one CommonJS file.
  const startup = await startupInputs(esbuild);
  const heavy = [...startup].filter((i) => /node_modules\/(@kubernetes|@inquirer|undici|jose|js-yaml)\/|^src\/demo\//.test(i));
  if (heavy.length) fail(`dist/cli/run.js would load heavy modules before any command runs: ${[...new Set(heavy.map((h) => h.split('/').slice(0, 3).join('/')))].join(', ')}`);
  const lazy = new Map();
  const startupFile = path.join(pkgDir, 'dist', 'cli', 'run.js');
  const buildStartup = async (shared) => {
    const meta = await bundle(esbuild, {
      outfile: startupFile,
      entryPoints: ['startup-entry'],
      format: 'cjs',
      plugins: [embedTemplates(), noSelfPath(), lazyBuiltins(), startupEntry(startup, lazy, shared)],
    });
    const unexpected = Object.keys(meta.inputs).filter((i) => !startup.has(i) && !/^(startup-entry|lazy-builtin):/.test(i));
    if (unexpected.length) fail(`dist/cli/run.js bundles modules outside the start-up graph: ${unexpected.join(', ')}`);
    routeDynamicImports(startupFile, meta);
    return meta;
  };
  // First with every start-up module in the registry, to learn their export names.
  await buildStartup(startup);
  const exportNames = registryExportNames(startupFile);
  // (3) dist/lazy/*.mjs and dist/chunks/*.mjs: ESM with code splitting, one entry per dynamic import of (2).
  const shared = new Set();
  const metafile = await bundle(esbuild, {
    entryPoints: Object.fromEntries([...lazy].map(([name, { target }]) => [`lazy/${name}`, target.startsWith('src/') ? target : `lazy-pkg:${target}`])),
    outdir: path.join(pkgDir, 'dist'),
    format: 'esm',
    splitting: true,
    outExtension: { '.js': '.mjs' },
    plugins: [startupShims(exportNames, shared), lazyPackageEntries(lazy), embedTemplates(), noSelfPath(), cjsDynamicImports()],
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
  const twice = Object.keys(metafile.inputs).filter((i) => startup.has(i));
  if (twice.length) fail(`lazily loaded chunks bundle start-up modules a second time: ${twice.join(', ')}`);
  // Then (2) again with only the modules the chunks import in the registry: esbuild drops the exports
  // nobody uses from the rest (a smaller file to compile at every start).
  const startupMeta = await buildStartup(shared);
  writeCodeCache(startupFile, `${startupFile}.v8cache`);

  writeFileSync(path.join(pkgDir, 'package.json'), `${JSON.stringify(publishedPackageJson(), null, 2)}\n`);
  for (const f of ['README.md', 'LICENSE']) copyFileSync(path.join(root, f), path.join(pkgDir, f));
  writeFileSync(path.join(pkgDir, 'THIRD_PARTY_NOTICES.md'), thirdPartyNotices([startupMeta, metafile]));
  cpSync(path.join(root, 'docs'), path.join(pkgDir, 'docs'), { recursive: true });
  // --ignore-scripts: the staged package.json has none, and npm must not run the repo's `prepare`.
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', outDir], {
    cwd: pkgDir,
    encoding: 'utf8',
    shell: process.platform === 'win32', // npm is npm.cmd there
  });
  const [{ filename, size, unpackedSize }] = JSON.parse(packed);
  say(`   ${filename}: ${(size / 1e6).toFixed(2)} MB packed, ${(unpackedSize / 1e6).toFixed(2)} MB unpacked`);
  return { tarball: path.join(outDir, filename), metafiles: [startupMeta, metafile], split: { startupFile, startup, lazy, shared, exportNames } };
}

// ---------------------------------------------------------------------------------------------------------
// the single executable and the krew archive

/**
 * The single executable: SEA runs one CommonJS main script whose require() reaches the built-ins only, and
 * compiles it at every start. So the main script is dist/bin.ts's fast path alone; the CLI is split like the
 * npm package, in two SEA assets compiled with vm.Script and V8 code caches made here by the same node
 * binary (rejected, and simply recompiled, if it differs):
 *   cli.cjs   the start-up graph (the same as dist/cli/run.js), compiled when the fast path does not answer;
 *   lazy.cjs  every lazily loaded part in one CommonJS file (each part initialised on first import), compiled
 *             when a command first needs one; it shares the start-up modules through their registry.
 * Native modules cannot live in the blob: their import is refused with what to install instead.
 */
const SEA_CLI_LOADER = `
const sea = require('node:sea');
const vm = require('node:vm');
const path = require('node:path');
const dir = path.dirname(process.execPath);
function load(name) {
  const filename = path.join(dir, 'casdoor-kubeconfig-' + name + '.cjs');
  let cachedData;
  try { cachedData = Buffer.from(sea.getAsset(name + '.cache')); } catch { cachedData = undefined; }
  const code = ${JSON.stringify(RUN_WRAPPER[0])} + sea.getAsset(name + '.cjs', 'utf8') + ${JSON.stringify(RUN_WRAPPER[1])};
  const m = { exports: {} };
  new vm.Script(code, { filename, cachedData, columnOffset: -${RUN_WRAPPER[0].length} }).runInThisContext()(m.exports, require, m, filename, dir, ckImport);
  return m.exports;
}
let lazy;
function ckImport(spec) {
  const part = /^\\.\\.\\/lazy\\/(.+)\\.mjs$/.exec(spec);
  if (spec.startsWith('node:')) {
    const mod = require(spec);
    return Promise.resolve({ ...mod, default: mod });
  }
  if (!part) {
    return Promise.reject(new Error(spec + ' is a native module, which the single executable cannot carry; this needs the npm package (npm install -g ${pkg.name})'));
  }
  lazy ??= load('lazy');
  return lazy.entries[part[1]]();
}
module.exports = load('cli');
`;

async function buildSea(esbuild, { startupFile, startup, lazy, shared, exportNames }) {
  const name = `${pkg.name}-${platformName()}${exeSuffix(OS[process.platform])}`;
  log(`single executable ${name} (esbuild → CommonJS fast path + start-up and lazy CLI assets → SEA blob → postject)`);
  const seaDir = path.join(stage, 'sea');
  mkdirSync(seaDir, { recursive: true });
  const main = path.join(seaDir, 'main.cjs');
  const cli = path.join(seaDir, 'cli.cjs');
  const lazyFile = path.join(seaDir, 'lazy.cjs');
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
  // cli.cjs: the start-up graph, the very file the npm package has as dist/cli/run.js (same bundle, same
  // __ckImport specifiers, which SEA_CLI_LOADER maps to lazy.cjs's entries).
  copyFileSync(startupFile, cli);
  // lazy.cjs: one entry, `entries`, a loader per lazy part (esbuild initialises each on its first import).
  const seaShared = new Set();
  const lazyMeta = await bundle(esbuild, {
    entryPoints: ['sea-lazy-entry'],
    outfile: lazyFile,
    format: 'cjs',
    plugins: [
      startupShims(exportNames, seaShared),
      {
        name: 'sea-lazy-entry',
        setup(build) {
          build.onResolve({ filter: /^sea-lazy-entry$/ }, () => ({ path: 'sea-lazy-entry', namespace: 'sea-lazy-entry' }));
          build.onLoad({ filter: /.*/, namespace: 'sea-lazy-entry' }, () => ({
            contents: `export const entries = {\n${[...lazy]
              .map(([part, { target }]) => `  ${JSON.stringify(part)}: () => import(${JSON.stringify(target.startsWith('src/') ? `./${target}` : target)}),`)
              .join('\n')}\n};\n`,
            resolveDir: root,
            loader: 'js',
          }));
        },
      },
      embedTemplates(),
      noSelfPath(),
      missingOptionalRequires(),
    ],
  });
  const twice = Object.keys(lazyMeta.inputs).filter((i) => startup.has(i));
  if (twice.length) fail(`the executable's lazy.cjs bundles start-up modules a second time: ${twice.join(', ')}`);
  routeDynamicImports(lazyFile, lazyMeta);
  const notShared = [...seaShared].filter((i) => !shared.has(i));
  if (notShared.length) fail(`the executable's lazy.cjs imports start-up modules the registry does not hold: ${notShared.join(', ')}`);
  const { Script } = await import('node:vm');
  writeCodeCache(cli, `${cli}.cache`);
  const lazyCode = RUN_WRAPPER[0] + readFileSync(lazyFile, 'utf8') + RUN_WRAPPER[1];
  writeFileSync(`${lazyFile}.cache`, new Script(lazyCode, { filename: 'casdoor-kubeconfig-lazy.cjs', columnOffset: -RUN_WRAPPER[0].length }).createCachedData());

  const config = path.join(seaDir, 'sea-config.json');
  const blob = path.join(seaDir, 'sea-prep.blob');
  // useCodeCache: V8's compile cache for main.cjs goes into the blob (a faster start, same platform only).
  writeFileSync(
    config,
    JSON.stringify({
      main,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      assets: { 'cli.cjs': cli, 'cli.cache': `${cli}.cache`, 'lazy.cjs': lazyFile, 'lazy.cache': `${lazyFile}.cache` },
    }),
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
  return { exe, metafiles: [lazyMeta] };
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
  const { metafiles, split } = await buildNpmPackage(esbuild);
  if (sea) {
    const { exe, metafiles: seaMetafiles } = await buildSea(esbuild, split);
    buildKrewArchive(exe, thirdPartyNotices([...metafiles, ...seaMetafiles]));
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
