/**
 * Which cluster and user a context means, resolved the way kubectl resolves it (pure, over the merged
 * view of every KUBECONFIG file): the context named by --context or current-context, then its cluster
 * and user, each from the first file that defines it. Relative paths inside an entry are resolved
 * against the folder of the file that defines that entry, as client-go does.
 */
import path from 'node:path';
import { CliError } from '../errors.js';
import type { AuthInfo, ClusterInfo, ExecConfig } from '../kubeconfig/model.js';
import type { MergedView } from '../kubeconfig/view.js';
import { redactArgs, registerSecret } from '../redact.js';

export type CredentialKind = 'oidc' | 'exec' | 'token' | 'client-certificate' | 'basic' | 'auth-provider' | 'none';

export interface ResolvedContext {
  context: string;
  /** The file that defines the context. */
  contextFile: string;
  namespace?: string;
  clusterName: string;
  clusterFile: string;
  /** With relative file paths made absolute. */
  cluster: ClusterInfo;
  userName: string;
  userFile: string;
  /** With relative file paths made absolute (exec.command too, when it contains a '/'). */
  user: AuthInfo;
}

/** What an OIDC token of this user must carry for the API server configured by `apiserver-config`. */
export interface ExpectedToken {
  /** idp-issuer-url (auth-provider) or --casdoor-url (exec): what --oidc-issuer-url would be. */
  issuer: string;
  /** client-id (auth-provider) or --client-id (exec): what --oidc-client-id would be. */
  clientId: string;
  /** --resource (exec): the RFC 8707 audience the tokens carry instead of the client id. */
  resource?: string;
  source: 'auth-provider' | 'exec';
}

const fileList = (view: MergedView): string => view.chain.files.join(', ');

function allContextNames(view: MergedView): string[] {
  const names = new Set<string>();
  for (const { doc } of view.files) for (const c of doc.contexts ?? []) if (c && typeof c.name === 'string') names.add(c.name);
  return [...names];
}

function listHint(names: string[]): string {
  if (names.length === 0) return 'The kubeconfig defines no contexts: run casdoor-kubeconfig setup first.';
  const shown = names.slice(0, 10).join(', ');
  return `Contexts defined: ${shown}${names.length > 10 ? `, … (${names.length} in all)` : ''}. Pick one with --context NAME.`;
}

const absolute = (file: string, value: unknown): unknown =>
  typeof value === 'string' && value !== '' && !path.isAbsolute(value) ? path.join(path.dirname(file), value) : value;

function absoluteCluster(file: string, cluster: ClusterInfo): ClusterInfo {
  const out: ClusterInfo = { ...cluster };
  if (out['certificate-authority'] !== undefined) out['certificate-authority'] = absolute(file, out['certificate-authority']) as string;
  return out;
}

function absoluteUser(file: string, user: AuthInfo): AuthInfo {
  const out: AuthInfo = { ...user };
  for (const key of ['client-certificate', 'client-key', 'tokenFile']) {
    if (out[key] !== undefined) out[key] = absolute(file, out[key]);
  }
  const exec = user.exec;
  // kubectl: a command with a '/' is relative to the kubeconfig's folder; a bare name is looked up in PATH.
  if (exec && typeof exec.command === 'string' && exec.command.includes('/')) {
    out.exec = { ...exec, command: absolute(file, exec.command) as string };
  }
  return out;
}

