/**
 * Whether kubectl will be able to run an exec entry's `command` (issue: "an exec entry kubectl can run").
 *
 * kubectl runs it with Go's os/exec (client-go plugin/pkg/client/auth/exec/exec.go Authenticator.refreshCredsLocked:
 * `exec.Command(a.cmd, a.args...)`): a name without a slash is looked up on PATH (os/exec LookPath: a regular
 * file with an execute bit), a path with a slash is run as it is (a relative one is first resolved against the
 * kubeconfig's folder by clientcmd ResolveLocalPaths), and a file without execute permission fails. When the
 * command cannot be found, kubectl prints the entry's installHint instead of running anything.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageError, type CliError } from '../errors.js';
import { currentRuntime, defaultExecCommand, seaCommand, type Runtime } from '../install-info.js';
import { ENTRY_URL } from '../self-path.js';

export type ExecCommandCheck = { ok: true; resolved: string } | { ok: false; problem: 'not-found' | 'not-executable' | 'not-a-file'; file?: string };

function executableFile(file: string): ExecCommandCheck {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    return { ok: false, problem: 'not-found', file };
  }
  if (!isFile) return { ok: false, problem: 'not-a-file', file };
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return { ok: false, problem: 'not-executable', file };
  }
  return { ok: true, resolved: file };
}

/**
 * Resolves `command` as os/exec would for kubectl with this PATH: an absolute path as it is, a name on
 * PATH (first executable match; a non-executable match is skipped, as LookPath skips it). A relative path
 * with a slash is taken relative to `cwd` here (setup writes it absolute: see absoluteCommand).
 */
export function checkExecCommand(command: string, env: NodeJS.ProcessEnv, cwd: string): ExecCommandCheck {
  if (command.includes('/')) return executableFile(path.resolve(cwd, command));
  let firstNonExecutable: string | undefined;
  // os/exec LookPath on Windows also tries the PATHEXT extensions (npm's .cmd shim).
  const exts = process.platform === 'win32' ? ['', ...(env['PATHEXT'] ?? '.EXE;.CMD;.BAT').split(';').map((e) => e.toLowerCase())] : [''];
  for (const dir of (env['PATH'] ?? env['Path'] ?? '').split(path.delimiter)) {
    // os/exec LookPath: an empty PATH element is the current folder (refused since Go 1.19 for security).
    if (dir === '') continue;
    for (const ext of exts) {
      const r = executableFile(path.join(dir, command + ext));
      if (r.ok) return r;
      if (r.problem === 'not-executable') firstNonExecutable ??= r.file;
    }
  }
  return { ok: false, problem: firstNonExecutable ? 'not-executable' : 'not-found', ...(firstNonExecutable ? { file: firstNonExecutable } : {}) };
}

/** A relative path with a slash becomes absolute (kubectl would resolve it against the kubeconfig's folder, not ours). */
export function absoluteCommand(command: string, cwd: string): string {
  return command.includes('/') ? path.resolve(cwd, command) : command;
}

/**
 * The absolute path of this tool's entry point, if kubectl could run it: the single executable itself
 * (install-info seaCommand), dist/bin.js in a build or a checkout, else the script node was started with
 * (the npm package's bin).
 */
export function runningToolPath(rt: Runtime = currentRuntime()): string | undefined {
  const bin = rt.isSea ? seaCommand(rt) : ENTRY_URL ? fileURLToPath(ENTRY_URL) : rt.argv1 ? path.resolve(rt.cwd, rt.argv1) : undefined;
  if (bin === undefined) return undefined;
  const r = executableFile(bin);
  return r.ok ? r.resolved : undefined;
}

/** The usage error (exit 2) for a command kubectl could not run, with the fix. */
export function execCommandError(command: string, check: Exclude<ExecCommandCheck, { ok: true }>, flag: string, tool = runningToolPath()): CliError {
  const offer = tool ? ` This tool is at ${tool}: --exec-command ${tool}` : '';
  switch (check.problem) {
    case 'not-found':
      return usageError(
        command.includes('/')
          ? `${flag} ${command}: no such file, so kubectl could not run the exec entry.`
          : `${flag} ${command}: not found on PATH, so kubectl would print the install hint instead of running it.`,
        `Give the absolute path of casdoor-kubeconfig (or install it on PATH: npm install -g casdoor-kubeconfig).${offer}`,
      );
    case 'not-executable':
      return usageError(`${flag} ${command}: ${check.file ?? command} has no execute permission, so kubectl could not run it.`, `chmod +x ${check.file ?? command}, or give another path.${offer}`);
    case 'not-a-file':
      return usageError(`${flag} ${command}: ${check.file ?? command} is not a file.`, `Give the path of the casdoor-kubeconfig executable.${offer}`);
  }
}

/**
 * --exec-command (or the default, which follows the install: install-info.ts defaultExecCommand), made
 * absolute and checked as kubectl will find it with this PATH; a usage error (exit 2) when it cannot.
 * Shared by setup and from-kubelogin, which both write exec entries.
 */
export function checkedExecCommand(given: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  const command = absoluteCommand(given ?? defaultExecCommand(), cwd);
  const check = checkExecCommand(command, env, cwd);
  if (!check.ok) throw execCommandError(command, check, given === undefined ? '--exec-command (default)' : '--exec-command');
  return command;
}
