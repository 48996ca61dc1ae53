/**
 * `setup`: log in to Casdoor, verify the id_token, explain what the API server will see, and
 * write (or merge) a cluster, an OIDC user and a context. Knows nothing of argv or prompts: the
 * CLI and the wizard both build a SetupInput and call the steps here.
 */
import type { TokenStorage } from '../token/keyring.js';
import { CliError } from '../errors.js';
import type { Output } from '../ports/output.js';
import type { ClientCredentials } from '../oidc/grants.js';
import type { HttpClient } from '../oidc/http.js';
import { preflight, type PreflightResult } from '../oidc/preflight.js';
import { analyzeTokenFormat, type TokenFormatReport } from '../oidc/token-format.js';
import { applyKubeconfigChange, writeStandalone } from '../kubeconfig/store.js';
import { loadMergedView } from '../kubeconfig/view.js';
import { checkResource } from '../oidc/resource.js';
import { clusterEntry, contextEntry, defaultNames, execUserEntry, oidcUserEntry, type EntryNames, type SetupEntries } from './entries.js';
import { openSession, passwordLogin, type Session, type VerifiedLogin } from './login.js';
import { proveRefresh, type RefreshProof } from './prove-refresh.js';
import { clientSecretAdvice, entriesWithClientSecret } from './client-secret.js';
import { usernameOf } from './token.js';
import { cleartextServerWarning } from '../validate.js';
import { defaultExecCommand } from '../install-info.js';
import { describeExpiry } from '../describe-expiry.js';
import { summarizeList } from '../list-summary.js';
import { execCommandFor } from '../platform.js';
import { looseModeWarning } from '../kubeconfig/mode.js';

export type SetupMode = 'auth-provider' | 'exec';

export interface SetupInput {
  casdoorUrl: string;
  organization?: string;
  application?: string;
  clientId: string;
  /**
   * Only checked at setup (proveRefresh), never written anywhere: Casdoor turns any application's
   * client id + secret into the identity `app/<name>`, which its authorization allows on every API
   * endpoint (routers/base.go getUsernameByClientIdSecret, authz/authz.go IsAllowed), and neither
   * kubectl's refresh nor Casdoor's refresh grant needs it.
   */
  clientSecret?: string;
  /** --scope: what to ask Casdoor for at login; none when absent (always valid in Casdoor). */
  scope?: string;
  /** RFC 8707 --resource (browser grant only, oidc/resource.ts): the token's audience instead of the client id. */
  resource?: string;
  /**
   * The Casdoor username; '' when not given, which only browser and device logins allow: the exec
   * entry then carries no --username (the cache key of `token` without one) and the entry names use
   * the username from the token (see entryUsername).
   */
  username: string;
  /** Required unless mode is exec with skipLogin. */
  password: string;
  /** PEM text of --casdoor-ca. */
  casdoorCaPem?: string;
  /** Absolute path of --casdoor-ca (exec mode passes it to `token`). */
  casdoorCaFile?: string;
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
  /**
   * false: usernameClaim is only the default, and the token format found at login decides it instead
   * (JWT-Standard: preferred_username; see oidc/token-format.ts). Absent or true: it was chosen.
   */
  usernameClaimGiven?: boolean;
  groupsClaim: string;
  /** The API server's --oidc-username-prefix: undefined = flag unset ("<issuer>#"), '-' = none. */
  usernamePrefix?: string;
  groupsPrefix?: string;
  /** auth-provider (default): tokens in the kubeconfig; exec: `casdoor-kubeconfig token` plugin + cache. */
  mode: SetupMode;
  /** exec mode: the command kubectl runs. */
  execCommand?: string;
  /** exec mode: write the entries without logging in (the user logs in on first use). */
  skipLogin?: boolean;
  /** How to log in: password (default), browser (code + PKCE), device. Exec entries pass it on to `token`. */
  grant?: 'password' | 'browser' | 'device' | 'client-credentials';
  /** Browser login: the command that opens the URL (else $BROWSER / the platform's opener). */
  browserCommand?: string;
  /** Browser login: --listen-address values (also written into the exec args). */
  listenAddresses?: string[];
  /** Exec mode: --token-cache-storage (written into the exec args; default disk). */
  tokenCacheStorage?: TokenStorage;
  /** Browser login: only print the URL. */
  noBrowser?: boolean;
  /** Replace a cluster or user entry even when other contexts use it (re-pointing them). */
  force?: boolean;
}

