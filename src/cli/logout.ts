/** `logout`: flags → LogoutInput → usecases/logout. */
import type { Command } from 'commander';
import type { CommandContext, CommandListing } from './main.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const LOGOUT_COMMAND: CommandListing = {
  name: 'logout',
  term: 'logout [options]',
  description:
    "Sign out of Casdoor (end_session_endpoint, id_token_hint in a POST body), delete the context's cached tokens and clear id-token/refresh-token from an auth-provider entry; with --remove also delete the context, its user and its cluster (each only if no other context uses it).",
};

export interface LogoutFlags {
  context?: string;
  kubeconfig?: string;
  remove?: boolean;
}

export function registerLogout(program: Command, ctx: CommandContext): void {
  program
    .command(LOGOUT_COMMAND.name)
    .description(LOGOUT_COMMAND.description)
    .option('--context <name>', 'the context to log out of (default: current-context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, else ~/.kube/config)')
    .option('--remove', 'also delete the context, and its user and cluster unless another context uses them')
    .addHelpText(
      'after',
      `
What the sign-out ends: Casdoor expires the token's record, so its refresh token stops working, and
sends back-channel logout to the other applications of that session. What it does not end: the Casdoor
sign-in of your browser (sign out there too), and the id_token, which the API server accepts until it
expires (it never asks Casdoor). Casdoor answers HTTP 200 also when it refuses ("Token not found,
invalid accessToken": the token was refreshed since, signed out already, or is another Casdoor's); that
is reported, not taken for a sign-out. If Casdoor cannot be reached or refuses, the local tokens are
removed anyway.

Examples:
  casdoor-kubeconfig logout                                   # the current context; entries stay
  casdoor-kubeconfig logout --context alice@k8s.example.com:6443 --remove`,
    )
    .action(async (flags: LogoutFlags) => {
      const out = ctx.output();
      const { runLogout } = await import('../usecases/logout.js');
      const { httpFactory } = await import('./deps.js');
      await runLogout(
        { context: flags.context, kubeconfig: flags.kubeconfig, remove: Boolean(flags.remove) },
        {
          out,
          env: ctx.io.env,
          homeDir: ctx.io.homeDir,
          cwd: ctx.io.cwd,
          now: ctx.io.now,
          makeHttp: httpFactory(ctx.io.env, out),
        },
      );
    });
}
