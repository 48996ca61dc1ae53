#!/usr/bin/env node
/**
 * Process entry: main(argv) → exit code. The only place that ends the process.
 * No top-level await: the single executable runs this file bundled as CommonJS (scripts/release.mjs).
 */
import { tryCachedToken } from './token/fast.js';

const argv = process.argv.slice(2);

// kubectl runs `token` on every command: answer from the cache before loading anything heavy.
if (!(argv[0] === 'token' && tryCachedToken(argv.slice(1), process.env, (s) => process.stdout.write(s)))) void run();

async function run(): Promise<void> {
  const [{ runCleanups }, { realIo }, { main }, { redact }] = await Promise.all([
    import('./cleanup.js'),
    import('./cli/io.js'),
    import('./cli/main.js'),
    import('./redact.js'),
  ]);
  // Release held locks and temp files, then exit like a shell would (128 + the signal's number:
  // 130 for Ctrl-C, 143 for SIGTERM, 129 when the terminal closes).
  const signals = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  for (const [signal, code] of Object.entries(signals)) {
    process.on(signal, () => {
      runCleanups();
      process.stderr.write('\nInterrupted.\n');
      process.exit(code);
    });
  }
  // `casdoor-kubeconfig … | head`: a closed pipe is the reader's choice, not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    process.exitCode = await main(argv, realIo());
  } catch (err) {
    process.stderr.write(`unexpected error: ${redact(err instanceof Error ? err.message : String(err))}\n`);
    process.exitCode = 1;
  }
}
