/**
 * Where things are, per platform, the way kubectl (client-go) finds them. Node built-ins only: the
 * `token` hot path uses kubeHomeDir to find its cache.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface StatLike {
  isDirectory(): boolean;
  mode: number;
}

export interface HomeDirOptions {
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** undefined when the path does not exist. */
  stat?: (path: string) => StatLike | undefined;
  /** Windows path joining (tests on POSIX pass a win32 join). */
  join?: (...parts: string[]) => string;
  /** Used when client-go would find no home at all (HOME unset on POSIX): the account's home. */
  fallback?: () => string;
}

function statOrUndefined(path: string): StatLike | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The home directory kubectl uses for ~/.kube (client-go util/homedir/homedir.go HomeDir):
 * - not Windows: $HOME;
 * - Windows: the first of %HOME%, %HOMEDRIVE%%HOMEPATH%, %USERPROFILE% holding a `.kube\config` file;
 *   else the first of %HOME%, %USERPROFILE%, %HOMEDRIVE%%HOMEPATH% that is a writable folder; else the
 *   first of those that exists; else the first that is set.
 * Node's os.homedir() differs: it ignores %HOME% on Windows, so a Git Bash user with HOME set would get
 * another kubeconfig than kubectl's. Where client-go has nothing (HOME unset), the account's home is used.
 */
export function kubeHomeDir(options: HomeDirOptions): string {
  const { env } = options;
  const platform = options.platform ?? process.platform;
  const stat = options.stat ?? statOrUndefined;
  const fallback = options.fallback ?? homedir;
  if (platform !== 'win32') return env.HOME || fallback();
  const j = options.join ?? join;
  const home = env.HOME ?? '';
  const driveAndPath = env.HOMEDRIVE && env.HOMEPATH ? env.HOMEDRIVE + env.HOMEPATH : '';
  const profile = env.USERPROFILE ?? '';
  for (const p of [home, driveAndPath, profile]) {
    if (p && stat(j(p, '.kube', 'config'))) return p;
  }
  let firstSet = '';
  let firstExisting = '';
  // %USERPROFILE% before %HOMEDRIVE%%HOMEPATH% here, as client-go does ("compatibility with other auth-writing tools").
  for (const p of [home, profile, driveAndPath]) {
    if (!p) continue;
    firstSet ||= p;
    const st = stat(p);
    if (!st) continue;
    firstExisting ||= p;
    // client-go: info.IsDir() && the owner-write permission bit (what Go reports for a folder that is not read-only).
    if (st.isDirectory() && (st.mode & 0o200) !== 0) return p;
  }
  return firstExisting || firstSet || fallback();
}

/**
 * The exec entry's `command` for kubectl on this platform. kubectl starts it with Go's exec.Command
 * (client-go plugin/pkg/client/auth/exec/exec.go), whose LookPath tries the PATHEXT extensions on Windows:
 * a bare `casdoor-kubeconfig` finds npm's `casdoor-kubeconfig.cmd` shim. A path without an extension
 * names npm's POSIX shell shim, which Windows cannot start: the `.cmd` next to it is used instead.
 */
export function execCommandFor(command: string, platform: NodeJS.Platform = process.platform, exists: (path: string) => boolean = (p) => statOrUndefined(p) !== undefined): string {
  if (platform !== 'win32') return command;
  const hasPath = /[\\/]/.test(command);
  const base = command.split(/[\\/]/).pop() ?? command;
  if (!hasPath || base.includes('.')) return command;
  return exists(`${command}.cmd`) ? `${command}.cmd` : command;
}
