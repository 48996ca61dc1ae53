/**
 * Opening the sign-in URL: `--browser-command`, else the BROWSER variable, else the platform's opener
 * (xdg-open, open, start); `--no-browser` only prints it. The command is run without a shell, with the
 * URL as its last argument (or in place of `%s`), detached, and with no stdio: under kubectl, stdout
 * carries the ExecCredential, and a browser's chatter must never reach it.
 */
import { spawn } from 'node:child_process';

export interface OpenerOptions {
  browserCommand?: string | undefined;
  noBrowser?: boolean | undefined;
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  warn(text: string): void;
}

export interface CommandLine {
  command: string;
  args: string[];
}

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
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url.replace(/&/g, '^&')] };
  return { command: 'xdg-open', args: [url] };
}

export function makeUrlOpener(options: OpenerOptions): (url: string) => Promise<void> {
  return (url) => {
    const line = browserCommandLine(url, options);
    if (!line) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let child;
      try {
        child = spawn(line.command, line.args, { stdio: 'ignore', detached: true, env: options.env });
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
