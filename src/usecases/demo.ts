/**
 * `demo`: a newcomer's first run, with no Casdoor and no cluster. Starts the local Casdoor-like
 * provider and API server (src/demo), prints the values to type, runs the setup wizard against them
 * with a temporary kubeconfig (KUBECONFIG points at it; HOME and ~/.kube are not touched), then proves
 * the new context works by asking the API server who it sees. Knows nothing of argv or prompts: the
 * servers, the wizard, the temp folder and the "who am I" call come in through DemoDeps.
 */
import path from 'node:path';
import type { Output } from '../ports/output.js';
import { CliError } from '../errors.js';
import type { Script } from '../wizard/scripted.js';
import type { WizardOptions } from '../wizard/options.js';
import type { ContextCheck } from './context-check.js';
import type { EntryNames } from './entries.js';
import type { SetupInput } from './setup.js';
import type { ClaimMapping } from './whoami.js';

export interface DemoUserInfo {
  username: string;
  password: string;
  note: string;
}

export interface DemoServers {
  casdoorUrl: string;
  organization: string;
  clientId: string;
  /** The throwaway CA both servers' certificates chain to. */
  caFile: string;
  apiServerUrl: string;
  users: DemoUserInfo[];
  close(): Promise<void>;
  /** Last resort on Ctrl-C (synchronous): delete the TLS material. */
  removeSync(): void;
}

export interface DemoTempDir {
  dir: string;
  remove(): Promise<void>;
  removeSync(): void;
}

export interface WhoamiAnswer {
  username: string;
  groups: string[];
  /** How the question was asked, e.g. "an authentication.k8s.io/v1 SelfSubjectReview". */
  via: string;
}

// ---- the demo's fixed values (pure) -------------------------------------------------------------------

/** What the demo's API server stand-in maps, as the wizard is told (src/demo/apiserver.ts defaults). */
export const DEMO_CLAIMS: ClaimMapping = { usernameClaim: 'name', groupsClaim: 'groups', usernamePrefix: '-' };

/** Shown next to each demo user's password, so a newcomer knows whom to try (src/demo/users.ts). */
export function demoUserNote(username: string, organization: string): string {
  const notes: Record<string, string> = { alice: `(in group ${organization}/admins)`, bob: '(no groups; email not verified)' };
  return notes[username] ?? '';
}

/** The parts of the started demo environment (src/demo) the demo needs. */
export interface StartedDemoEnvironment {
  provider: { issuer: string; clientId: string; users: ReadonlyArray<{ username: string; password: string }> };
  apiserver: { url: string };
  caFile: string;
  close(): Promise<void>;
}

export function demoServersOf(env: StartedDemoEnvironment, organization: string, removeSync: () => void): DemoServers {
  return {
    casdoorUrl: env.provider.issuer,
    organization,
    clientId: env.provider.clientId,
    caFile: env.caFile,
    apiServerUrl: env.apiserver.url,
    users: env.provider.users.map((u) => ({ username: u.username, password: u.password, note: demoUserNote(u.username, organization) })),
    close: () => env.close(),
    removeSync,
  };
}

/** The wizard's options in the demo: the demo's values as suggestions, so Enter takes them. */
export function demoWizardOptions(servers: DemoServers): WizardOptions {
  const first = servers.users[0];
  return {
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
    settings: { setCurrentContext: true, dryRun: false, ...DEMO_CLAIMS },
    offerRenew: false,
    grantsUnavailable: 'not in the demo',
    // The demo asks the API server itself afterwards (deps.whoami), and says so in its own words.
    checkWithCluster: false,
  };
}

/** Headless answers (CI, `demo --non-interactive`); every question not named takes its suggested value, as Enter would. */
export function demoScript(servers: DemoServers): Script {
  // An empty client secret is what Enter gives at that (masked, default-less) question.
  return { clientSecret: '', grant: 'password', password: servers.users[0]?.password ?? '', tls: 'file', target: 'merge', write: true };
}

/** Requests to the demo's 127.0.0.1 servers must not go through the user's HTTPS_PROXY. */
export function withLoopbackUnproxied(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const noProxy = [env.NO_PROXY ?? env.no_proxy, '127.0.0.1', 'localhost'].filter(Boolean).join(',');
  return { ...env, NO_PROXY: noProxy, no_proxy: noProxy };
}

/** How to run this tool again in the user's shell, from the script the process runs and its folder. */
export function selfCommandOf(script: string, cwd: string): string {
  if (path.basename(script) === 'bin.js') return `node ${path.relative(cwd, script) || script}`;
  return path.basename(script) === 'kubectl-casdoor' ? 'kubectl casdoor' : 'casdoor-kubeconfig';
}

/** The API server's answer about the new context (usecases/context-check), or an error saying why there is none. */
export function whoamiAnswerOf(check: ContextCheck): WhoamiAnswer {
  if (check.outcome === 'accepted') {
    const r = check.report;
    return { username: r.username ?? '', groups: r.groups ?? [], via: `${r.apiVersion ?? 'authentication.k8s.io'} SelfSubjectReview, the request kubectl auth whoami makes` };
  }
  throw check.error;
}

/** What the demo needs to know about the wizard's outcome. */
export interface DemoWizardOutcome {
  outcome: 'written' | 'dry-run' | 'declined';
  input: Pick<SetupInput, 'kubeconfig' | 'output'>;
  names: EntryNames;
}