export interface SetupDeps {
  out: Output;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  now: () => Date;
  makeHttp: (caPem?: string) => HttpClient;
  /** exec mode: puts freshly verified tokens in the plugin's cache. */
  storeTokens?: (input: SetupInput, login: VerifiedLogin) => Promise<void>;
  /** Browser and device logins (password logins need nothing more than the session). */
  grantLogin?: (session: Session, input: SetupInput) => Promise<VerifiedLogin>;
}

export interface SetupResult {
  login?: VerifiedLogin;
  report?: PreflightResult;
  /** The refresh and client-secret proof made before writing (after a login). */
  proof?: RefreshProof;
  /** The token format found in the id_token, and the username claim that follows from it. */
  format?: TokenFormatReport;
  names: EntryNames;
  written: WrittenFile[];
}

export interface WrittenFile {
  file: string;
  backup?: string;
  created: boolean;
  changes: Array<{ kind: string; name: string; action: string }>;
}

export function clientOf(input: Pick<SetupInput, 'clientId' | 'clientSecret' | 'application' | 'resource'>): ClientCredentials {
  return {
    clientId: input.clientId,
    ...(input.resource ? { resource: input.resource } : {}),
    ...(input.clientSecret ? { clientSecret: input.clientSecret } : {}),
    ...(input.application ? { application: input.application } : {}),
  };
}

/**
 * The username the default entry names are made of: the one given, else the one in the token (a
 * browser or device login), else "casdoor" (--skip-login without --username: nobody has logged in).
 */
export function entryUsername(input: Pick<SetupInput, 'username'>, login: VerifiedLogin | undefined): string {
  return input.username || (login ? usernameOf(login.verified.claims) : undefined) || 'casdoor';
}

export function buildSetupEntries(input: SetupInput, login: VerifiedLogin | undefined): { names: EntryNames; entries: SetupEntries } {
  const names = defaultNames({ ...input, username: entryUsername(input, login) }, input.names);
  let user: SetupEntries['user'];
  if (input.mode === 'exec') {
    user = execUserEntry(names.user, {
      // Not given: what kubectl can start later from this install (src/install-info.ts; refuses for npx),
      // as Windows' kubectl can start it (the npm .cmd shim, src/platform.ts).
      command: execCommandFor(input.execCommand ?? defaultExecCommand()),
      issuer: input.casdoorUrl,
      clientId: input.clientId,
      ...(input.casdoorCaFile ? { casdoorCaFile: input.casdoorCaFile } : {}),
      ...(input.grant && input.grant !== 'password' ? { grant: input.grant } : {}),
      // '' (not given) leaves --username out: `token` then keys its cache on the empty username.
      ...(input.username ? { username: input.username } : {}),
      ...(input.scope ? { scope: input.scope } : {}),
      ...(input.resource ? { resource: input.resource } : {}),
      ...(input.listenAddresses?.length ? { listenAddresses: input.listenAddresses } : {}),
      ...(input.tokenCacheStorage && input.tokenCacheStorage !== 'disk' ? { tokenCacheStorage: input.tokenCacheStorage } : {}),
    });
  } else {
    if (!login) throw new CliError('internal', 'auth-provider mode needs a login');
    // No client-secret, ever (see SetupInput.clientSecret): kubectl's oidc refresh works without it.
    user = oidcUserEntry(names.user, {
      issuer: input.casdoorUrl,
      clientId: input.clientId,
      idToken: login.tokens.idToken,
      ...(login.tokens.refreshToken ? { refreshToken: login.tokens.refreshToken } : {}),
      ...(input.casdoorCaPem ? { idpCaData: Buffer.from(input.casdoorCaPem).toString('base64') } : {}),
    });
  }
  const entries: SetupEntries = {
    cluster: clusterEntry(names.cluster, {
      server: input.server,
      ...(input.certificateAuthorityData ? { certificateAuthorityData: input.certificateAuthorityData } : {}),
      insecureSkipTlsVerify: input.insecureSkipTlsVerify,
    }),
    user,
    context: contextEntry(names, input.namespace),
    ...(input.setCurrentContext ? { currentContext: names.context } : {}),
  };
  return { names, entries };
}

