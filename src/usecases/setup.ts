/**
 * `setup`: log in to Casdoor, verify the id_token, explain what the API server will see, and
 * write (or merge) a cluster, an OIDC user and a context. Knows nothing of argv or prompts: the
 * CLI and the wizard both build a SetupInput and call the steps here.
 */
import { CliError } from '../errors.js';
import type { Output } from '../cli/output.js';
import type { ClientCredentials } from '../oidc/grants.js';
import type { HttpClient } from '../oidc/http.js';
import { preflight, type PreflightResult } from '../oidc/preflight.js';
import { applyKubeconfigChange, writeStandalone } from '../kubeconfig/store.js';
import { loadMergedView } from '../kubeconfig/view.js';
import { clusterEntry, contextEntry, defaultNames, oidcUserEntry, type EntryNames, type SetupEntries } from './entries.js';
import { openSession, passwordLogin, type Session, type VerifiedLogin } from './login.js';

export interface SetupInput {
  casdoorUrl: string;
  organization?: string;
  application?: string;
  clientId: string;
  clientSecret?: string;
  username: string;
  password: string;
  /** PEM text of --casdoor-ca. */
  casdoorCaPem?: string;
  server: string;
  /** base64 PEM of --certificate-authority. */
  certificateAuthorityData?: string;
  insecureSkipTlsVerify: boolean;
  names: Partial<EntryNames>;
  namespace?: string;
  kubeconfig?: string;
  output?: string;
  setCurrentContext: boolean;
  dryRun: boolean;
  usernameClaim: string;
  groupsClaim: string;
  usernamePrefix?: string;
  groupsPrefix?: string;
}

export interface SetupDeps {
  out: Output;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  now: () => Date;
  makeHttp: (caPem?: string) => HttpClient;
}

export interface SetupResult {
  login: VerifiedLogin;
  report: PreflightResult;
  names: EntryNames;
  written: Array<{ file: string; backup?: string; created: boolean; changes: Array<{ kind: string; name: string; action: string }> }>;
}

export function clientOf(input: Pick<SetupInput, 'clientId' | 'clientSecret' | 'application'>): ClientCredentials {
  return {
    clientId: input.clientId,
    ...(input.clientSecret ? { clientSecret: input.clientSecret } : {}),
    ...(input.application ? { application: input.application } : {}),
  };
}

export function buildSetupEntries(input: SetupInput, login: VerifiedLogin): { names: EntryNames; entries: SetupEntries } {
  const names = defaultNames(input, input.names);
  const entries: SetupEntries = {
    cluster: clusterEntry(names.cluster, {
      server: input.server,
      ...(input.certificateAuthorityData ? { certificateAuthorityData: input.certificateAuthorityData } : {}),
      insecureSkipTlsVerify: input.insecureSkipTlsVerify,
    }),
    user: oidcUserEntry(names.user, {
      issuer: input.casdoorUrl,
      clientId: input.clientId,
      ...(input.clientSecret ? { clientSecret: input.clientSecret } : {}),
      idToken: login.tokens.idToken,
      ...(login.tokens.refreshToken ? { refreshToken: login.tokens.refreshToken } : {}),
      ...(input.casdoorCaPem ? { idpCaData: Buffer.from(input.casdoorCaPem).toString('base64') } : {}),
    }),
    context: contextEntry(names, input.namespace),
    ...(input.setCurrentContext ? { currentContext: names.context } : {}),
  };
  return { names, entries };
}

export function describeExpiry(expiresAt: Date, now: Date): string {
  const mins = Math.round((expiresAt.getTime() - now.getTime()) / 60000);
  const local = expiresAt.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const rel = mins >= 120 ? `in ${Math.round(mins / 60)} h` : mins >= 0 ? `in ${mins} min` : `${-mins} min ago`;
  return `${local} (${rel})`;
}

