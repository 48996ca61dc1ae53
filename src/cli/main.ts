/**
 * The CLI's entry: builds the command tree, runs one command, and is the ONE place that turns
 * errors into messages and exit codes. Only src/bin.ts calls process.exit.
 */
import { Command, CommanderError } from 'commander';
import { CliError, exitCodeFor } from '../errors.js';
import { versionDetails } from '../install-info.js';
import { redact } from '../redact.js';
import type { Io } from '../ports/io.js';
import { Output } from '../ports/output.js';
// --- command modules (one import + one register call each; keep this block sorted) ---
// All of them load on every start (`--help` included), so each holds only its commander definitions and
// flag checks: its use case and src/cli/deps.ts are loaded with `await import(…)` inside the action, and
// the constants its options name live in leaf modules (usecases/grants.ts, usecases/apiserver-options.ts).
// One import after the other, not Promise.all: jest's ESM runtime can fail concurrent imports that share
// a module ("request for '…' is not in cache").
import { registerApiserverConfig } from './apiserver-config.js';
import { registerCasdoorApp } from './casdoor-app.js';
import { registerClean } from './clean.js';
import { registerCompletion } from './completion.js';
import { registerDemo } from './demo.js';
import { registerDoctor } from './doctor.js';
import { registerFromKubelogin } from './from-kubelogin.js';
import { registerGenerate } from './generate.js';
import { registerLogout } from './logout.js';
import { registerRbac } from './rbac.js';
import { registerRefresh } from './refresh.js';
import { registerSetup } from './setup.js';
import { registerToken } from './token.js';
import { registerWhoami } from './whoami.js';
// --- end of command modules ---

export const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    unexpected error (re-run with --verbose and report it)
  2    usage error: a missing or invalid flag
  3    Casdoor refused the login (wrong password, unknown user or client, grant not enabled)
  4    the id_token failed verification (signature, issuer, audience, expiry)
  5    network, TLS or discovery failure
  6    kubeconfig unreadable, malformed, locked or unwritable
  7    the API server refused the credentials or could not be reached
  8    doctor: a Casdoor setting keeps Kubernetes from working (the checklist names it)
  130  interrupted (Ctrl-C); 143 when stopped by SIGTERM, 129 by SIGHUP (terminal closed)`;

export interface CommandContext {
  io: Io;
  /** Set from the global --verbose flag before any action runs. */
  output(): Output;
}

export function buildProgram(io: Io, ctx: CommandContext): Command {
  const program = new Command('casdoor-kubeconfig')
    .description('Log in to Casdoor and get a working kubectl context: OIDC login, verified tokens, kubeconfig merged the way kubectl does it.')
    .version(VERSION, '--version', 'print the version')
    .option('-v, --verbose', 'print request-level detail (secrets redacted) and stack traces')
    .showSuggestionAfterError(true)
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  // --- command registration (same order as `--help` lists them) ---
  registerSetup(program, ctx);
  registerToken(program, ctx);
  registerRefresh(program, ctx);
  registerLogout(program, ctx);
  registerClean(program, ctx);
  registerApiserverConfig(program, ctx);
  registerRbac(program, ctx);
  registerWhoami(program, ctx);
  registerDoctor(program, ctx);
  registerCasdoorApp(program, ctx);
  registerGenerate(program, ctx);
  registerFromKubelogin(program, ctx);
  registerCompletion(program, ctx);
  registerDemo(program, ctx);
  // --- end of command registration ---
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  return program;
}

/** package.json's version (scripts/release.mjs and __tests__/e2e/release.test.ts check they agree). */
export const VERSION = '0.1.0';

export async function main(argv: string[], io: Io): Promise<number> {
  let verbose = argv.includes('-v') || argv.includes('--verbose');
  let out = new Output(io, { verbose });
  const ctx: CommandContext = {
    io,
    output: () => out,
  };
  const program = buildProgram(io, ctx);
  program.hook('preAction', (cmd) => {
    verbose = Boolean(cmd.optsWithGlobals().verbose);
    out = new Output(io, { verbose });
  });
  // No command: `setup` (the wizard in a terminal, see docs/walkthrough.md).
  // Flags alone (`casdoor-kubeconfig --casdoor-url X`) are setup's, except the program's own.
  const programOnly = ['-h', '--help', '--version'];
  // `--version --verbose`: also what runs it (the single executable names the Node.js inside it).
  if (argv.includes('--version') && argv.every((a) => ['--version', '-v', '--verbose'].includes(a)) && verbose) {
    io.stdout.write(versionDetails(VERSION));
    return 0;
  }
  const commandNames = new Set(program.commands.map((c) => c.name()));
  const hasCommand = argv.some((a) => commandNames.has(a));
  // A first word that is not a flag is meant as a command: let commander say it is unknown (with a suggestion).
  const startsWithWord = argv[0] !== undefined && !argv[0].startsWith('-');
  const args = !hasCommand && !startsWithWord && !argv.some((a) => programOnly.includes(a)) ? ['setup', ...argv] : argv;
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err, out, verbose);
  }
}

export function reportError(err: unknown, out: Output, verbose: boolean): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (or the help).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return exitCodeFor('usage');
  }
  if (err instanceof CliError) {
    out.error(err.message, err.hint);
    if (verbose && err.cause instanceof Error && err.cause.stack) out.verbose(redact(err.cause.stack));
    return exitCodeFor(err.code);
  }
  if (isPromptExit(err)) {
    out.error('Interrupted; nothing was written.');
    return exitCodeFor('interrupted');
  }
  const message = err instanceof Error ? err.message : String(err);
  out.error(`unexpected error: ${message}`, verbose ? undefined : 'Re-run with --verbose for details.');
  if (verbose && err instanceof Error && err.stack) out.verbose(err.stack);
  return exitCodeFor('internal');
}

/** @inquirer/prompts rejects with ExitPromptError on Ctrl-C. */
function isPromptExit(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError');
}