/** What else the summary shows when known: the token format and the refresh proof. */
export interface SummaryExtras {
  format?: TokenFormatReport | undefined;
  proof?: RefreshProof | undefined;
}

export function printPreflight(out: Output, report: PreflightResult, input: Pick<SetupInput, 'usernameClaim' | 'groupsClaim' | 'usernamePrefix'>, now: Date, extras: SummaryExtras = {}): void {
  const c = out.c;
  const { format, proof } = extras;
  const prefixNote = input.usernamePrefix === undefined ? 'no --oidc-username-prefix' : `--oidc-username-prefix=${input.usernamePrefix}`;
  const claimWhy = format && format.usernameClaimReason !== 'as given' ? ` (${format.usernameClaimReason})` : '';
  out.info(c.bold('The API server will see:'));
  out.info(`  username  ${report.username !== undefined ? c.cyan(report.username) : c.red('(rejected)')}  ${c.dim(`claim "${input.usernameClaim}"${claimWhy}, ${prefixNote}`)}`);
  out.info(`  groups    ${report.groups.length ? c.cyan(summarizeList(report.groups)) : c.dim('(none)')}  ${c.dim(`claim "${input.groupsClaim}"`)}`);
  if (report.email) out.info(`  email     ${report.email}`);
  if (report.expiresAt) out.info(`  expires   ${describeExpiry(report.expiresAt, now)}`);
  if (proof) out.info(`  renewal   ${describeRenewal(proof, now)}`);
  if (format) out.info(`  format    ${c.dim(`Casdoor token format ${format.format}: ${format.evidence}`)}`);
  for (const w of report.warnings) out.warn(w.message);
  for (const n of format?.notes ?? []) {
    if (n.code === 'username-claim-chosen') out.info(n.message);
    else out.warn(n.message);
  }
  for (const w of proof?.warnings ?? []) out.warn(w.message);
}

/** How long the session can be renewed without a new login, from the refresh proof. */
export function describeRenewal(proof: RefreshProof, now: Date): string {
  if (proof.refresh === 'no-refresh-token') return 'not possible (no refresh token)';
  if (proof.refresh === 'client-credentials') return 'by a new client-credentials grant when it expires (no refresh token; the grant checked the client secret)';
  if (proof.refresh === 'grant-disabled') return 'not possible (the "Refresh Token" grant is not enabled)';
  const until = proof.refreshExpiresAt !== undefined ? `until ${describeExpiry(new Date(proof.refreshExpiresAt * 1000), now)}` : 'possible';
  return `${until} (refresh token; checked with Casdoor${proof.secretChecked ? ', and the client secret with it' : ''})`;
}

/** Step 0: fail on an unusable kubeconfig before spending a login attempt (Casdoor counts failures). */
export async function checkTarget(input: Pick<SetupInput, 'output' | 'kubeconfig'>, deps: Pick<SetupDeps, 'env' | 'homeDir'>): Promise<void> {
  if (input.output === undefined) await loadMergedView({ kubeconfigFlag: input.kubeconfig, env: deps.env, homeDir: deps.homeDir });
}

/** Step 1: discovery, with the issuer checked against the URL given. */
export async function connect(http: HttpClient, input: Pick<SetupInput, 'casdoorUrl'>, out: Output): Promise<Session> {
  const session = await openSession(http, input.casdoorUrl);
  out.step(`Casdoor at ${session.meta.issuer} answered discovery; the issuer matches.`);
  return session;
}

/** Step 2: login (password, or browser/device through deps.grantLogin) and id_token verification. */
export async function login(session: Session, input: SetupInput, deps: Pick<SetupDeps, 'out' | 'now' | 'grantLogin'>): Promise<VerifiedLogin> {
  const grant = input.grant ?? 'password';
  // The wizard picks the grant itself: the rule of oidc/resource.ts holds for it too.
  checkResource(input.resource, grant, 'setup');
  if (grant !== 'password' && !deps.grantLogin) throw new CliError('internal', `--grant ${grant} needs a login driver`);
  const result = grant === 'password' || !deps.grantLogin
    ? await passwordLogin(session, clientOf(input), input.username, input.password, deps.now(), input.scope)
    : await deps.grantLogin(session, input);
  const { header } = result.verified;
  deps.out.step(`Logged in as ${grant === 'client-credentials' ? 'application ' : ''}${input.username || usernameOf(result.verified.claims) || String(result.verified.claims.sub ?? '?')}; the id_token verified (${header.alg}${header.kid ? `, key ${header.kid}` : ''}).`);
  for (const w of result.verified.warnings) deps.out.warn(w);
  if (grant === 'client-credentials') {
    // GetClientCredentialsToken issues no refresh token: `token` asks for a new one on expiry.
    deps.out.info('This is the application\'s own identity (client credentials): no refresh token; `token` asks Casdoor for a new one when it expires, with CASDOOR_CLIENT_SECRET from its environment.');
  }
  return result;
}

