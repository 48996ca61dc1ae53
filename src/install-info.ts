/**
 * How this copy of the tool is running (the single executable, npx, an installed npm package, a git
 * checkout), and so which `command` an exec credential entry can name for kubectl to start later.
 *
 * - single executable (Node.js SEA, scripts/release.mjs): the executable's absolute path. The path the
 *   user started it by wins when it leads to the same file (a symlink such as krew's
 *   ~/.krew/bin/kubectl-casdoor survives an upgrade; the versioned file behind it does not).
 * - npx: the package lives in npm's temporary cache (<cache>/_npx/<hash>/), which npm may empty at any
 *   time, so it is never written. A persistent `casdoor-kubeconfig` on PATH is used instead; without
 *   one, setup refuses and says how to install.
 * - an installed package or a checkout: `casdoor-kubeconfig`, found on PATH as kubectl runs it.
 *
 * Reads process state only through the `Runtime` it is given (tests pass their own).
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CliError } from './errors.js';

export type InstallKind = 'sea' | 'npx' | 'package' | 'checkout';

export interface Runtime {
  isSea: boolean;
  execPath: string;
  /** process.argv[1]: the script (node) or, in a single executable, the name it was started by. */
  argv1: string | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** fs.realpathSync; throws when the path does not exist. */
  realpath: (p: string) => string;
  isExecutable: (p: string) => boolean;
}

export const PACKAGE_NAME = 'casdoor-kubeconfig';

/** The ways to install the tool (README "Install"), for installHint and the npx refusal. */
export const INSTALL_METHODS = [
  `npm install -g ${PACKAGE_NAME}`,
  `the single executable ${PACKAGE_NAME}-<os>-<arch> of a release (no Node.js needed)`,
  'kubectl krew install --manifest=casdoor.yaml (the kubectl-casdoor plugin)',
];

/** Node ≥ 20.12 has `node:sea`; an older Node cannot be one of our executables (built with Node 20.20). */
export function runningAsSea(): boolean {
  try {
    // createRequire: works the same in the ESM package and the CommonJS single-executable bundle.
    const sea = createRequire(process.execPath)('node:sea') as { isSea?: () => boolean };
    return typeof sea.isSea === 'function' && sea.isSea();
  } catch {
    return false;
  }
}

export function currentRuntime(): Runtime {
  return {
    isSea: runningAsSea(),
    execPath: process.execPath,
    argv1: process.argv[1],
    cwd: process.cwd(),
    env: process.env,
    platform: process.platform,
    realpath: (p) => realpathSync(p),
    isExecutable: (p) => {
      try {
        accessSync(p, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
  };
}

const safeRealpath = (rt: Runtime, p: string): string | undefined => {
  try {
    return rt.realpath(p);
  } catch {
    return undefined;
  }
};

const pathApi = (rt: Runtime): path.PlatformPath => (rt.platform === 'win32' ? path.win32 : path.posix);

/**
 * `<npm cache>/_npx/<hash>/…`: where npx installs packages (npm's @npmcli/config definitions.js sets
 * flatOptions.npxCache = join(cache, '_npx'); libnpmexec lib/index.js installs into resolve(npxCache, hash)).
 */
export function isNpxCachePath(p: string): boolean {
  return /[\\/]_npx[\\/]/.test(p);
}

export function installKind(rt: Runtime): InstallKind {
  if (rt.isSea) return 'sea';
  const script = rt.argv1 ? pathApi(rt).resolve(rt.cwd, rt.argv1) : '';
  const real = (script && safeRealpath(rt, script)) || script;
  if (isNpxCachePath(script) || isNpxCachePath(real)) return 'npx';
  if (/[\\/]node_modules[\\/]casdoor-kubeconfig[\\/]/.test(real)) return 'package';
  return 'checkout';
}

/** Every `name` on PATH (with Windows' PATHEXT), in PATH order. */
function onPath(rt: Runtime, name: string): string[] {
  const p = pathApi(rt);
  const exts = rt.platform === 'win32' ? (rt.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  const found: string[] = [];
  for (const dir of (rt.env.PATH ?? rt.env.Path ?? '').split(p.delimiter)) {
    if (!dir || !p.isAbsolute(dir)) continue;
    for (const ext of exts) {
      const candidate = p.join(dir, name + ext.toLowerCase());
      if (rt.isExecutable(candidate)) found.push(candidate);
    }
  }
  return found;
}

/** The single executable's path as the user reached it (a symlink stays a symlink), else its real path. */
export function seaCommand(rt: Runtime): string {
  const p = pathApi(rt);
  const self = safeRealpath(rt, rt.execPath) ?? rt.execPath;
  const started = rt.argv1;
  if (started) {
    const candidates = started.includes('/') || started.includes('\\') ? [p.resolve(rt.cwd, started)] : onPath(rt, started);
    for (const c of candidates) {
      if (p.isAbsolute(c) && !isNpxCachePath(c) && safeRealpath(rt, c) === self) return c;
    }
  }
  return rt.execPath;
}

/**
 * The exec entry's `command` when the user gave no --exec-command: something kubectl can start on every
 * later command, never a path that may disappear.
 */
export function defaultExecCommand(rt: Runtime = currentRuntime()): string {
  switch (installKind(rt)) {
    case 'sea':
      return seaCommand(rt);
    case 'npx': {
      const persistent = onPath(rt, PACKAGE_NAME).filter((c) => !isNpxCachePath(c) && !isNpxCachePath(safeRealpath(rt, c) ?? c));
      if (persistent.length) return PACKAGE_NAME;
      throw new CliError('usage', 'npx runs casdoor-kubeconfig from a temporary cache that npm may empty, so kubectl could not start it for exec mode later.', {
        hint: `Install it first, then run setup again: ${INSTALL_METHODS.join('; ')}. Or pass --exec-command with the absolute path of an installed casdoor-kubeconfig.`,
      });
    }
    default:
      return PACKAGE_NAME;
  }
}

/** `--version --verbose`: the version, then what runs it. */
export function versionDetails(version: string, rt: Runtime = currentRuntime()): string {
  const how: Record<InstallKind, string> = {
    sea: `single executable ${rt.execPath}`,
    npx: 'npm package run by npx (temporary cache)',
    package: 'npm package',
    checkout: 'source checkout',
  };
  return [
    version,
    `${PACKAGE_NAME} ${version} (${how[installKind(rt)]})`,
    `Node.js ${process.version}${rt.isSea ? ' (inside the executable)' : ` (${rt.execPath})`}, ${process.platform}-${process.arch}`,
    '',
  ].join('\n');
}
