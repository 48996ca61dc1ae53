/**
 * `from-kubelogin`: turns a kubeconfig user whose exec plugin is kubelogin (`kubectl oidc-login get-token
 * …`, `kubelogin get-token …`, `kubectl-oidc_login get-token …`) into a `casdoor-kubeconfig token` exec
 * user. The flag mapping (pure) follows kubelogin's own flag set (int128/kubelogin pkg/cmd/get_token.go,
 * authentication.go, tls.go, tokencache.go); docs/from-kubelogin.md explains each row. Secrets on the old
 * command line (--oidc-client-secret, --password) are dropped, never carried over.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Output } from '../ports/output.js';
import { CliError, usageError } from '../errors.js';
import { updateUserEntry } from '../kubeconfig/update.js';
import { loadMergedView } from '../kubeconfig/view.js';
import { parseCasdoorUrl } from '../oidc/issuer.js';
import { formatListenAddress, parseListenAddress } from '../oidc/loopback.js';
import { execCommandFor } from '../platform.js';
import { checkCaPem } from '../pem.js';
import { registerSecret } from '../redact.js';
import { checkedExecCommand } from './exec-command.js';
import { execUserEntry, type ExecUserSpec } from './entries.js';
import { checkResource } from '../oidc/resource.js';

export interface KubeloginConversion {
  spec: Omit<ExecUserSpec, 'command'>;
  /** --certificate-authority-data, decoded: written to a file of its own (the token args take a path). */
  caPem?: string;
  /** token args beyond ExecUserSpec (browser options). */
  extraArgs: string[];
  /** Flags that were dropped, and why (for the person). */
  dropped: Array<{ flag: string; why: string }>;
}

const BOOL_FLAGS = new Set([
  'oidc-use-pkce', 'oidc-use-access-token', 'force-refresh', 'skip-open-browser', 'insecure-skip-tls-verify',
  'force-keyring', 'no-keyring', 'tls-renegotiation-once', 'tls-renegotiation-freely',
]);

/** Why a kubelogin flag needs no equivalent here (it is dropped with this note). */
const DROPPED: Record<string, string> = {
  'oidc-client-secret': 'never written here: Casdoor does not need it for browser, device or password logins (client-credentials reads CASDOOR_CLIENT_SECRET at run time)',
  password: 'never written here: set CASDOOR_PASSWORD, or type it when asked',
  'oidc-use-pkce': 'PKCE (S256) is always used',
  'oidc-pkce-method': 'PKCE (S256) is always used',
  'oidc-use-access-token': "Casdoor's access token is the same JWT as its id_token",
  'token-cache-dir': 'the cache folder is CASDOOR_KUBECONFIG_CACHE_DIR (default ~/.kube/cache/casdoor-kubeconfig)',
  'token-cache-storage': 'tokens are cached in a 0600 file (no keyring storage yet)',
  'force-keyring': 'tokens are cached in a 0600 file (no keyring storage yet)',
  'no-keyring': 'tokens are cached in a 0600 file',
  'force-refresh': 'a flag for one run, not for the exec entry: use casdoor-kubeconfig refresh',
  'authentication-timeout-sec': 'the browser login waits 5 minutes',
  'open-url-after-authentication': 'the browser shows its own "signed in" page',
  'local-server-cert': 'the loopback callback is plain http on 127.0.0.1 (RFC 8252), as Casdoor accepts it',
  'local-server-key': 'the loopback callback is plain http on 127.0.0.1 (RFC 8252), as Casdoor accepts it',
  'oidc-redirect-url-hostname': 'the redirect URI always names 127.0.0.1 (Casdoor accepts any loopback port)',
  'tls-renegotiation-once': 'not needed by Casdoor',
  'tls-renegotiation-freely': 'not needed by Casdoor',
  v: 'use --verbose on a command run by hand',
};