/**
 * Step 2b: prove the refresh (and the client secret, when one was given) before anything is written;
 * a wrong secret fails here (exit 3). The tokens are rotated by it: use `proof.login` from here on.
 */
export async function prove(session: Session, result: VerifiedLogin, input: SetupInput, deps: Pick<SetupDeps, 'out' | 'now'>): Promise<RefreshProof> {
  // Client credentials: the grant itself checked the secret (object/token_oauth.go GetClientCredentialsToken)
  // and issues no refresh token by design; `token` asks for a new one instead of renewing.
  if (input.grant === 'client-credentials') return { login: result, refresh: 'client-credentials', secretChecked: true, warnings: [] };
  const proof = await proveRefresh(session, clientOf(input), result, deps);
  if (proof.refresh === 'proven') deps.out.step(`Casdoor renewed the token once${proof.secretChecked ? ' and accepted the client secret' : ''}: kubectl can renew it without the client secret.`);
  else if (proof.secretChecked) deps.out.step('Casdoor accepted the client secret.');
  return proof;
}

/** The token format of the login, and the username claim that follows (the one given, else the format's). */
export function formatOf(result: VerifiedLogin, input: Pick<SetupInput, 'usernameClaim' | 'usernameClaimGiven' | 'groupsClaim'>): TokenFormatReport {
  return analyzeTokenFormat(result.verified.claims, {
    ...(input.usernameClaimGiven === false ? {} : { usernameClaim: input.usernameClaim }),
    groupsClaim: input.groupsClaim,
  });
}

/** Step 3: what the API server will see (pure), printed; `input.usernameClaim` is the effective one (formatOf). */
export function analyze(session: Session, result: VerifiedLogin, input: SetupInput, deps: Pick<SetupDeps, 'out' | 'now'>, extras: SummaryExtras = {}): PreflightResult {
  const report = preflight(result.verified.claims, {
    issuer: session.meta.issuer,
    usernameClaim: input.usernameClaim,
    groupsClaim: input.groupsClaim,
    ...(input.usernamePrefix !== undefined ? { usernamePrefix: input.usernamePrefix } : {}),
    ...(input.groupsPrefix !== undefined ? { groupsPrefix: input.groupsPrefix } : {}),
  });
  printPreflight(deps.out, report, input, deps.now(), extras);
  return report;
}

export async function runSetup(given: SetupInput, deps: SetupDeps): Promise<SetupResult> {
  let input = given;
  let result: VerifiedLogin | undefined;
  let report: PreflightResult | undefined;
  const cleartext = cleartextServerWarning(input.server);
  if (cleartext) deps.out.warn(cleartext);
  let proof: RefreshProof | undefined;
  let format: TokenFormatReport | undefined;
  if (!(input.mode === 'exec' && input.skipLogin)) {
    // Only worth it before a login: without one, the write below reads (and refuses) the file anyway.
    await checkTarget(input, deps);
    // A write that would be refused for re-pointing other contexts fails here, before the login.
    await (await import('./repoint-check.js')).refuseRepointBeforeLogin(input, deps);
    const http = deps.makeHttp(input.casdoorCaPem);
    try {
      const session = await connect(http, input, deps.out);
      proof = await prove(session, await login(session, input, deps), input, deps);
      result = proof.login;
      format = formatOf(result, input);
      input = { ...input, usernameClaim: format.usernameClaim };
      report = analyze(session, result, input, deps, { format, proof });
      refuseFatal(report);
    } finally {
      await http.close();
    }
  }
  const { names, entries } = buildSetupEntries(input, result);
  // Exec mode: the tokens go into the plugin's cache before the kubeconfig is touched, so that a cache that
  // cannot take them (an OS keyring that does not answer, a single executable without the keyring binding)
  // fails the run with the kubeconfig as it was. A write that fails after leaves only a cache entry behind.
  const storeTokens = input.mode === 'exec' && result !== undefined && !input.dryRun;
  if (storeTokens && result) {
    if (!deps.storeTokens) throw new CliError('internal', 'exec mode needs a token store');
    await deps.storeTokens(input, result);
  }
  const written = await writeEntries(input, entries, deps);
  if (storeTokens) deps.out.step('Stored the tokens in the plugin cache: the first kubectl command needs no login.');
  printNextSteps(deps.out, input, names, written);
  if (written.length && input.output === undefined) await adviseOnClientSecrets(input, deps);
  return { ...(result ? { login: result } : {}), ...(report ? { report } : {}), ...(proof ? { proof } : {}), ...(format ? { format } : {}), names, written };
}

