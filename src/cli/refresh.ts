/** `refresh`: flags → RefreshInput → usecases/refresh. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { GRANTS, type GrantType } from '../usecases/grants.js';
import { secretFrom } from './inputs.js';
import type { CommandContext, CommandListing } from './main.js';
import { ENVIRONMENT_HELP } from './token.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const REFRESH_COMMAND: CommandListing = {
  name: 'refresh',
  term: 'refresh [options]',
  description:
    "Renew a context's tokens now: an auth-provider (oidc) entry gets a new id-token and refresh-token in place (under the kubeconfig lock, everything else kept); an exec entry gets its token cache refreshed. Logs in again when the refresh token is dead.",
};

export interface RefreshFlags {
  context?: string;
  kubeconfig?: string;
  username?: string;
  grant?: GrantType;
  browserCommand?: string;
  browser?: boolean;
  removeClientSecret?: boolean;
}

export function registerRefresh(program: Command, ctx: CommandContext): void {
  program
    .command(REFRESH_COMMAND.name)
    .description(REFRESH_COMMAND.description)
    .option('--context <name>', 'the context whose user to refresh (default: current-context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, else ~/.kube/config)')
    .option('--username <name>', 'for a new login when the refresh token is dead (default: the user named in the old token)')
    .addOption(new Option('--grant <grant>', 'how to log in when the refresh token is dead (default: the entry\'s --grant, else password)').choices([...GRANTS]))
    .option('--browser-command <command>', 'browser login: command that opens the URL (default: $BROWSER, else xdg-open/open)')
    .option('--no-browser', 'browser login: only print the URL')
    .option('--remove-client-secret', "take the Casdoor client secret out of the user entry (written by hand or by an earlier version): it is a Casdoor admin credential and kubectl's refresh does not need it")
    .addHelpText(
      'after',
      `
An entry that still holds the application's client secret (client-secret in an oidc entry, or
--client-secret in an exec entry's args) is reported on every refresh: Casdoor accepts an application's
client id and secret as an administrator of its whole API, and nothing here needs it, so remove it
with --remove-client-secret (in the same write as the new tokens; a backup of the file is kept).

Without a terminal, a dead refresh token can only be replaced by a password login: set CASDOOR_PASSWORD
(and --username unless the old token names the user); otherwise the command fails with what to run.
${ENVIRONMENT_HELP}

Examples:
  casdoor-kubeconfig refresh                           # the current context
  casdoor-kubeconfig refresh --context alice@k8s.example.com:6443
  CASDOOR_PASSWORD=… casdoor-kubeconfig refresh --context ci --username deployer   # in a script
  casdoor-kubeconfig refresh --remove-client-secret    # and drop the client secret from the entry`,
    )
    .action(async (flags: RefreshFlags) => {
      const out = ctx.output();
      const password = secretFrom(undefined, ctx.io.env, 'CASDOOR_PASSWORD');
      const { runRefresh } = await import('../usecases/refresh.js');
      const { tokenDepsFor } = await import('./deps.js');
      await runRefresh(
        {
          context: flags.context,
          kubeconfig: flags.kubeconfig,
          username: flags.username,
          grant: flags.grant,
          password,
          browserCommand: flags.browserCommand,
          noBrowser: flags.browser === false,
          removeClientSecret: Boolean(flags.removeClientSecret),
        },
        { ...tokenDepsFor(ctx.io, out, flags), cwd: ctx.io.cwd },
      );
    });
}
