/**
 * The outside world as the commands see it. `realIo()` builds it from the process; tests build
 * their own with buffers, an env and a fake home.
 */
import { kubeHomeDir } from '../platform.js';

export interface WritableLike {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface Io {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: WritableLike;
  stderr: WritableLike;
  homeDir: string;
  cwd: string;
  now: () => Date;
}

export function realIo(): Io {
  return {
    env: process.env,
    // Getters: process.stdin and friends build their streams on first use (stdin costs a few ms at
    // start-up, and `--help` never reads it).
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    // As kubectl finds it (HOME first, also on Windows), so both read the same ~/.kube.
    homeDir: kubeHomeDir({ env: process.env }),
    cwd: process.cwd(),
    now: () => new Date(),
  };
}
