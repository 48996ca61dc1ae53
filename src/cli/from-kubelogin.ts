/** `from-kubelogin`: flags → FromKubeloginInput → usecases/from-kubelogin. */
import type { Command } from 'commander';
import type { CommandContext, CommandListing } from './main.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const FROM_KUBELOGIN_COMMAND: CommandListing = {
  name: 'from-kubelogin',
  term: 'from-kubelogin [options]',
  description:
    'Convert a kubeconfig user that runs kubelogin (kubectl oidc-login get-token …) into a casdoor-kubeconfig token exec user, in the file that defines it (locked, backed up), printing each kubelogin flag that is dropped and why.',
};

export interface FromKubeloginFlags {
  context?: string;
  user?: string;
  kubeconfig?: string;
  execCommand?: string;
  dryRun?: boolean;
}

export function registerFromKubelogin(program: Command, ctx: CommandContext): void {
  program
    .command(FROM_KUBELOGIN_COMMAND.name)
    .description(FROM_KUBELOGIN_COMMAND.description)
    .option('--context <name>', 'convert the user of this context (default: current-context)')
    .option('--user <name>', 'convert this user entry (instead of --context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, else ~/.kube/config)')
    .option('--exec-command <command>', 'the command kubectl runs (default casdoor-kubeconfig; an absolute path works without PATH)')
    .option('--dry-run', 'print the new command line and write nothing')
    .addHelpText(
      'after',
      `
Secrets on kubelogin's command line (--oidc-client-secret, --password) are not carried over. Entries that
cannot be converted safely (--insecure-skip-tls-verify, --certificate-authority-data, extra scopes or
parameters other than resource=URI, which becomes --resource; token exchange, unknown flags) are refused,
naming the flags, and nothing is written.
See docs/from-kubelogin.md for every kubelogin flag and its equivalent.

Examples:
  casdoor-kubeconfig from-kubelogin --dry-run
  casdoor-kubeconfig from-kubelogin --context oidc@k8s.example.com`,
    )
    .action(async (flags: FromKubeloginFlags) => {
      const { runFromKubelogin } = await import('../usecases/from-kubelogin.js');
      await runFromKubelogin(
        { context: flags.context, user: flags.user, kubeconfig: flags.kubeconfig, execCommand: flags.execCommand, dryRun: Boolean(flags.dryRun) },
        { out: ctx.output(), env: ctx.io.env, homeDir: ctx.io.homeDir, cwd: ctx.io.cwd, now: ctx.io.now },
      );
    });
}