/** Other entries of the kubeconfig that still hold a client secret (hand-written, or by an earlier version): say how to remove it. */
async function adviseOnClientSecrets(input: Pick<SetupInput, 'kubeconfig'>, deps: Pick<SetupDeps, 'out' | 'env' | 'homeDir'>): Promise<void> {
  const view = await loadMergedView({ kubeconfigFlag: input.kubeconfig, env: deps.env, homeDir: deps.homeDir }).catch(() => undefined);
  for (const e of view ? entriesWithClientSecret(view) : []) deps.out.warn(clientSecretAdvice(e.location, e.file, e.context));
}

/**
 * A token the API server will reject (preflight's fatal findings) is not written: the context would
 * fail on every kubectl command. Exit 4 with what is wrong, as generate does for the same finding.
 */
export function refuseFatal(report: PreflightResult): void {
  const fatal = report.warnings.filter((w) => w.fatal);
  if (!fatal.length) return;
  throw new CliError('verify', `The API server would reject this token: ${fatal.map((w) => w.message).join(' ')}`, {
    hint: 'Nothing was written. Fix the claim settings (--username-claim, --groups-claim) or the user in Casdoor, then run setup again.',
  });
}

/** ` --kubeconfig FILE` when the entries went to a file kubectl would not read by default. */
export function kubeconfigArg(input: Pick<SetupInput, 'output' | 'kubeconfig'>): string {
  const file = input.output ?? input.kubeconfig;
  return file ? ` --kubeconfig ${file}` : '';
}

export function printNextSteps(out: Output, input: Pick<SetupInput, 'setCurrentContext' | 'output' | 'kubeconfig' | 'dryRun'>, names: EntryNames, written: WrittenFile[]): void {
  if (input.dryRun || input.output === '-') return;
  const replaced = written.flatMap((w) => w.changes.filter((c) => c.action === 'replaced' && c.kind !== 'current-context'));
  if (replaced.length) out.info(`Replaced existing entries: ${replaced.map((c) => `${c.kind} ${c.name}`).join(', ')}.`);
  const kc = kubeconfigArg(input);
  const switched = input.setCurrentContext && !input.output;
  out.info(out.c.bold('Next:'));
  if (!switched) out.info(`  kubectl${kc} config use-context ${names.context}`);
  out.info(`  kubectl${kc} auth whoami${switched ? '' : ` --context ${names.context}`}`);
}

/** Step 5: merge (or write standalone) and report what changed; exported for the wizard. */
export async function writeEntries(input: SetupInput, entries: SetupEntries, deps: SetupDeps): Promise<WrittenFile[]> {
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
    out.step(
      input.mode === 'exec'
        ? `Wrote a standalone kubeconfig to ${input.output} (mode 0600). It holds no secrets (tokens live in the plugin cache; on another machine the user logs in on first use).`
        : `Wrote a standalone kubeconfig to ${input.output} (mode 0600). It contains the user's tokens: hand it over privately.`,
    );
    return [{ file: input.output, created: true, changes: [] }];
  }
  const result = await applyKubeconfigChange({
    ...(input.kubeconfig !== undefined ? { kubeconfigFlag: input.kubeconfig } : {}),
    env: deps.env,
    homeDir: deps.homeDir,
    entries,
    dryRun: input.dryRun,
    ...(input.force ? { force: true } : {}),
  });
  const written: WrittenFile[] = [];
  for (const f of result.files) {
    if (input.dryRun) {
      out.info(`Dry run: changes to ${f.file} (secrets redacted; nothing written):`);
      out.data(f.diff);
      continue;
    }
    printWritten(out, f);
    if (f.looseMode !== undefined) out.warn(looseModeWarning(f.file, f.looseMode));
    written.push({ file: f.file, ...(f.backup ? { backup: f.backup } : {}), created: f.created, changes: f.changes });
  }
  if (!written.length && !input.dryRun) throw new CliError('internal', 'No kubeconfig file was written.');
  return written;
}