/** kubelogin's grant types → ours (authentication.go grantOptionSet: "auto" is authcode unless --username). */
function grantOf(kubeloginGrant: string, username: string | undefined): string {
  switch (kubeloginGrant) {
    case 'auto':
      return username ? 'password' : 'browser';
    case 'authcode':
      return 'browser';
    case 'authcode-keyboard':
      // Typing a code back needs an out-of-band redirect, which Casdoor does not offer; its device flow
      // serves the same case (no browser on this machine).
      return 'device';
    case 'password':
      return 'password';
    case 'device-code':
      return 'device';
    case 'client-credentials':
      return 'client-credentials';
    default:
      throw usageError(`--grant-type ${kubeloginGrant} has no equivalent here (Casdoor's token exchange is not supported by casdoor-kubeconfig).`);
  }
}

/** kubelogin's command line, from `get-token` on, as name → values. */
function parseFlags(args: readonly string[]): Map<string, string[]> {
  const flags = new Map<string, string[]>();
  const add = (name: string, value: string): void => void flags.set(name, [...(flags.get(name) ?? []), value]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const m = /^--?([a-z0-9-]+)(?:=(.*))?$/s.exec(a);
    if (!m) throw usageError(`unexpected argument "${a}" in the kubelogin command line.`);
    const name = m[1] as string;
    if (m[2] !== undefined) add(name, m[2]);
    else if (BOOL_FLAGS.has(name)) add(name, 'true');
    else if (name === 'v' && /^\d+$/.test(args[i + 1] ?? '')) add(name, args[++i] as string);
    else {
      const value = args[i + 1];
      if (value === undefined) throw usageError(`--${name} has no value in the kubelogin command line.`);
      add(name, value);
      i++;
    }
  }
  return flags;
}

