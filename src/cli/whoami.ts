/** `whoami`: flags → WhoamiInput → usecases/whoami (the API server's view of a kubeconfig context). */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import { usageError } from '../errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../cluster/defaults.js';
import { redact } from '../redact.js';
import type { WhoamiFormat, WhoamiInput } from '../usecases/whoami.js';
import type { CommandContext, CommandListing } from './main.js';
import { addClaimOptions, claimsFromFlags } from './validate.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const WHOAMI_COMMAND: CommandListing = {
  name: 'whoami',
  term: 'whoami [options]',
  description:
    'Ask the API server who it thinks a kubeconfig context is (SelfSubjectReview): username, groups, extra. On 401, explain why from the token.',
};

export interface WhoamiFlags {
  kubeconfig?: string;
  context?: string;
  output: WhoamiFormat;
  usernameClaim: string;
  groupsClaim: string;
  usernamePrefix: string;
  groupsPrefix: string;
  requestTimeout: string;
}

const EXAMPLES = `
Examples:
  casdoor-kubeconfig whoami                                   # the current context, as kubectl picks it
  casdoor-kubeconfig whoami --context alice@k8s.example.com:6443 -o json
  KUBECONFIG=~/team/alice.kubeconfig casdoor-kubeconfig whoami

Notes:
  Read-only: it never writes a kubeconfig and never refreshes an expired oidc id-token (kubectl does
  that itself on its next command). An exec user's plugin is run once, as kubectl would run it.
  On 401 it explains why from the token and the user entry: expiry, issuer (iss vs idp-issuer-url /
  --casdoor-url), audience (aud vs client-id), and the claims the API server maps (--username-claim,
  --groups-claim: give the same values as to apiserver-config).
  Exit codes: 0 authenticated; 7 refused (401/403) or unreachable; 6 kubeconfig problem; 3 the exec
  plugin failed to produce a token.`;

export function registerWhoami(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command(WHOAMI_COMMAND.name)
    .description(WHOAMI_COMMAND.description)
    .option('--kubeconfig <file>', 'kubeconfig file to read (default: as kubectl picks it: KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'context to check (default: current-context)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'));
  addClaimOptions(cmd, {
    usernameClaim: "the API server's --oidc-username-claim (for the 401 diagnosis)",
    groupsClaim: "the API server's --oidc-groups-claim (for the 401 diagnosis)",
    usernamePrefix: "the API server's --oidc-username-prefix: '-' = none, '' = unset (\"<issuer>#\")",
    groupsPrefix: "the API server's --oidc-groups-prefix ('' = none)",
  });
  cmd
    .option('--request-timeout <seconds>', 'give up on the API server after this many seconds', String(DEFAULT_REQUEST_TIMEOUT_MS / 1000))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: WhoamiFlags) => {
      const out = ctx.output();
      const input = whoamiInputFromFlags(flags);
      // Loaded on use: the use case pulls in jose, which other commands' start-up should not pay for.
      const { runWhoami } = await import('../usecases/whoami.js');
      const { runExecPlugin } = await import('../cluster/exec-plugin.js');
      const { selfSubjectReview } = await import('../cluster/review.js');
      await runWhoami(input, {
        out,
        env: ctx.io.env,
        homeDir: ctx.io.homeDir,
        now: ctx.io.now,
        stdinIsTTY: Boolean(ctx.io.stdin.isTTY),
        writeStderr: (text) => ctx.io.stderr.write(redact(text)),
        review: selfSubjectReview,
        runExec: runExecPlugin,
        readFile: (file) => readFile(file, 'utf8'),
      });
    });
}

/** Turns flags into a WhoamiInput, or a usage error naming what is wrong (pure). */
export function whoamiInputFromFlags(flags: WhoamiFlags): WhoamiInput {
  const seconds = Number(flags.requestTimeout);
  if (!Number.isFinite(seconds) || seconds <= 0) throw usageError(`--request-timeout: "${flags.requestTimeout}" is not a positive number of seconds.`);
  // '' = the API server's flag left unset, as in apiserver-config.
  const claims = claimsFromFlags(flags);
  if (flags.context !== undefined && flags.context.trim() === '') throw usageError('--context must not be empty.');
  return {
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.context ? { context: flags.context } : {}),
    output: flags.output,
    claims,
    timeoutMs: Math.round(seconds * 1000),
  };
}
