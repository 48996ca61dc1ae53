/**
 * Runs the CLI in-process through `main(argv, io)` with a fake Io: fast (no process start-up, no
 * build needed) and the local servers in the same process keep answering meanwhile.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/ports/io.js';

/** The package root: the folder jest is run from (as npm test runs it). */
export const ROOT = process.cwd();
/** The built entry point (executable: the jest globalSetup builds it as `npm run build` does), for exec entries kubectl can run. */
export const DIST_BIN = join(ROOT, 'dist', 'bin.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for "no secret anywhere" assertions. */
  all: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  stdinIsTTY?: boolean;
  home: string;
  cwd?: string;
}

export async function runCli(args: string[], options: CliOptions): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]) as Readable & { isTTY?: boolean };
  stdin.isTTY = options.stdinIsTTY ?? false;
  const env: NodeJS.ProcessEnv = { HOME: options.home, NO_COLOR: '1', ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const io: Io = {
    env,
    stdin,
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    homeDir: options.home,
    cwd: options.cwd ?? options.home,
    now: () => new Date(),
  };
  const code = await main(args, io);
  return { code, stdout, stderr, all: stdout + stderr };
}

/** Stops a CLI process a test started, if it still runs (the test failed or timed out before it exited). */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
