/**
 * Everything `src/bin.ts` does when the token fast path did not answer: signal handling, the CLI, the
 * exit code. Loaded with one dynamic import, so that the fast path's file (dist/bin.js, and the bundled
 * one of the npm package, scripts/release.mjs) holds the fast path alone.
 */
import { runCleanups } from '../cleanup.js';
import { redact } from '../redact.js';
import { realIo } from '../ports/io.js';
import { main } from './main.js';

export async function run(argv: string[]): Promise<void> {
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
