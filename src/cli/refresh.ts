/** `refresh`: flags → RefreshInput → usecases/refresh. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { GRANTS, type GrantType } from '../usecases/token.js';
import { runRefresh } from '../usecases/refresh.js';
import { secretFrom } from './inputs.js';
import type { CommandContext } from './main.js';
import { ENVIRONMENT_HELP, tokenDepsFor } from './token.js';

export interface RefreshFlags {
  context?: string;
  kubeconfig?: string;
  username?: string;
  grant?: GrantType;
  browserCommand?: string;
  browser?: boolean;
}

export function registerRefresh(program: Command, ctx: CommandContext): void {
  program
    .command('refresh')
    .description(
      "Renew a context's tokens now: an auth-provider (oidc) entry gets a new id-token and refresh-token in place (under the kubeconfig lock, everything else kept); an exec entry gets its token cache refreshed. Logs in again when the refresh token is dead.",
    )
    .option('--context <name>', 'the context whose user to refresh (default: current-context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, else ~/.kube/config)')
    .option('--username <name>', 'for a new login when the refresh token is dead (default: the user named in the old token)')
    .addOption(new Option('--grant <grant>', 'how to log in when the refresh token is dead (default: the entry\'s --grant, else password)').choices([...GRANTS]))
    .option('--browser-command <command>', 'browser login: command that opens the URL (default: $BROWSER, else xdg-open/open)')
    .option('--no-browser', 'browser login: only print the URL')
    .addHelpText(
      'after',
      `
Without a terminal, a dead refresh token can only be replaced by a password login: set CASDOOR_PASSWORD
(and --username unless the old token names the user); otherwise the command fails with what to run.
${ENVIRONMENT_HELP}

Examples:
  casdoor-kubeconfig refresh                           # the current context
  casdoor-kubeconfig refresh --context alice@k8s.example.com:6443
  CASDOOR_PASSWORD=… casdoor-kubeconfig refresh --context ci --username deployer   # in a script`,
    )
    .action(async (flags: RefreshFlags) => {
      const out = ctx.output();
      const password = secretFrom(undefined, ctx.io.env, 'CASDOOR_PASSWORD');
      await runRefresh(
        {
          context: flags.context,
          kubeconfig: flags.kubeconfig,
          username: flags.username,
          grant: flags.grant,
          password,
          browserCommand: flags.browserCommand,
          noBrowser: flags.browser === false,
        },
        { ...tokenDepsFor(ctx, out, flags), cwd: ctx.io.cwd },
      );
    });
}