export interface DemoDeps {
  out: Output;
  env: NodeJS.ProcessEnv;
  startServers(): Promise<DemoServers>;
  makeTempDir(): Promise<DemoTempDir>;
  /** Runs the wizard with `env` (KUBECONFIG set to the temporary file), the demo's values as suggestions. */
  runWizard(env: NodeJS.ProcessEnv, servers: DemoServers, kubeconfig: string): Promise<DemoWizardOutcome>;
  whoami(kubeconfig: string, context: string): Promise<WhoamiAnswer>;
  spin<T>(text: string, work: () => Promise<T>): Promise<T>;
  /** Registers a synchronous undo for Ctrl-C (src/cleanup.ts); returns its remover. */
  registerCleanup(undo: () => void): () => void;
  /** `--keep`: resolves when the user stops the demo (in the real CLI, Ctrl-C ends the process instead). */
  waitForStop(): Promise<void>;
  /** How to run this tool again in the user's shell (`casdoor-kubeconfig`, or `node dist/bin.js`). */
  selfCommand: string;
}

export interface DemoOptions {
  keep: boolean;
  /** Answers are scripted (no prompts): CI, or `demo --non-interactive`. */
  headless: boolean;
}

export interface DemoResult {
  kubeconfig: string;
  context?: string;
  who?: WhoamiAnswer;
}

export async function runDemo(options: DemoOptions, deps: DemoDeps): Promise<DemoResult> {
  const { out } = deps;
  const c = out.c;
  out.info(c.bold('casdoor-kubeconfig demo'));
  out.info('A Casdoor-like OpenID provider and a Kubernetes API server stand-in start on 127.0.0.1 (with a');
  out.info('throwaway CA); then the setup wizard runs against them with a temporary kubeconfig.');
  out.info(`Your own kubeconfig is not touched.${options.headless ? ' No terminal: the answers are scripted.' : ''}`);
  out.info('');

  const servers = await deps.spin('Starting the local Casdoor and API server…', () => deps.startServers());
  const unregisterServers = deps.registerCleanup(() => servers.removeSync());
  let tmp: DemoTempDir | undefined;
  let unregisterTmp: (() => void) | undefined;
  try {
    tmp = await deps.makeTempDir();
    const t = tmp;
    unregisterTmp = deps.registerCleanup(() => t.removeSync());
    const kubeconfig = path.join(tmp.dir, 'kubeconfig');
    out.step(`Casdoor (demo) is at ${servers.casdoorUrl}; the API server at ${servers.apiServerUrl}.`);
    printValues(out, servers, kubeconfig);

    const env: NodeJS.ProcessEnv = { ...deps.env, KUBECONFIG: kubeconfig };
    const result = await deps.runWizard(env, servers, kubeconfig);
    if (result.outcome !== 'written') {
      out.info('The wizard wrote nothing, so there is no context to try; stopping the demo.');
      return { kubeconfig };
    }
    const file = result.input.output ?? result.input.kubeconfig ?? kubeconfig;
    const context = result.names.context;
    out.info('');
    let who: WhoamiAnswer;
    try {
      who = await deps.spin(`Calling the API server with context ${context}…`, () => deps.whoami(file, context));
    } catch (err) {
      throw new CliError('cluster', `The API server did not accept the new context: ${err instanceof Error ? err.message : String(err)}`, {
        hint: 'This is a bug in the demo or the tool: please report it with the output of --verbose.',
        cause: err,
      });
    }
    out.step(`The API server accepted the token (${who.via}):`);
    out.info(`  username  ${c.cyan(who.username)}`);
    out.info(`  groups    ${c.cyan(who.groups.join(', ') || '(none)')}`);

    if (options.keep) {
      out.info('');
      out.info(c.bold('The demo keeps running. In another terminal:'));
      out.info(`  export KUBECONFIG=${file}`);
      out.info('  kubectl auth whoami');
      out.info(`  ${deps.selfCommand}          ${c.dim('# the wizard again: it offers to renew the token')}`);
      out.info('Press Ctrl-C here to stop the servers and delete the temporary files.');
      await deps.waitForStop();
    }
    return { kubeconfig: file, context, who };
  } finally {
    await servers.close();
    unregisterServers();
    if (tmp) await tmp.remove();
    unregisterTmp?.();
    out.info(c.dim('Stopped the demo servers and deleted the temporary files.'));
  }
}

function printValues(out: Output, s: DemoServers, kubeconfig: string): void {
  const c = out.c;
  const row = (k: string, v: string, note = ''): void => out.info(`  ${k.padEnd(20)} ${c.cyan(v)}${note ? `  ${c.dim(note)}` : ''}`);
  out.info(c.bold('The values to type (the wizard also offers them as defaults: press Enter):'));
  row('Casdoor URL', s.casdoorUrl);
  row('Casdoor CA file', s.caFile, "(the demo's own CA)");
  row('Organization', s.organization);
  row('Client ID', s.clientId);
  row('Client secret', '(none)', '(press Enter)');
  for (const u of s.users) row(u === s.users[0] ? 'Username / password' : '', `${u.username} / ${u.password}`, u.note);
  row('API server URL', s.apiServerUrl);
  row('API server CA file', s.caFile, '(the same CA)');
  row('kubeconfig', kubeconfig, '(KUBECONFIG for this run only)');
  out.info('');
}