export function printPreflight(out: Output, report: PreflightResult, input: Pick<SetupInput, 'usernameClaim' | 'groupsClaim' | 'usernamePrefix'>, now: Date): void {
  const c = out.c;
  const prefixNote = input.usernamePrefix === undefined ? 'no --oidc-username-prefix' : `--oidc-username-prefix=${input.usernamePrefix}`;
  out.info(c.bold('The API server will see:'));
  out.info(`  username  ${report.username !== undefined ? c.cyan(report.username) : c.red('(rejected)')}  ${c.dim(`claim "${input.usernameClaim}", ${prefixNote}`)}`);
  out.info(`  groups    ${report.groups.length ? c.cyan(report.groups.join(', ')) : c.dim('(none)')}  ${c.dim(`claim "${input.groupsClaim}"`)}`);
  if (report.email) out.info(`  email     ${report.email}`);
  if (report.expiresAt) out.info(`  expires   ${describeExpiry(report.expiresAt, now)}`);
  for (const w of report.warnings) out.warn(w.message);
}

export async function runSetup(input: SetupInput, deps: SetupDeps): Promise<SetupResult> {
  const { out } = deps;
  if (input.output === undefined) {
    // Fail on an unusable kubeconfig before spending a login attempt (Casdoor counts failures).
    await loadMergedView({ kubeconfigFlag: input.kubeconfig, env: deps.env, homeDir: deps.homeDir });
  }
  const http = deps.makeHttp(input.casdoorCaPem);
  try {
    const session: Session = await openSession(http, input.casdoorUrl);
    out.step(`Casdoor at ${session.meta.issuer} answered discovery; the issuer matches.`);
    const client = clientOf(input);
    const login = await passwordLogin(session, client, input.username, input.password, deps.now());
    out.step(`Logged in as ${input.username}; the id_token verified (${login.verified.header.alg}${login.verified.header.kid ? `, key ${login.verified.header.kid}` : ''}).`);
    if (!login.tokens.refreshToken) {
      out.warn('Casdoor returned no refresh token: kubectl cannot renew this token; enable the "Refresh Token" grant in the application.');
    }
    const report = preflight(login.verified.claims, {
      issuer: session.meta.issuer,
      usernameClaim: input.usernameClaim,
      groupsClaim: input.groupsClaim,
      ...(input.usernamePrefix !== undefined ? { usernamePrefix: input.usernamePrefix } : {}),
      ...(input.groupsPrefix !== undefined ? { groupsPrefix: input.groupsPrefix } : {}),
    });
    printPreflight(out, report, input, deps.now());
    const { names, entries } = buildSetupEntries(input, login);
    const written = await writeEntries(input, entries, deps);
    return { login, report, names, written };
  } finally {
    await http.close();
  }
}

async function writeEntries(input: SetupInput, entries: SetupEntries, deps: SetupDeps): Promise<SetupResult['written']> {
  const { out } = deps;
  if (input.output !== undefined) {
    if (input.dryRun) {
      out.info(`Dry run: would write a standalone kubeconfig to ${input.output === '-' ? 'standard output' : input.output}.`);
      return [];
    }
    const res = await writeStandalone(input.output, entries);
    if (input.output === '-') {
      // The user asked for the kubeconfig itself on stdout: it must carry the tokens to be usable.
      out.data(res.text ?? '', { raw: true });
      return [];
    }
    out.step(`Wrote a standalone kubeconfig to ${input.output} (mode 0600). It contains the user's tokens: hand it over privately.`);
    return [{ file: input.output, created: true, changes: [] }];
  }
  const result = await applyKubeconfigChange({
    ...(input.kubeconfig !== undefined ? { kubeconfigFlag: input.kubeconfig } : {}),
    env: deps.env,
    homeDir: deps.homeDir,
    entries,
    dryRun: input.dryRun,
  });
  const written: SetupResult['written'] = [];
  for (const f of result.files) {
    if (input.dryRun) {
      out.info(`Dry run: changes to ${f.file} (secrets redacted; nothing written):`);
      out.data(f.diff);
      continue;
    }
    const changed = f.changes.filter((ch) => ch.action !== 'unchanged');
    if (changed.length === 0) {
      out.step(`${f.file} already holds these entries; nothing to change.`);
    } else {
      out.step(`Updated ${f.file}${f.backup ? ` (previous version saved as ${f.backup})` : ''}:`);
      for (const ch of changed) out.info(`  ${ch.action.padEnd(8)} ${ch.kind} ${ch.name}`);
    }
    written.push({ file: f.file, ...(f.backup ? { backup: f.backup } : {}), created: f.created, changes: f.changes });
  }
  if (!written.length && !input.dryRun) throw new CliError('internal', 'No kubeconfig file was written.');
  return written;
}