/** Resolves `--context` (or current-context) to its cluster and user; CliError('kubeconfig') naming what is missing. */
export function resolveContext(view: MergedView, requested: string | undefined): ResolvedContext {
  if (view.files.length === 0) {
    throw new CliError('kubeconfig', `no kubeconfig found: ${fileList(view)} ${view.chain.files.length > 1 ? 'do' : 'does'} not exist.`, {
      hint: 'Run casdoor-kubeconfig setup first, or name the file with --kubeconfig (or KUBECONFIG).',
    });
  }
  const name = requested !== undefined && requested !== '' ? requested : view.currentContext;
  if (name === '') {
    throw new CliError('kubeconfig', `no current-context is set in ${fileList(view)}.`, { hint: listHint(allContextNames(view)) });
  }
  const ctx = view.findContext(name);
  if (!ctx) {
    throw new CliError('kubeconfig', `context "${name}" is not defined in ${fileList(view)}.`, { hint: listHint(allContextNames(view)) });
  }
  const info = ctx.entry.context ?? {};
  const clusterName = typeof info.cluster === 'string' ? info.cluster : '';
  const userName = typeof info.user === 'string' ? info.user : '';
  if (clusterName === '') throw new CliError('kubeconfig', `context "${name}" (in ${ctx.file}) names no cluster.`, { hint: 'Re-run casdoor-kubeconfig setup, or fix the context with kubectl config set-context.' });
  if (userName === '') throw new CliError('kubeconfig', `context "${name}" (in ${ctx.file}) names no user.`, { hint: 'Re-run casdoor-kubeconfig setup, or fix the context with kubectl config set-context.' });
  const cluster = view.findCluster(clusterName);
  if (!cluster) {
    throw new CliError('kubeconfig', `context "${name}" refers to cluster "${clusterName}", which is not defined in ${fileList(view)}.`, {
      hint: 'Re-run casdoor-kubeconfig setup, or check KUBECONFIG: the file that defines that cluster may be missing from it.',
    });
  }
  const server = cluster.entry.cluster?.server;
  if (typeof server !== 'string' || server === '') {
    throw new CliError('kubeconfig', `clusters[name=${clusterName}].cluster.server is missing in ${cluster.file}.`, { hint: 'Set it with kubectl config set-cluster NAME --server URL.' });
  }
  const user = view.findUser(userName);
  if (!user) {
    throw new CliError('kubeconfig', `context "${name}" refers to user "${userName}", which is not defined in ${fileList(view)}.`, {
      hint: 'Re-run casdoor-kubeconfig setup, or check KUBECONFIG: the file that defines that user may be missing from it.',
    });
  }
  return {
    context: name,
    contextFile: ctx.file,
    ...(typeof info.namespace === 'string' && info.namespace !== '' ? { namespace: info.namespace } : {}),
    clusterName,
    clusterFile: cluster.file,
    cluster: absoluteCluster(cluster.file, cluster.entry.cluster),
    userName,
    userFile: user.file,
    user: absoluteUser(user.file, user.entry.user ?? {}),
  };
}

/** The credential a user entry carries, in client-go's order of precedence. */
export function credentialKind(user: AuthInfo): CredentialKind {
  if (user.exec) return 'exec';
  const provider = user['auth-provider'];
  if (provider) return provider.name === 'oidc' ? 'oidc' : 'auth-provider';
  if ((typeof user.token === 'string' && user.token !== '') || typeof user.tokenFile === 'string') return 'token';
  if (user['client-certificate'] || user['client-certificate-data']) return 'client-certificate';
  if (user.username) return 'basic';
  return 'none';
}

/** The value of `--flag V` or `--flag=V` in an argument list. */
export function argValue(args: readonly string[] | undefined, flag: string): string | undefined {
  if (!args) return undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === flag) return args[i + 1];
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

/** True for an exec entry that runs this tool's `token` command (whatever the path of the binary). */
export function isOurExecPlugin(exec: ExecConfig | undefined): boolean {
  return Boolean(exec?.args?.[0] === 'token' && argValue(exec.args, '--casdoor-url') !== undefined);
}

/** What the API server would be configured with for this user, read from the user entry itself. */
export function expectedTokenOf(user: AuthInfo): ExpectedToken | undefined {
  const provider = user['auth-provider'];
  if (provider?.name === 'oidc') {
    const issuer = provider.config?.['idp-issuer-url'];
    const clientId = provider.config?.['client-id'];
    if (issuer && clientId) return { issuer, clientId, source: 'auth-provider' };
    return undefined;
  }
  if (user.exec && isOurExecPlugin(user.exec)) {
    const issuer = argValue(user.exec.args, '--casdoor-url');
    const clientId = argValue(user.exec.args, '--client-id');
    const resource = argValue(user.exec.args, '--resource');
    if (issuer && clientId) return { issuer, clientId, ...(resource ? { resource } : {}), source: 'exec' };
  }
  return undefined;
}

/** The command line to show a person (secrets registered so they are redacted). */
export function describeCommand(exec: ExecConfig): string {
  const args = exec.args ?? [];
  args.forEach((a, i) => {
    if (args[i - 1] === '--client-secret' || a.startsWith('--client-secret=')) registerSecret(a.replace(/^--client-secret=/, ''));
  });
  return [exec.command ?? '', ...redactArgs(args)].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
