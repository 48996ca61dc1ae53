/**
 * `demo`: flags → usecases/demo, wired to the real servers (src/demo), the wizard (src/wizard) and the
 * whoami use case (usecases/context-check). Everything heavy (oidc-provider, inquirer, client-node) is
 * loaded inside the action: this module is imported on every start of the CLI.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { registerCleanup } from '../cleanup.js';
import type { DemoDeps, DemoServers } from '../usecases/demo.js';
import type { CommandContext, CommandListing } from './main.js';
import type { Output } from '../ports/output.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const DEMO_COMMAND: CommandListing = {
  name: 'demo',
  term: 'demo [options]',
  description:
    'Try the tool with nothing installed: starts a local Casdoor-like provider and API server on 127.0.0.1, ' +
        'runs the setup wizard against them with a temporary kubeconfig, and checks the new context with the API server.',
};

interface DemoFlags {
  nonInteractive?: boolean;
  keep?: boolean;
}

export function registerDemo(program: Command, ctx: CommandContext): void {
  program
    .command(DEMO_COMMAND.name)
    .description(DEMO_COMMAND.description)
    .option('--keep', 'keep the servers and the kubeconfig after the run (until Ctrl-C) and print how to use them')
    .option('--non-interactive', 'answer the wizard with the demo values instead of asking (the default without a terminal, e.g. in CI)')
    .action(async (flags: DemoFlags) => {
      const out = ctx.output();
      const headless = Boolean(flags.nonInteractive) || !(ctx.io.stdin.isTTY && ctx.io.stderr.isTTY);
      const { runDemo } = await import('../usecases/demo.js');
      await runDemo({ keep: Boolean(flags.keep), headless }, await demoDeps(ctx, out, headless));
    });
}

/** The real dependencies of the demo (exported so a test can swap one, e.g. which kubectl checks the result). */
export async function demoDeps(ctx: CommandContext, out: Output, headless: boolean): Promise<DemoDeps> {
  const [wizard, { httpFactory }, demo] = await Promise.all([import('../wizard/index.js'), import('./deps.js'), import('../usecases/demo.js')]);
  const io = ctx.io;
  const env = demo.withLoopbackUnproxied(io.env);
  return {
    out,
    env,
    startServers,
    makeTempDir: async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'casdoor-kubeconfig-demo-'));
      return { dir, remove: () => rm(dir, { recursive: true, force: true }), removeSync: () => rmSync(dir, { recursive: true, force: true }) };
    },
    runWizard: (wizardEnv, servers) =>
      wizard.runWizard(demo.demoWizardOptions(servers), {
        out,
        env: wizardEnv,
        homeDir: io.homeDir,
        now: io.now,
        makeHttp: httpFactory(wizardEnv, out),
        prompts: headless ? wizard.scriptedPrompts(demo.demoScript(servers), (line) => out.info(out.c.dim(line))) : wizard.promptsFor(io),
        spin: wizard.spinnerOn(io.stderr, out.c.cyan),
      }),
    // The same request `kubectl auth whoami` makes, through the whoami use case.
    whoami: async (kubeconfig, context) => {
      const { checkContext, contextCheckDeps } = await import('../usecases/context-check.js');
      const check = await checkContext(
        { kubeconfig, context, claims: demo.DEMO_CLAIMS },
        contextCheckDeps({ env, homeDir: io.homeDir, now: io.now, verbose: out.verboseEnabled, log: (line) => out.info(line) }),
      );
      return demo.whoamiAnswerOf(check);
    },
    spin: wizard.spinnerOn(io.stderr, out.c.cyan),
    registerCleanup,
    // Ctrl-C ends the process (src/bin.ts), running the registered cleanups first.
    waitForStop: () => new Promise<void>(() => undefined),
    selfCommand: demo.selfCommandOf(process.argv[1] ?? '', io.cwd),
  };
}

async function startServers(): Promise<DemoServers> {
  const [{ startDemoEnvironment, DEFAULT_ORGANIZATION }, { demoServersOf }] = await Promise.all([import('../demo/index.js'), import('../usecases/demo.js')]);
  // Casdoor's application API too (get-application, get-app-login …), so that `doctor` works against the demo.
  const { registerAdminApiRoutes } = await import('../demo/casdoor/admin-api.js');
  const env = await startDemoEnvironment({ provider: { routes: (router, state) => registerAdminApiRoutes(router, { model: state.model }) } });
  return demoServersOf(env, DEFAULT_ORGANIZATION, () => rmSync(env.tls.dir, { recursive: true, force: true }));
}
