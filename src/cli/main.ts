/**
 * The CLI's entry: builds the command tree, runs one command, and is the ONE place that turns
 * errors into messages and exit codes. Only src/bin.ts calls process.exit.
 */
import { Command, CommanderError, Help } from 'commander';
import { CliError, exitCodeFor } from '../errors.js';
import { redact } from '../redact.js';
import type { Io } from '../ports/io.js';
import { Output } from '../ports/output.js';
// --- command modules (one import + one COMMANDS row each; keep this block sorted) ---
// All of them load on every start (`--help` included), so each holds only its commander definitions and
// flag checks: its use case and src/cli/deps.ts are loaded with `await import(…)` inside the action, and
// the constants its options name live in leaf modules (usecases/grants.ts, usecases/apiserver-options.ts,
// token/storage-kinds.ts, casdoor/app-defaults.ts, cluster/defaults.ts); what only an action or the async
// flag parsing needs is loaded there with `await import(…)` too.
// Only the commands named on the command line are registered (see buildProgram).
// One import after the other, not Promise.all: jest's ESM runtime can fail concurrent imports that share
// a module ("request for '…' is not in cache").
import { APISERVER_CONFIG_COMMAND, registerApiserverConfig } from './apiserver-config.js';
import { CASDOOR_APP_COMMAND, registerCasdoorApp } from './casdoor-app.js';
import { CLEAN_COMMAND, registerClean } from './clean.js';
import { COMPLETION_COMMAND, registerCompletion } from './completion.js';
import { DEMO_COMMAND, registerDemo } from './demo.js';
import { DOCTOR_COMMAND, registerDoctor } from './doctor.js';
import { FROM_KUBELOGIN_COMMAND, registerFromKubelogin } from './from-kubelogin.js';
import { GENERATE_COMMAND, registerGenerate } from './generate.js';
import { LOGOUT_COMMAND, registerLogout } from './logout.js';
import { RBAC_COMMAND, registerRbac } from './rbac.js';
import { REFRESH_COMMAND, registerRefresh } from './refresh.js';
import { SETUP_COMMAND, registerSetup } from './setup.js';
import { TOKEN_COMMAND, registerToken } from './token.js';
import { WHOAMI_COMMAND, registerWhoami } from './whoami.js';
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
  /** The whole command tree, every command registered (what `completion` describes). */
  program(): Command;
}

/** What the program's `--help` lists for a command: its name, its term there, its description. */
export interface CommandListing {
  name: string;
  /** "setup [options]", "completion <shell>": commander's Help.subcommandTerm of the registered command. */
  term: string;
  description: string;
}

type Register = (program: Command, ctx: CommandContext) => void;

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly (readonly [CommandListing, Register])[] = [
  [SETUP_COMMAND, registerSetup],
  [TOKEN_COMMAND, registerToken],
  [REFRESH_COMMAND, registerRefresh],
  [LOGOUT_COMMAND, registerLogout],
  [CLEAN_COMMAND, registerClean],
  [APISERVER_CONFIG_COMMAND, registerApiserverConfig],
  [RBAC_COMMAND, registerRbac],
  [WHOAMI_COMMAND, registerWhoami],
  [DOCTOR_COMMAND, registerDoctor],
  [CASDOOR_APP_COMMAND, registerCasdoorApp],
  [GENERATE_COMMAND, registerGenerate],
  [FROM_KUBELOGIN_COMMAND, registerFromKubelogin],
  [COMPLETION_COMMAND, registerCompletion],
  [DEMO_COMMAND, registerDemo],
];

/**
 * The command tree. `registered(name)` says which commands get their options and action; the others are
 * listed only (name and description, from their CommandListing), which is all the program's `--help` and
 * commander's "did you mean" need: building the ~150 options of commands that will not run was a third of
 * what `--help` cost (issue 13). main() registers every command named on the command line.
 */
export function buildProgram(io: Io, ctx: CommandContext, registered: (name: string) => boolean = () => true): Command {
  const listed = new Map<Command, string>();
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
    .configureHelp({
      subcommandTerm(this: Help, cmd: Command): string {
        return listed.get(cmd) ?? Help.prototype.subcommandTerm.call(this, cmd);
      },
    })
    .exitOverride();
  for (const [listing, register] of COMMANDS) {
    if (registered(listing.name)) {
      register(program, ctx);
      continue;
    }
    const stub = program
      .command(listing.name)
      .description(listing.description)
      .action(() => {
        throw new Error(`internal: "${listing.name}" ran without being registered`);
      });
    listed.set(stub, listing.term);
  }
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
    program: () => buildProgram(io, ctx),
  };
  // No command: `setup` (the wizard in a terminal, see docs/walkthrough.md).
  // Flags alone (`casdoor-kubeconfig --casdoor-url X`) are setup's, except the program's own.
  const programOnly = ['-h', '--help', '--version'];
  // The command is the first word after the program's own -v/--verbose (as commander reads it): a flag
  // there means setup's flags, even when a later value names a command (`--context demo`). A first word
  // that is no command: let commander say it is unknown (with a suggestion).
  const first = argv.find((a) => a !== '-v' && a !== '--verbose');
  const startsWithWord = first !== undefined && !first.startsWith('-');
  const args = !startsWithWord && !argv.some((a) => programOnly.includes(a)) ? ['setup', ...argv] : argv;
  // Every word that names a command (the one commander runs is among them; `help setup` too).
  const program = buildProgram(io, ctx, (name) => args.includes(name));
  program.hook('preAction', (cmd) => {
    verbose = Boolean(cmd.optsWithGlobals().verbose);
    out = new Output(io, { verbose });
  });
  // `--version --verbose`: also what runs it (the single executable names the Node.js inside it).
  if (argv.includes('--version') && argv.every((a) => ['--version', '-v', '--verbose'].includes(a)) && verbose) {
    const { versionDetails } = await import('../install-info.js');
    io.stdout.write(versionDetails(VERSION));
    return 0;
  }
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
