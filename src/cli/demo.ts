/**
 * `demo`: flags → usecases/demo, with the real servers (src/demo), the wizard (src/wizard) and a real
 * "who am I" call. Everything heavy (oidc-provider, inquirer, undici) is loaded inside the action:
 * this module is imported on every start of the CLI.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { registerCleanup } from '../cleanup.js';
import { redact } from '../redact.js';
import type { DemoDeps, DemoServers, WhoamiAnswer } from '../usecases/demo.js';
import type { CommandContext } from './main.js';
import type { Output } from './output.js';

interface DemoFlags {
  nonInteractive?: boolean;
  keep?: boolean;
}

export function registerDemo(program: Command, ctx: CommandContext): void {
  program
    .command('demo')
    .description(
      'Try the tool with nothing installed: starts a local Casdoor-like provider and API server on 127.0.0.1, ' +
        'runs the setup wizard against them with a temporary kubeconfig, and checks the new context with the API server.',
    )
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
  const wizard = await import('../wizard/index.js');
  const { createHttpClient } = await import('../oidc/http.js');
  const io = ctx.io;
  return {
    out,
    env: withLoopbackUnproxied(io.env),
    startServers,
    makeTempDir: async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'casdoor-kubeconfig-demo-'));
      return { dir, remove: () => rm(dir, { recursive: true, force: true }), removeSync: () => rmSync(dir, { recursive: true, force: true }) };
    },
    runWizard: async (env, servers, _kubeconfig) => {
      const first = servers.users[0];
      const prompts = headless
        ? wizard.scriptedPrompts(
            // Everything else takes the suggested value, as pressing Enter would.
            { clientSecret: wizard.DEFAULT, grant: 'password', password: first?.password ?? '', tls: 'file', target: 'merge', write: true },
            (line) => out.info(out.c.dim(line)),
          )
        : wizard.promptsFor(io);
      return wizard.runWizard(
        {
          // The demo writes tokens into its temporary kubeconfig; exec mode would need the tool on PATH.
          given: { mode: 'auth-provider' },
          suggested: {
            casdoorUrl: servers.casdoorUrl,
            casdoorCaFile: servers.caFile,
            organization: servers.organization,
            clientId: servers.clientId,
            ...(first ? { username: first.username } : {}),
            server: servers.apiServerUrl,
            certificateAuthorityFile: servers.caFile,
          },
          settings: { setCurrentContext: true, dryRun: false, usernameClaim: 'name', groupsClaim: 'groups', usernamePrefix: '-' },
          offerRenew: false,
          grantsUnavailable: 'not in the demo',
        },
        {
          out,
          env,
          homeDir: io.homeDir,
          now: io.now,
          makeHttp: (caPem) => createHttpClient({ env, ...(caPem ? { caPem } : {}), trace: (l) => out.verbose(l) }),
          prompts,
          spin: wizard.spinnerOn(io.stderr, out.c.cyan),
        },
      );
    },
    whoami: (kubeconfig, context) => whoami(kubeconfig, context, withLoopbackUnproxied(io.env)),
    spin: wizard.spinnerOn(io.stderr, out.c.cyan),
    registerCleanup,
    // Ctrl-C ends the process (src/bin.ts), running the registered cleanups first.
    waitForStop: () => new Promise<void>(() => undefined),
    selfCommand: selfCommand(io.cwd),
  };
}

async function startServers(): Promise<DemoServers> {
  const { startDemoEnvironment, DEFAULT_ORGANIZATION } = await import('../demo/index.js');
  const env = await startDemoEnvironment();
  const notes: Record<string, string> = {
    alice: `(in group ${DEFAULT_ORGANIZATION}/admins)`,
    bob: '(no groups; email not verified)',
  };
  return {
    casdoorUrl: env.provider.issuer,
    organization: DEFAULT_ORGANIZATION,
    clientId: env.provider.clientId,
    caFile: env.caFile,
    apiServerUrl: env.apiserver.url,
    users: env.provider.users.map((u) => ({ username: u.username, password: u.password, note: notes[u.username] ?? '' })),
    close: () => env.close(),
    removeSync: () => rmSync(env.tls.dir, { recursive: true, force: true }),
  };
}

/** Requests to the demo's 127.0.0.1 servers must not go through the user's HTTPS_PROXY. */
function withLoopbackUnproxied(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const noProxy = [env.NO_PROXY ?? env.no_proxy, '127.0.0.1', 'localhost'].filter(Boolean).join(',');
  return { ...env, NO_PROXY: noProxy, no_proxy: noProxy };
}

