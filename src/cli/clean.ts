/** `clean`: flags → CleanInput → usecases/clean. */
import type { Command } from 'commander';
import type { CommandContext, CommandListing } from './main.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const CLEAN_COMMAND: CommandListing = {
  name: 'clean',
  term: 'clean [options]',
  description:
    "Forget every token the exec plugin has cached (all contexts, all users): deletes the entries in ~/.kube/cache/casdoor-kubeconfig and the locks and temp files left behind by killed runs, printing each file removed. kubectl logs in again on the next use.",
};

export interface CleanFlags {
  dryRun?: boolean;
}

export function registerClean(program: Command, ctx: CommandContext): void {
  program
    .command(CLEAN_COMMAND.name)
    .description(CLEAN_COMMAND.description)
    .option('--dry-run', 'only list what would be removed')
    .addHelpText(
      'after',
      `
Only this tool's files are touched (<16 hex digits>.json entries, their .lock files and temp files), so
CASDOOR_KUBECONFIG_CACHE_DIR may point at a shared folder. An entry is deleted under its lock (a refresh in
flight cannot write it back; after 5 s it is deleted anyway); a lock whose process is alive is kept.
Casdoor is not told: the id_tokens stay valid until they expire (use "logout" to end a context's Casdoor
session). auth-provider contexts keep their tokens in the kubeconfig: "logout" clears those.

Each file goes to stdout as "removed FILE  DESCRIPTION" ("would remove" with --dry-run); no token is printed.

Environment:
  CASDOOR_KUBECONFIG_CACHE_DIR  token cache folder (default ~/.kube/cache/casdoor-kubeconfig)

Examples:
  casdoor-kubeconfig clean --dry-run
  casdoor-kubeconfig clean`,
    )
    .action(async (flags: CleanFlags) => {
      const { runClean } = await import('../usecases/clean.js');
      await runClean({ dryRun: Boolean(flags.dryRun) }, { out: ctx.output(), homeDir: ctx.io.homeDir, env: ctx.io.env, now: ctx.io.now });
    });
}
