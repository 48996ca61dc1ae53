/**
 * Opening the sign-in URL: `--browser-command`, else the BROWSER variable, else the platform's opener
 * (xdg-open on Linux; on WSL the Windows browser through wslview, else `cmd.exe /c start`; open on macOS;
 * `cmd /c start` on Windows); `--no-browser` only prints it. The command is run without a shell, with the
 * URL as its last argument (or in place of `%s`), detached, and with no stdio: under kubectl, stdout
 * carries the ExecCredential, and a browser's chatter must never reach it.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface OpenerOptions {
  browserCommand?: string | undefined;
  noBrowser?: boolean | undefined;
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Linux under WSL (default: detected, see isWsl). */
  wsl?: boolean;
  /** Whether a command is on PATH (default: a PATH search). */
  onPath?: (command: string) => boolean;
  warn(text: string): void;
}

export interface CommandLine {
  command: string;
  args: string[];
  /** Windows: pass the arguments to cmd as written (Node would otherwise quote `""` into `"\"\""`). */
  verbatim?: boolean;
}

/**
 * WSL: Linux processes whose desktop is Windows'. WSL sets WSL_DISTRO_NAME and WSL_INTEROP in every
 * session; the kernel release names Microsoft as well (read only when the variables are missing).
 */
export function isWsl(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, osrelease: () => string = () => readFileSync('/proc/sys/kernel/osrelease', 'utf8')): boolean {
  if (platform !== 'linux') return false;
  if (env.WSL_DISTRO_NAME || env.WSL_INTEROP) return true;
  try {
    return /microsoft/i.test(osrelease());
  } catch {
    return false;
  }
}

export function isOnPath(command: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** cmd's `start`: the empty title first (else a quoted URL becomes the title), `&` escaped for cmd. */
const cmdStart = (command: string, url: string): CommandLine => ({ command, args: ['/c', 'start', '""', url.replace(/&/g, '^&')], verbatim: true });

/** Splits a command line on blanks, honoring '…' and "…" (no other shell syntax). */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let started = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) out.push(cur);
      cur = '';
      started = false;
    } else {
      cur += ch;
      started = true;
    }
  }
  if (started) out.push(cur);
  return out;
}

/** The command that opens `url`, or undefined with --no-browser. */
export function browserCommandLine(url: string, options: Omit<OpenerOptions, 'warn'>): CommandLine | undefined {
  if (options.noBrowser) return undefined;
  const platform = options.platform ?? process.platform;
  let line = options.browserCommand?.trim() || undefined;
  // BROWSER may list several commands separated by ':' (the convention Python's webbrowser follows); use the first.
  if (!line && options.env.BROWSER) line = (platform === 'win32' ? options.env.BROWSER : options.env.BROWSER.split(':')[0])?.trim() || undefined;
  if (line) {
    const parts = splitCommand(line);
    const [command, ...rest] = parts;
    if (!command) return undefined;
    const args = rest.some((a) => a.includes('%s')) ? rest.map((a) => a.split('%s').join(url)) : [...rest, url];
    return { command, args };
  }
  if (platform === 'darwin') return { command: 'open', args: [url] };
  if (platform === 'win32') return cmdStart('cmd', url);
  if (options.wsl ?? isWsl(options.env, platform)) {
    // wslu's wslview opens the Windows default browser; without it, Windows' cmd.exe through interop.
    if ((options.onPath ?? ((c: string) => isOnPath(c, options.env)))('wslview')) return { command: 'wslview', args: [url] };
    return cmdStart('cmd.exe', url);
  }
  return { command: 'xdg-open', args: [url] };
}

export function makeUrlOpener(options: OpenerOptions): (url: string) => Promise<void> {
  return (url) => {
    const line = browserCommandLine(url, options);
    if (!line) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let child;
      try {
        child = spawn(line.command, line.args, { stdio: 'ignore', detached: true, env: options.env, ...(line.verbatim ? { windowsVerbatimArguments: true } : {}) });
      } catch (err) {
        options.warn(`Could not start the browser (${line.command}): ${err instanceof Error ? err.message : String(err)}. Open the URL above yourself.`);
        resolve();
        return;
      }
      child.once('error', (err: NodeJS.ErrnoException) => {
        options.warn(`Could not start the browser (${line.command}: ${err.code ?? err.message}). Open the URL above yourself, or pass --browser-command.`);
        resolve();
      });
      child.once('spawn', () => {
        child.unref();
        resolve();
      });
    });
  };
}