function selfCommand(cwd: string): string {
  const script = process.argv[1] ?? '';
  if (path.basename(script) === 'bin.js') return `node ${path.relative(cwd, script) || script}`;
  return path.basename(script) === 'kubectl-casdoor' ? 'kubectl casdoor' : 'casdoor-kubeconfig';
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** `kubectl auth whoami` with the new kubeconfig when kubectl is installed, else the same request over HTTPS. */
async function whoami(kubeconfig: string, context: string, env: NodeJS.ProcessEnv): Promise<WhoamiAnswer> {
  const kubectl = onPath('kubectl', env);
  if (kubectl) {
    const stdout = await new Promise<string>((resolve, reject) => {
      // Asynchronous on purpose: the demo servers run in this process and must keep answering.
      execFile(
        kubectl,
        ['auth', 'whoami', '-o', 'json', '--kubeconfig', kubeconfig, '--context', context],
        { env: { ...env, KUBECONFIG: kubeconfig }, timeout: 60_000 },
        (err, out, errOut) => (err ? reject(new Error(redact(String(errOut).trim() || err.message))) : resolve(String(out))),
      );
    });
    return { ...userInfoOf(JSON.parse(stdout)), via: `checked with ${kubectl} auth whoami` };
  }
  return { ...(await reviewOverHttps(kubeconfig, context)), via: 'a SelfSubjectReview over HTTPS; kubectl is not installed' };
}

function userInfoOf(review: unknown): { username: string; groups: string[] } {
  const info = (review as { status?: { userInfo?: { username?: unknown; groups?: unknown } } }).status?.userInfo;
  if (typeof info?.username !== 'string') throw new Error('the SelfSubjectReview has no username');
  return { username: info.username, groups: Array.isArray(info.groups) ? info.groups.filter((g): g is string => typeof g === 'string') : [] };
}

/** The request `kubectl auth whoami` makes, with the id-token the wizard just wrote. */
async function reviewOverHttps(kubeconfig: string, context: string): Promise<{ username: string; groups: string[] }> {
  const [{ parseKubeconfig }, { findCluster, findContext, findUser }, { Agent, fetch }] = await Promise.all([
    import('../kubeconfig/model.js'),
    import('../kubeconfig/merge.js'),
    import('undici'),
  ]);
  const doc = parseKubeconfig(await readFile(kubeconfig, 'utf8'), kubeconfig);
  const ctx = findContext(doc, context)?.context;
  const cluster = ctx?.cluster ? findCluster(doc, ctx.cluster)?.cluster : undefined;
  const token = ctx?.user ? findUser(doc, ctx.user)?.user['auth-provider']?.config?.['id-token'] : undefined;
  if (!cluster?.server || !token) throw new Error(`context ${context} has no server or no id-token`);
  const caData = cluster['certificate-authority-data'];
  const dispatcher = new Agent({ connect: caData ? { ca: Buffer.from(caData, 'base64').toString('utf8') } : {} });
  try {
    const res = await fetch(`${cluster.server.replace(/\/$/, '')}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
      dispatcher,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`HTTP ${res.status} from the API server`);
    return userInfoOf(await res.json());
  } finally {
    await dispatcher.close();
  }
}