/** What a write did to one file: "Updated <file> (previous version saved as …):" and the changed entries. */
export function printWritten(out: Output, f: { file: string; changes: ReadonlyArray<{ kind: string; name: string; action: string }>; backup?: string | undefined }): void {
  const changed = f.changes.filter((ch) => ch.action !== 'unchanged');
  if (changed.length === 0) {
    out.step(`${f.file} already holds these entries; nothing to change.`);
    return;
  }
  out.step(`Updated ${f.file}${f.backup ? ` (previous version saved as ${f.backup})` : ''}:`);
  for (const ch of changed) out.info(`  ${ch.action.padEnd(8)} ${ch.kind} ${ch.name}`);
}

/** `setup --json`: what was done and what the API server will see, for scripts (pure; never a secret). */
export interface SetupSummary {
  context: string;
  cluster: string;
  user: string;
  server: string;
  namespace: string | null;
  mode: SetupMode;
  currentContextSet: boolean;
  dryRun: boolean;
  /** --output FILE, when a standalone file was asked for. */
  output: string | null;
  files: Array<{ file: string; created: boolean; backup: string | null; changes: Array<{ kind: string; name: string; action: string }> }>;
  loggedIn: boolean;
  /** As the API server will see them (null when no login happened, or when it will reject the token). */
  username: string | null;
  groups: string[];
  expiresAt: string | null;
  /** The claim the API server must use as --oidc-username-claim (the one given, else the token format's). */
  usernameClaim: string;
  /** Casdoor's token format as recognized from the id_token (null without a login). */
  tokenFormat: string | null;
  /** The refresh proof made before writing (null without a login). */
  refresh: {
    /** proven: a refresh grant worked; grant-disabled: Casdoor refused the Refresh Token grant; no-refresh-token; client-credentials (renewed by a new grant). */
    status: string;
    /** When the refresh token expires (ISO), i.e. until when the session can be renewed without a login. */
    expiresAt: string | null;
    /** Casdoor checked the client secret given (it is never stored). */
    clientSecretChecked: boolean;
  } | null;
  warnings: Array<{ code: string; message: string; fatal: boolean }>;
}

export function setupSummary(input: SetupInput, result: SetupResult): SetupSummary {
  const report = result.report;
  return {
    context: result.names.context,
    cluster: result.names.cluster,
    user: result.names.user,
    server: input.server,
    namespace: input.namespace ?? null,
    mode: input.mode,
    currentContextSet: input.setCurrentContext,
    dryRun: input.dryRun,
    output: input.output ?? null,
    files: result.written.map((w) => ({ file: w.file, created: w.created, backup: w.backup ?? null, changes: w.changes.map(({ kind, name, action }) => ({ kind, name, action })) })),
    loggedIn: Boolean(result.login),
    username: report?.username ?? null,
    groups: report?.groups ?? [],
    expiresAt: report?.expiresAt ? report.expiresAt.toISOString() : null,
    usernameClaim: result.format?.usernameClaim ?? input.usernameClaim,
    tokenFormat: result.format?.format ?? null,
    refresh: result.proof
      ? {
          status: result.proof.refresh,
          expiresAt: result.proof.refreshExpiresAt !== undefined ? new Date(result.proof.refreshExpiresAt * 1000).toISOString() : null,
          clientSecretChecked: result.proof.secretChecked,
        }
      : null,
    warnings: [
      ...(report?.warnings ?? []).map(({ code, message, fatal }) => ({ code, message, fatal })),
      ...(result.format?.notes ?? []).map(({ code, message }) => ({ code, message, fatal: false })),
      ...(result.proof?.warnings ?? []).map(({ code, message }) => ({ code, message, fatal: false })),
    ],
  };
}
