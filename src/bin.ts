#!/usr/bin/env node
/**
 * Process entry: main(argv) → exit code. Only this file and src/cli/run.ts (which it loads) end the process.
 * No top-level await: the single executable runs this file bundled as CommonJS (scripts/release.mjs).
 */
import { tryCachedToken } from './token/fast.js';

const argv = process.argv.slice(2);

// kubectl runs `token` on every command: answer from the cache before loading anything heavy.
if (!(argv[0] === 'token' && tryCachedToken(argv.slice(1), process.env, (s) => process.stdout.write(s)))) {
  void import('./cli/run.js').then(({ run }) => run(argv));
}