/** kubelogin's string-slice flags take comma-separated lists too. */
const list = (values: string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');

/** Finds kubelogin's `get-token` in an exec entry; the args after it, or undefined when it is not kubelogin. */
export function kubeloginArgs(exec: { command?: unknown; args?: unknown } | undefined): string[] | undefined {
  if (!exec || typeof exec.command !== 'string' || !Array.isArray(exec.args) || !exec.args.every((a) => typeof a === 'string')) return undefined;
  const base = path.basename(exec.command.replace(/\\/g, '/')).replace(/\.(exe|cmd)$/i, '');
  const args = exec.args as string[];
  const i = args.indexOf('get-token');
  if (i < 0) return undefined;
  const isKubelogin = base === 'kubelogin' || base === 'kubectl-oidc_login' || base === 'kubectl-oidc-login' || (base === 'kubectl' && args[0] === 'oidc-login');
  return isKubelogin ? args.slice(i + 1) : undefined;
}

/**
 * The casdoor-kubeconfig token spec for kubelogin's flags (pure apart from resolving a relative CA path
 * against `cwd`). Flags that cannot be carried over safely make it fail, naming them.
 */
export function convertKubeloginArgs(args: readonly string[], cwd: string): KubeloginConversion {
  const flags = parseFlags(args);
  for (const name of ['oidc-client-secret', 'password']) for (const v of flags.get(name) ?? []) registerSecret(v);
  const one = (name: string): string | undefined => flags.get(name)?.at(-1);
  const issuer = one('oidc-issuer-url');
  const clientId = one('oidc-client-id');
  if (!issuer || !clientId) throw usageError('the kubelogin command line has no --oidc-issuer-url or no --oidc-client-id.');
  const problems: string[] = [];
  if (one('insecure-skip-tls-verify') === 'true') problems.push('--insecure-skip-tls-verify (Casdoor must be reached over verified TLS: pass its CA with --certificate-authority)');
  const cas = list(flags.get('certificate-authority'));
  const caData = list(flags.get('certificate-authority-data'));
  if (cas.length + caData.length > 1) problems.push('more than one --certificate-authority(-data) (one CA is carried over)');
  // kubelogin's --oidc-auth-request-extra-params is a key=value map (pflag StringToString). The only one
  // Casdoor acts on is the RFC 8707 `resource`, in the authorization-code flow (object/token_oauth_util.go
  // GetOAuthCode; object/token_oauth.go GetAuthorizationCodeToken): it becomes --resource (oidc/resource.ts).
  const extra = list(flags.get('oidc-auth-request-extra-params')).map((kv) => [kv.slice(0, Math.max(0, kv.indexOf('='))), kv.slice(kv.indexOf('=') + 1)] as const);
  const resource = extra.find(([k]) => k === 'resource')?.[1];
  if (extra.some(([k]) => k !== 'resource')) problems.push('--oidc-auth-request-extra-params (only resource=URI is carried over: Casdoor acts on no other extra authorization parameter)');
  for (const name of flags.keys()) if (name.startsWith('token-exchange')) problems.push(`--${name} (token exchange is not supported)`);
  const known = new Set(['oidc-issuer-url', 'oidc-client-id', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'oidc-extra-scope', 'oidc-auth-request-extra-params', 'grant-type', 'username', 'listen-address', 'browser-command', 'skip-open-browser', ...Object.keys(DROPPED)]);
  for (const name of flags.keys()) if (!known.has(name) && !name.startsWith('token-exchange')) problems.push(`--${name} (unknown to this converter)`);
  if (problems.length) throw usageError(`cannot convert this kubelogin entry: ${problems.join('; ')}.`, 'Change the kubelogin args first, or write the entry with casdoor-kubeconfig setup --mode exec.');
  // kubelogin get_token.go: --certificate-authority-data is base64 PEM (tls.go). It becomes a file of its own.
  const caPem = caData[0] === undefined ? undefined : checkCaPem('--certificate-authority-data', 'the kubelogin argument', Buffer.from(caData[0], 'base64').toString('utf8'));
  // kubelogin asks for "openid" plus --oidc-extra-scope; Casdoor needs no scope at all (an empty scope is
  // always valid: object/token_oauth_util.go IsScopeValidAndExpand), so only the extra ones carry over.
  const scopes = list(flags.get('oidc-extra-scope'));
  const username = one('username');
  const grant = grantOf(one('grant-type') ?? 'auto', username);
  if (resource !== undefined) checkResource(resource, grant, 'from-kubelogin');
  const listen = list(flags.get('listen-address')).map((a) => formatListenAddress(parseListenAddress(a)));
  const dropped = [...flags.keys()].filter((name) => name in DROPPED).map((name) => ({ flag: `${name.length === 1 ? '-' : '--'}${name}`, why: DROPPED[name] as string }));
  if (grant !== 'browser' && listen.length) dropped.push({ flag: '--listen-address', why: `only used by the browser login (this entry logs in with ${grant})` });
  const spec: KubeloginConversion['spec'] = {
    issuer: parseCasdoorUrl(issuer),
    clientId,
    ...(cas[0] ? { casdoorCaFile: path.resolve(cwd, cas[0]) } : {}),
    ...(grant !== 'password' ? { grant } : {}),
    ...(username && grant !== 'client-credentials' ? { username } : {}),
    ...(grant === 'browser' && listen.length ? { listenAddresses: listen } : {}),
    ...(scopes.length ? { scope: scopes.join(' ') } : {}),
    ...(resource !== undefined ? { resource } : {}),
  };
  const extraArgs = [
    ...(one('browser-command') ? ['--browser-command', one('browser-command') as string] : []),
    ...(one('skip-open-browser') === 'true' ? ['--no-browser'] : []),
  ];
  return { spec, extraArgs, dropped, ...(caPem ? { caPem } : {}) };
}

export interface FromKubeloginInput {
  context?: string | undefined;
  user?: string | undefined;
  kubeconfig?: string | undefined;
  execCommand?: string | undefined;
  dryRun: boolean;
}

export interface FromKubeloginDeps {
  out: Output;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  cwd: string;
  now: () => Date;
}

export interface FromKubeloginResult {
  user: string;
  file: string;
  args: string[];
  written: boolean;
}

/** Converts one user (--user, else the user of --context, else of the current context) in the file that defines it. */
export async function runFromKubelogin(input: FromKubeloginInput, deps: FromKubeloginDeps): Promise<FromKubeloginResult> {
  const { out } = deps;
  const view = await loadMergedView({ kubeconfigFlag: input.kubeconfig, env: deps.env, homeDir: deps.homeDir });
  let userName = input.user;
  if (!userName) {
    const contextName = input.context ?? view.currentContext;
    if (!contextName) throw usageError('no current context: name the user with --user or the context with --context.');
    const context = view.findContext(contextName);
    if (!context) throw usageError(`context "${contextName}" is not defined in ${view.chain.files.join(', ')}.`);
    userName = typeof context.entry.context?.user === 'string' ? context.entry.context.user : undefined;
    if (!userName) throw usageError(`context "${contextName}" names no user.`);
  }
  const found = view.findUser(userName);
  if (!found) throw usageError(`user "${userName}" is not defined in ${view.chain.files.join(', ')}.`);
  const kubelogin = kubeloginArgs(found.entry.user.exec as { command?: unknown; args?: unknown } | undefined);
  if (!kubelogin) throw usageError(`user "${userName}" is not a kubelogin exec entry (kubectl oidc-login get-token …, kubelogin get-token …).`);
  const conversion = convertKubeloginArgs(kubelogin, deps.cwd);
  // The CA given inline goes next to the kubeconfig that uses it (a certificate, not a secret: 0644).
  const caFile = conversion.caPem ? path.join(path.dirname(found.file), `casdoor-ca-${createHash('sha256').update(conversion.caPem).digest('hex').slice(0, 12)}.crt`) : undefined;
  const command = execCommandFor(checkedExecCommand(input.execCommand, deps.env, deps.cwd));
  const exec = execUserEntry(userName, { command, ...conversion.spec, ...(caFile ? { casdoorCaFile: caFile } : {}) }).user.exec as Record<string, unknown> & { args: string[] };
  exec.args = [...exec.args, ...conversion.extraArgs];
  out.info(`User ${userName} in ${found.file}:`);
  out.info(`  kubelogin: ${String(found.entry.user.exec?.command)} ${kubelogin.length ? `… get-token ${kubelogin.join(' ')}` : ''}`);
  out.info(`  becomes:   ${String(exec.command)} ${exec.args.join(' ')}`);
  for (const d of conversion.dropped) out.info(`  dropped ${d.flag}: ${d.why}`);
  if (caFile) out.info(`  the CA of --certificate-authority-data goes to ${caFile}`);
  if (input.dryRun) {
    out.info('Dry run: nothing was written.');
    return { user: userName, file: found.file, args: exec.args, written: false };
  }
  if (caFile && conversion.caPem) await writeCaFile(caFile, conversion.caPem);
  const result = await updateUserEntry(found.file, userName, async (current) => {
    // Under the lock: the entry must still be the kubelogin one read above.
    if (!current || !kubeloginArgs(current.user.exec as { command?: unknown; args?: unknown } | undefined)) return undefined;
    return { ...current, user: { ...current.user, exec } };
  }, { now: deps.now });
  if (!result.found || result.changes.every((c) => c.action === 'unchanged')) {
    throw new CliError('kubeconfig', `user ${userName} changed in ${found.file} while converting it; nothing was written.`, { hint: 'Run the command again.' });
  }
  out.step(`Converted user ${userName} in ${result.file}${result.backup ? ` (previous version saved as ${result.backup})` : ''}. The first kubectl command logs in with casdoor-kubeconfig; kubelogin's own cache (~/.kube/cache/oidc-login) can go: kubectl oidc-login clean.`);
  return { user: userName, file: result.file, args: exec.args, written: true };
}

/** Writes the CA certificate once (the same content under the same name is left as it is). */
async function writeCaFile(file: string, pem: string): Promise<void> {
  try {
    if ((await readFile(file, 'utf8').catch(() => undefined)) === pem) return;
    await writeFile(file, pem, { mode: 0o644, flag: 'wx' });
  } catch (err) {
    throw new CliError('kubeconfig', `cannot write the CA file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); nothing was converted.`, { cause: err });
  }
}
