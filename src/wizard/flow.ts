/**
 * The setup wizard: asks only what no flag answered, checks every answer against the real peers
 * before the next question (discovery, login and token verification, the API server's TLS), shows
 * the change with secrets redacted, and writes only after a yes. The engine is usecases/setup; this
 * file only decides what to ask, in which order, and what to do when an answer does not work.
 */
import path from 'node:path';
import { readPemFile } from '../cli/inputs.js';
import { CliError, usageError, type ErrorReason } from '../errors.js';
import { readKubeconfigFile } from '../kubeconfig/io.js';
import { findUser, mergeEntries, type KubeconfigEntries } from '../kubeconfig/merge.js';
import { newKubeconfig, type NamedUser } from '../kubeconfig/model.js';
import { renderKubeconfigDiff } from '../kubeconfig/diff.js';
import { applyKubeconfigChange } from '../kubeconfig/store.js';
import { resolveKubeconfigChain } from '../kubeconfig/target.js';
import { updateUserEntry } from '../kubeconfig/update.js';
import { loadMergedView } from '../kubeconfig/view.js';
import { createHttpClient, type HttpClient } from '../oidc/http.js';
import { describeIssuerMismatch, discoveryUrl } from '../oidc/issuer.js';
import { isUntrustedCertificate } from '../oidc/net-errors.js';
import { candidateClaims, preflight, type PreflightResult } from '../oidc/preflight.js';
import { registerSecret } from '../redact.js';
import { KUBE_SIGNING_ALGS, parseKubernetesVersion, renderFlags, shellQuote, type ApiserverSettings } from '../usecases/apiserver-config.js';
import type { ContextCheck, ContextCheckInput } from '../usecases/context-check.js';
import { defaultNames, withAuthProviderTokens, type AuthProviderTokens, type EntryNames, type SetupEntries } from '../usecases/entries.js';
import { openSession, passwordLogin, type Session, type VerifiedLogin } from '../usecases/login.js';
import { usernameOf } from '../usecases/token.js';
import {
  buildSetupEntries,
  clientOf,
  describeExpiry,
  printNextSteps,
  printPreflight,
  printWritten,
  writeEntries,
  type SetupDeps,
  type SetupInput,
  type SetupMode,
  type SetupResult,
  type WrittenFile,
} from '../usecases/setup.js';
import { hostOf } from '../validate.js';
import { findRenewable, type RenewCandidate } from './existing.js';
import { httpsVersion, Q, validateCasdoorUrl } from './questions.js';
import type { Spin } from './spinner.js';
import type { Choice, Prompts } from './types.js';

/** Everything the wizard can ask for. In `given` (flags) a value skips its question; in `suggested` it is the default. */
export interface Answers {
  casdoorUrl?: string;
  casdoorCaPem?: string;
  casdoorCaFile?: string;
  organization?: string;
  application?: string;
  clientId?: string;
  clientSecret?: string;
  grant?: 'password' | 'browser' | 'device';
  username?: string;
  password?: string;
  usernameClaim?: string;
  groupsClaim?: string;
  server?: string;
  certificateAuthorityData?: string;
  /** Only a suggestion: the path offered for the API server's CA. */
  certificateAuthorityFile?: string;
  insecureSkipTlsVerify?: boolean;
  cluster?: string;
  user?: string;
  context?: string;
  namespace?: string;
  kubeconfig?: string;
  output?: string;
  mode?: SetupMode;
}

/** Settings that have no question: flags, or their defaults. */
export interface WizardSettings {
  setCurrentContext: boolean;
  dryRun: boolean;
  usernameClaim: string;
  groupsClaim: string;
  usernamePrefix?: string;
  groupsPrefix?: string;
  execCommand?: string;
  browserCommand?: string;
  noBrowser?: boolean;
}

export interface WizardOptions {
  given: Answers;
  suggested?: Answers;
  settings: WizardSettings;
  /** Offer to renew contexts found in the target kubeconfig (default true). */
  offerRenew?: boolean;
  /** Why browser and device logins are disabled when deps.grantLogin is absent (default "coming soon"). */
  grantsUnavailable?: string;
  /** After writing, ask the API server who it sees with the new context (default true; the demo checks on its own). */
  checkWithCluster?: boolean;
  /** At the end of a new setup, offer to show the API server configuration (default true). */
  offerApiserverConfig?: boolean;
}

export interface WizardDeps extends SetupDeps {
  prompts: Prompts;
  spin: Spin;
  /**
   * The check of the new context with the API server (default: usecases/context-check with the real
   * SelfSubjectReview, loaded on use). `token`: exec mode's freshly cached id_token, which is exactly
   * what the plugin would print (the plugin command itself may not be on PATH yet).
   */
  checkContext?: (input: ContextCheckInput, token: string | undefined) => Promise<ContextCheck>;
}

export interface WizardResult {
  outcome: 'written' | 'dry-run' | 'declined';
  input: SetupInput;
  names: EntryNames;
  /** Set when written, and for a dry run (with no files). */
  result?: SetupResult;
  renewed?: boolean;
  /** What the API server said of the new context ('skipped' when it was not asked). */
  check?: ContextCheck['outcome'] | 'skipped';
}

/** One run of the wizard: the answers so far and the HTTP client for Casdoor (rebuilt when its CA changes). */
class Run {
  readonly a: Answers;
  /** false when the API server did not answer the probe and the user went on anyway. */
  apiReachable: boolean | undefined;
  private http: HttpClient | undefined;

  constructor(
    readonly opts: WizardOptions,
    readonly deps: WizardDeps,
  ) {
    this.a = { ...opts.given };
  }

  get out(): SetupDeps['out'] {
    return this.deps.out;
  }
  get ask(): Prompts {
    return this.deps.prompts;
  }
  get given(): Answers {
    return this.opts.given;
  }
  get suggested(): Answers {
    return this.opts.suggested ?? {};
  }

  casdoorHttp(): HttpClient {
    this.http ??= this.deps.makeHttp(this.a.casdoorCaPem);
    return this.http;
  }

  async resetHttp(): Promise<void> {
    const old = this.http;
    this.http = undefined;
    await old?.close();
  }

  async close(): Promise<void> {
    await this.resetHttp();
  }
}

export async function runWizard(opts: WizardOptions, deps: WizardDeps): Promise<WizardResult> {
  const run = new Run(opts, deps);
  const { out } = deps;
  const c = out.c;
  out.info(c.bold('casdoor-kubeconfig setup'));
  out.info(c.dim('Each answer is checked before the next question, and nothing is written before you confirm.'));
  out.info(c.dim('Enter takes the value in (parentheses) or skips an optional question; Ctrl-C quits.'));
  try {
    const candidate = opts.offerRenew === false ? undefined : await offerRenewal(run);
    if (candidate) return await renew(run, candidate);
    return await fullSetup(run);
  } finally {
    await run.close();
  }
}

// ---- re-run: renew an existing context --------------------------------------------------------------

async function offerRenewal(run: Run): Promise<RenewCandidate | undefined> {
  const { given, deps } = run;
  // Flags that describe a (new) setup mean the user knows what they want.
  if (given.output !== undefined || given.casdoorUrl !== undefined || given.server !== undefined || given.clientId !== undefined) return undefined;
  let candidates: RenewCandidate[];
  try {
    const view = await loadMergedView({ kubeconfigFlag: given.kubeconfig, env: deps.env, homeDir: deps.homeDir });
    candidates = findRenewable(view);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    run.out.warn(`Cannot read the kubeconfig: ${err.message}`);
    return undefined;
  }
  if (given.context !== undefined) candidates = candidates.filter((x) => x.context === given.context);
  if (candidates.length === 0) return undefined;
  const now = deps.now();
  const choices: Array<Choice<RenewCandidate | undefined>> = candidates.map((x) => ({
    value: x,
    name: `Renew the token for ${x.context}`,
    description: [
      `${x.username ?? 'user'} at ${x.issuer}`,
      x.expiresAt ? (x.expiresAt.getTime() > now.getTime() ? `token expires ${describeExpiry(x.expiresAt, now)}` : `token expired ${describeExpiry(x.expiresAt, now)}`) : x.mode === 'exec' ? 'exec plugin' : '',
      `in ${x.file}`,
    ]
      .filter(Boolean)
      .join(' · '),
  }));
  choices.push({ value: undefined, name: 'Set up a new context', description: 'Another cluster, Casdoor or user.' });
  return run.ask.select(Q.action(choices));
}

async function renew(run: Run, x: RenewCandidate): Promise<WizardResult> {
  const { deps, out, a, given } = run;
  Object.assign(a, {
    casdoorUrl: x.issuer,
    clientId: x.clientId,
    ...(x.clientSecret ? { clientSecret: x.clientSecret } : {}),
    ...(x.casdoorCaPem ? { casdoorCaPem: x.casdoorCaPem } : {}),
    ...(x.casdoorCaFile ? { casdoorCaFile: x.casdoorCaFile } : {}),
    // An exec entry's --username is part of its cache key: its tokens must be that user's.
    ...(x.username ? { username: x.mode === 'exec' ? x.username : given.username ?? x.username } : {}),
    ...(x.grant === 'browser' || x.grant === 'device' ? { grant: x.grant } : {}),
    server: x.server ?? '',
  });
  if (x.clientSecret) registerSecret(x.clientSecret);
  if (!a.casdoorCaPem && x.casdoorCaFile) a.casdoorCaPem = await readPemFile('the Casdoor CA', x.casdoorCaFile);
  out.info(`Renewing the token for ${out.c.cyan(x.context)} (Casdoor ${x.issuer}, client ${x.clientId}).`);
  let session: Session;
  try {
    session = await deps.spin(`Contacting ${x.issuer}…`, () => openSession(run.casdoorHttp(), x.issuer));
  } catch (err) {
    if (err instanceof CliError) {
      throw new CliError(err.code, err.message, { hint: err.hint ?? 'Run the wizard again and choose "Set up a new context" to change the Casdoor settings.', cause: err });
    }
    throw err;
  }
  out.step(`Casdoor at ${session.meta.issuer} answered.`);
  const login = await loginStep(run, session, { askMethod: false });
  const report = preflight(login.verified.claims, claimSettings(run, session.meta.issuer));
  printPreflight(out, report, claimSettingsForPrint(run), deps.now());

  const input: SetupInput = {
    ...inputOf(run, { cluster: x.cluster, user: x.user, context: x.context }),
    // The plugin's cache key is the --username of the exec args ('' without one), whatever name the
    // login (a browser or device login, or a typed username) ended up with: the tokens must be stored
    // where `token` will look for them (keyOf in usecases/token.ts, cacheKeyFromArgs in token/fast.ts).
    ...(x.mode === 'exec' ? { username: x.username ?? '' } : {}),
    mode: x.mode,
    ...(x.execCommand ? { execCommand: x.execCommand } : {}),
    ...(x.namespace ? { namespace: x.namespace } : {}),
    insecureSkipTlsVerify: x.insecureSkipTlsVerify,
    // A renewal changes tokens only: which context is current stays as it was.
    setCurrentContext: false,
    ...(given.kubeconfig !== undefined ? { kubeconfig: given.kubeconfig } : {}),
  };
  const tokens: AuthProviderTokens = { idToken: login.tokens.idToken, refreshToken: login.tokens.refreshToken };
  // The same token change as refresh and logout make (withAuthProviderTokens): everything else kept.
  // Previewed on the entry as its file holds it now, after the login, rather than as read before it.
  const user: NamedUser = x.mode === 'auth-provider' ? withAuthProviderTokens((await currentUserEntry(x)) ?? x.entries.user, tokens) : x.entries.user;
  // Cluster and context exactly as they are (unknown keys included): the merge sees them unchanged.
  const entries: SetupEntries = { cluster: x.entries.cluster as SetupEntries['cluster'], user: user as SetupEntries['user'], context: x.entries.context as SetupEntries['context'] };
  const names = { cluster: x.cluster, user: x.user, context: x.context };
  const result = await previewAndWrite(run, input, names, entries, login, report, {
    fixedTarget: true,
    alreadyCurrent: x.isCurrent,
    // Written as the file holds the entry once confirmed (the question may stay open for minutes), not as
    // previewed: a refresh by kubectl or an edit meanwhile is kept, only the two tokens change.
    ...(x.mode === 'auth-provider' ? { write: () => writeRenewedTokens(run, x, tokens) } : {}),
  });
  return { ...result, renewed: true };
}

/** The renewed user's entry as its file holds it now; undefined when it is gone (the write then says so). */
async function currentUserEntry(x: RenewCandidate): Promise<NamedUser | undefined> {
  return findUser((await readKubeconfigFile(x.userFile)).doc, x.user);
}

/** Puts the new tokens into the user entry under the kubeconfig lock (updateUserEntry), as refresh does. */
async function writeRenewedTokens(run: Run, x: RenewCandidate, tokens: AuthProviderTokens): Promise<WrittenFile[]> {
  const r = await updateUserEntry(x.userFile, x.user, async (current) => current && withAuthProviderTokens(current, tokens), { now: run.deps.now });
  if (!r.found) {
    throw new CliError('kubeconfig', `user "${x.user}" is no longer defined in ${r.file} (it was removed while renewing): nothing was written.`, {
      hint: 'Run the wizard again and choose "Set up a new context".',
    });
  }
  printWritten(run.out, r);
  return [{ file: r.file, ...(r.backup ? { backup: r.backup } : {}), created: false, changes: r.changes }];
}

// ---- a new setup ------------------------------------------------------------------------------------

function heading(run: Run, title: string): void {
  run.out.info('');
  run.out.info(run.out.c.bold.underline(title));
}

async function fullSetup(run: Run): Promise<WizardResult> {
  heading(run, '1/4 Casdoor');
  const session = await casdoorStep(run);
  await applicationStep(run);
  heading(run, '2/4 Login');
  const login = await loginStep(run, session, { askMethod: true });
  const report = await claimsStep(run, session, login);
  heading(run, '3/4 Cluster');
  await clusterStep(run);
  const names = await namesStep(run);
  heading(run, '4/4 Kubeconfig');
  await targetStep(run, names);
  await modeStep(run);
  const input: SetupInput = inputOf(run, names);
  const { entries } = buildSetupEntries(input, login);
  const result = await previewAndWrite(run, input, names, entries, login, report, { fixedTarget: run.given.kubeconfig !== undefined || run.given.output !== undefined });
  if (result.outcome !== 'declined') await offerApiserverConfig(run, result.input, login);
  return result;
}

/** Casdoor URL → discovery at once; explains and offers fixes for http, a different issuer, an unknown CA. */
async function casdoorStep(run: Run): Promise<Session> {
  const { ask, out, deps, a } = run;
  let url = a.casdoorUrl?.trim();
  let previous = run.suggested.casdoorUrl;
  let retry = false;
  const reask = (bad: string): void => {
    previous = bad;
    retry = true;
    url = undefined;
  };
  for (;;) {
    if (url === undefined) url = (await ask.input(Q.casdoorUrl(previous, retry))).trim();
    const syntax = validateCasdoorUrl(url);
    if (syntax !== true) {
      out.error(syntax);
      reask(url);
      continue;
    }
    if (/^http:/i.test(url)) {
      out.warn(`${url} uses http: Kubernetes accepts only https issuers, and your password would cross the network unencrypted.`);
      const fixed = httpsVersion(url);
      if (await ask.confirm(Q.useHttps(fixed))) url = fixed;
      else {
        reask(url);
        continue;
      }
    }
    const current = url;
    try {
      const session = await deps.spin(`Looking up ${discoveryUrl(current)}…`, () => openSession(run.casdoorHttp(), current));
      out.step(`Casdoor answered at ${current}; its issuer is ${out.c.cyan(session.meta.issuer)} (matches).`);
      a.casdoorUrl = current;
      return session;
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      // Only an unknown CA: a certificate for another host name or out of its validity needs no CA file
      // (its message and hint below say what does help).
      if (err.reason === 'untrusted-ca') {
        out.warn(`Casdoor's certificate (${hostOf(current)}) is not signed by a CA this machine trusts.`);
        out.info('  If your Casdoor uses a private CA, give its certificate file (your admin has it).');
        if (await askCasdoorCa(run)) continue;
        reask(current);
        continue;
      }
      if (err.reason === 'issuer-mismatch') {
        const issuer = await discoveredIssuer(run.casdoorHttp(), current);
        out.warn(issuer ? (describeIssuerMismatch(current, issuer) ?? err.message) : err.message);
        out.info(`  The API server compares the token's issuer with its --oidc-issuer-url as exact strings, so the URL must match it.`);
        if (issuer?.startsWith('https://')) {
          if (await ask.confirm(Q.useIssuer(issuer))) {
            url = issuer;
            continue;
          }
        } else if (err.hint) {
          out.info(`  ${err.hint}`);
        }
        reask(current);
        continue;
      }
      out.error(err.message, err.hint);
      reask(current);
    }
  }
}

/** Asks for Casdoor's CA file until one reads as PEM; false when the user left it empty (change the URL). */
async function askCasdoorCa(run: Run): Promise<boolean> {
  const { ask, out, a } = run;
  for (;;) {
    const file = (await ask.input(Q.casdoorCa(a.casdoorCaFile ?? run.suggested.casdoorCaFile))).trim();
    if (file === '') return false;
    try {
      a.casdoorCaPem = await readPemFile('CA file', file);
      a.casdoorCaFile = path.resolve(file);
      await run.resetHttp();
      return true;
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      out.error(err.message);
    }
  }
}

async function discoveredIssuer(http: HttpClient, url: string): Promise<string | undefined> {
  try {
    const res = await http.get(discoveryUrl(url), 'OIDC discovery document');
    const issuer = (JSON.parse(res.text) as { issuer?: unknown }).issuer;
    return typeof issuer === 'string' ? issuer : undefined;
  } catch {
    return undefined;
  }
}

async function applicationStep(run: Run): Promise<void> {
  const { ask, a, given, suggested } = run;
  if (given.organization === undefined) a.organization = (await ask.input(Q.organization(suggested.organization))).trim() || undefined;
  if (given.application === undefined) a.application = (await ask.input(Q.application(suggested.application))).trim() || undefined;
  if (given.clientId === undefined) a.clientId = (await ask.input(Q.clientId(suggested.clientId, a.application, false))).trim();
  if (given.clientSecret === undefined) {
    const secret = await ask.password(Q.clientSecret());
    registerSecret(secret);
    a.clientSecret = secret || undefined;
  }
}

function loginChoices(run: Run): Array<Choice<NonNullable<Answers['grant']>>> {
  const unavailable = run.deps.grantLogin ? {} : { disabled: run.opts.grantsUnavailable ?? 'coming soon' };
  return [
    { value: 'password', name: 'Username and password', description: 'Typed here and sent to Casdoor only; the password is never stored.' },
    { value: 'browser', name: "Browser (Casdoor's sign-in page)", description: 'Also for accounts that sign in through another provider (GitHub, LDAP …).', ...unavailable },
    { value: 'device', name: 'Device code (sign in on another device)', description: 'For machines without a browser: open a URL elsewhere and type a code.', ...unavailable },
  ];
}

/** The login method, then the login itself; a refused login is explained and re-asked, not a crash. */
async function loginStep(run: Run, session: Session, o: { askMethod: boolean }): Promise<VerifiedLogin> {
  const { ask, out, deps, a, given } = run;
  const canChoose = o.askMethod && given.grant === undefined;
  for (;;) {
    if (canChoose) a.grant = await ask.select(Q.grant(loginChoices(run), a.grant ?? 'password'));
    const grant = a.grant ?? 'password';
    if (grant === 'password' || !deps.grantLogin) return passwordLoop(run, session);
    try {
      // No spinner: the browser and device flows print their own instructions.
      const login = await deps.grantLogin(session, { ...inputOf(run, { cluster: '', user: '', context: '' }), username: a.username ?? '', server: a.server ?? '' });
      const username = usernameOf(login.verified.claims) ?? String(login.verified.claims.sub ?? '');
      a.username = username;
      out.step(`Logged in as ${username}; the id_token verified (${login.verified.header.alg}).`);
      return login;
    } catch (err) {
      if (!(err instanceof CliError) || err.code !== 'login' || !canChoose) throw err;
      out.error(err.message, err.hint);
    }
  }
}

/** Username and password, re-asked when Casdoor refuses them. */
async function passwordLoop(run: Run, session: Session): Promise<VerifiedLogin> {
  const { ask, out, deps, a, suggested } = run;
  let username = a.username;
  let password = a.password;
  let retryUser = false;
  for (;;) {
    if (username === undefined) username = (await ask.input(Q.username(a.username ?? suggested.username, retryUser))).trim();
    a.username = username;
    if (password === undefined) password = await ask.password(Q.password(username));
    registerSecret(password);
    const user = username;
    const pass = password;
    try {
      const login = await deps.spin(`Logging in to Casdoor as ${user}…`, () =>
        passwordLogin(session, clientOf({ clientId: a.clientId ?? '', ...(a.clientSecret ? { clientSecret: a.clientSecret } : {}), ...(a.application ? { application: a.application } : {}) }), user, pass, deps.now()),
      );
      const { header } = login.verified;
      out.step(`Logged in as ${user}; the id_token verified (${header.alg}${header.kid ? `, key ${header.kid}` : ''}).`);
      if (!login.tokens.refreshToken) {
        out.warn('Casdoor returned no refresh token: the token cannot be renewed without logging in again; enable the "Refresh Token" grant in the application.');
      }
      return login;
    } catch (err) {
      if (!(err instanceof CliError) || err.code !== 'login') throw err;
      // Set on Casdoor's refusals (reasonFor in src/oidc/casdoor-errors.ts); never read from the message text.
      const reason = err.reason;
      // Advice about flags does not help in the wizard: the question comes right back.
      out.error(err.message, err.hint && !err.hint.includes('--password-stdin') ? err.hint : undefined);
      // Nothing typed here can fix these: the account or the application must change first.
      if (reason !== undefined && FATAL_LOGIN_REASONS.has(reason)) throw err;
      if (reason === 'invalid-client') {
        a.clientId = (await ask.input(Q.clientId(a.clientId, a.application, true))).trim();
        continue;
      }
      if (reason === 'wrong-client-secret') {
        const secret = await ask.password(Q.clientSecret());
        registerSecret(secret);
        a.clientSecret = secret || undefined;
        continue;
      }
      if (reason === 'unknown-user') {
        username = undefined;
        retryUser = true;
      }
      password = undefined;
    }
  }
}

const FATAL_LOGIN_REASONS: ReadonlySet<ErrorReason> = new Set(['account-locked', 'account-forbidden', 'external-account', 'grant-disabled']);

const CLAIM_NOTES: Record<string, string> = {
  name: "Casdoor's username (recommended)",
  preferred_username: "the username (Casdoor's JWT-Standard token format)",
  email: 'the email: the API server rejects the token unless email_verified is true',
  sub: 'an opaque user ID: RBAC bindings would have to name it',
  id: 'an opaque user ID: RBAC bindings would have to name it',
  displayName: 'a display name: may contain spaces and change',
  owner: 'the organization: the same for every user, never a username',
  groups: 'Casdoor groups, as "<organization>/<group>"',
};
const PREFERRED_ORDER = ['name', 'preferred_username', 'email', 'sub'];

function claimPreview(v: unknown): string {
  const text = Array.isArray(v) ? (v.length ? v.join(', ') : '(empty list)') : String(v);
  return text.length > 48 ? `${text.slice(0, 47)}…` : text;
}

function claimChoices(keys: string[], claims: Record<string, unknown>): Array<Choice<string>> {
  const sorted = [...keys].sort((x, y) => {
    const ix = PREFERRED_ORDER.indexOf(x);
    const iy = PREFERRED_ORDER.indexOf(y);
    return (ix < 0 ? 99 : ix) - (iy < 0 ? 99 : iy);
  });
  const width = Math.max(...sorted.map((k) => k.length));
  return sorted.map((k) => ({
    value: k,
    name: `${k.padEnd(width)}  ${claimPreview(claims[k])}`,
    short: `${k} (${claimPreview(claims[k])})`,
    ...(CLAIM_NOTES[k] ? { description: CLAIM_NOTES[k] } : {}),
  }));
}

function claimSettings(run: Run, issuer: string) {
  const s = run.opts.settings;
  return {
    issuer,
    usernameClaim: run.a.usernameClaim ?? s.usernameClaim,
    groupsClaim: run.a.groupsClaim ?? s.groupsClaim,
    ...(s.usernamePrefix !== undefined ? { usernamePrefix: s.usernamePrefix } : {}),
    ...(s.groupsPrefix !== undefined ? { groupsPrefix: s.groupsPrefix } : {}),
  };
}

function claimSettingsForPrint(run: Run): { usernameClaim: string; groupsClaim: string; usernamePrefix?: string } {
  const s = run.opts.settings;
  return {
    usernameClaim: run.a.usernameClaim ?? s.usernameClaim,
    groupsClaim: run.a.groupsClaim ?? s.groupsClaim,
    ...(s.usernamePrefix !== undefined ? { usernamePrefix: s.usernamePrefix } : {}),
  };
}

/** Lets the user pick the username and groups claims among those the token really carries. */
async function claimsStep(run: Run, session: Session, login: VerifiedLogin): Promise<PreflightResult> {
  const { ask, out, deps, a, given, opts } = run;
  const claims = login.verified.claims;
  const candidates = candidateClaims(claims);
  for (;;) {
    if (given.usernameClaim === undefined && candidates.username.length > 0) {
      const def = a.usernameClaim ?? opts.settings.usernameClaim;
      a.usernameClaim = await ask.select(Q.usernameClaim(claimChoices(candidates.username, claims), candidates.username.includes(def) ? def : undefined));
    }
    if (given.groupsClaim === undefined && candidates.groups.length > 1) {
      const def = a.groupsClaim ?? opts.settings.groupsClaim;
      a.groupsClaim = await ask.select(Q.groupsClaim(claimChoices(candidates.groups, claims), candidates.groups.includes(def) ? def : undefined));
    } else if (given.groupsClaim === undefined && candidates.groups.length === 1) {
      a.groupsClaim = candidates.groups[0];
    }
    const report = preflight(claims, claimSettings(run, session.meta.issuer));
    printPreflight(out, report, claimSettingsForPrint(run), deps.now());
    const canChange = given.usernameClaim === undefined || given.groupsClaim === undefined;
    if (report.warnings.some((w) => w.fatal) && canChange && (await ask.confirm(Q.otherClaims()))) continue;
    return report;
  }
}

type TlsChoice = 'file' | 'system' | 'insecure';

/** API server URL and how to trust it, checked with an anonymous GET /version. */
async function clusterStep(run: Run): Promise<void> {
  const { ask, out, a, given, suggested } = run;
  const c = out.c;
  let serverDefault = suggested.server;
  for (;;) {
    if (given.server === undefined) a.server = (await ask.input(Q.server(a.server ?? serverDefault))).trim();
    const server = a.server as string;
    const tlsGiven = given.certificateAuthorityData !== undefined || given.insecureSkipTlsVerify === true;
    let caPem: string | undefined = given.certificateAuthorityData ? Buffer.from(given.certificateAuthorityData, 'base64').toString('utf8') : undefined;
    if (!tlsGiven) {
      const choices: Array<Choice<TlsChoice>> = [
        { value: 'file', name: 'With a CA certificate file (PEM) from the cluster admin', short: 'CA file', description: 'Usual for private clusters; the certificate is embedded in the kubeconfig.' },
        { value: 'system', name: "With this machine's trusted CAs", short: 'system CAs', description: 'When the API server has a certificate from a public CA.' },
        { value: 'insecure', name: c.red('Skip verification (insecure)'), short: c.red('insecure'), description: 'Anyone on the network path could impersonate the cluster and capture your token.' },
      ];
      const choice = await ask.select(Q.tls(choices, 'file'));
      a.insecureSkipTlsVerify = choice === 'insecure';
      a.certificateAuthorityData = undefined;
      if (choice === 'file') {
        caPem = await askApiCa(run);
        a.certificateAuthorityData = Buffer.from(caPem).toString('base64');
      } else if (choice === 'insecure') {
        out.warn(c.red('With TLS verification off, kubectl sends your token to whoever answers at that address.'));
        if (!(await ask.confirm(Q.insecureSkipTlsVerify()))) continue;
      } else {
        caPem = undefined;
      }
    }
    if (a.insecureSkipTlsVerify) return;
    const probe = await probeApiServer(run, server, caPem);
    run.apiReachable = probe === 'ok';
    if (probe === 'ok') return;
    if (probe === 'untrusted') {
      out.error(
        caPem ? `The API server's certificate at ${hostOf(server)} is not signed by that CA.` : `The API server's certificate at ${hostOf(server)} is not signed by a CA this machine trusts.`,
        'Use the CA certificate of this cluster (in the admin\'s kubeconfig: certificate-authority-data, base64).',
      );
      if (tlsGiven) throw usageError('--certificate-authority does not match the API server.');
      continue;
    }
    if (await ask.confirm(Q.unreachable())) return;
    if (given.server !== undefined) throw usageError(`--server ${server} is not reachable.`);
    serverDefault = server;
    a.server = undefined;
  }
}

async function askApiCa(run: Run): Promise<string> {
  const { ask, out } = run;
  let previous = run.suggested.certificateAuthorityFile;
  let retry = false;
  for (;;) {
    const file = (await ask.input(Q.certificateAuthority(previous, retry))).trim();
    try {
      return await readPemFile('CA file', file);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      out.error(err.message);
      previous = file;
      retry = true;
    }
  }
}

/** 'ok' when TLS works (any HTTP answer will do), 'untrusted' on a certificate error, else 'unreachable' (reported). */
async function probeApiServer(run: Run, server: string, caPem: string | undefined): Promise<'ok' | 'untrusted' | 'unreachable'> {
  const { deps, out } = run;
  const http = createHttpClient({ env: deps.env, ...(caPem ? { caPem } : {}), timeoutMs: 8000, trace: (l) => out.verbose(l) });
  try {
    const res = await deps.spin(`Checking ${server}…`, () => http.get(`${server.replace(/\/$/, '')}/version`, 'API server version'));
    let version = '';
    try {
      const v = (JSON.parse(res.text) as { gitVersion?: unknown }).gitVersion;
      if (typeof v === 'string') version = ` (Kubernetes ${v})`;
    } catch {
      // not JSON: still a TLS handshake that worked
    }
    out.step(`The API server at ${server} answered${version}; its certificate is trusted.`);
    return 'ok';
  } catch (err) {
    // An unknown CA or a certificate for another host name: either way, not this cluster's CA.
    if (isUntrustedCertificate(err)) return 'untrusted';
    out.warn(`Could not reach the API server: ${err instanceof Error ? err.message : String(err)}`);
    return 'unreachable';
  } finally {
    await http.close();
  }
}

async function namesStep(run: Run): Promise<EntryNames> {
  const { ask, out, a, given } = run;
  const given3 = {
    ...(given.cluster ? { cluster: given.cluster } : {}),
    ...(given.user ? { user: given.user } : {}),
    ...(given.context ? { context: given.context } : {}),
  };
  let names = defaultNames({ server: a.server as string, casdoorUrl: a.casdoorUrl as string, username: a.username as string }, given3);
  if (!(given.cluster && given.user && given.context)) {
    out.info(out.c.bold('Names in the kubeconfig:'));
    out.info(`  cluster  ${names.cluster}\n  user     ${names.user}\n  context  ${names.context}`);
    if (!(await ask.confirm(Q.keepNames()))) {
      const cluster = given.cluster ?? (await ask.input(Q.cluster(names.cluster)));
      const user = given.user ?? (await ask.input(Q.user(names.user)));
      // The context default follows a renamed cluster.
      const context = given.context ?? (await ask.input(Q.context(defaultNames({ server: a.server as string, casdoorUrl: a.casdoorUrl as string, username: a.username as string }, { cluster }).context)));
      names = { cluster, user, context };
    }
  }
  a.cluster = names.cluster;
  a.user = names.user;
  a.context = names.context;
  if (given.namespace === undefined) a.namespace = (await ask.input(Q.namespace(run.suggested.namespace))).trim() || undefined;
  return names;
}

type TargetChoice = 'merge' | 'other' | 'standalone';

async function targetStep(run: Run, names: EntryNames): Promise<void> {
  const { ask, deps, a, given } = run;
  if (given.kubeconfig !== undefined || given.output !== undefined) return;
  const chain = resolveKubeconfigChain({ envValue: deps.env.KUBECONFIG, home: deps.homeDir });
  const where =
    chain.source === 'env'
      ? `${chain.files.join(', ')} (from $KUBECONFIG)`
      : `${tildify(chain.files[0] ?? '~/.kube/config', deps.homeDir)} (kubectl's default: KUBECONFIG is not set)`;
  const choices: Array<Choice<TargetChoice>> = [
    { value: 'merge', name: `Merge into ${where}`, description: 'The file kubectl reads by default. Other contexts are kept; the previous version is backed up.' },
    { value: 'other', name: 'Merge into another kubeconfig file…', description: 'Use it later with --kubeconfig FILE or KUBECONFIG=FILE.' },
    {
      value: 'standalone',
      name: 'Write a separate file with only this context (e.g. for a teammate)…',
      description: 'In auth-provider mode it holds the tokens of whoever logged in: hand it over privately.',
    },
  ];
  const choice = await ask.select(Q.target(choices));
  a.kubeconfig = undefined;
  a.output = undefined;
  if (choice === 'other') a.kubeconfig = (await ask.input(Q.kubeconfig(run.suggested.kubeconfig))).trim();
  if (choice === 'standalone') a.output = (await ask.input(Q.output(`${names.context.replace(/[^A-Za-z0-9._-]+/g, '_')}.kubeconfig`))).trim();
}

function tildify(file: string, home: string): string {
  return home && file.startsWith(`${home}${path.sep}`) ? `~${file.slice(home.length)}` : file;
}

async function modeStep(run: Run): Promise<void> {
  const { ask, deps, a, given } = run;
  if (given.mode !== undefined) return;
  const choices: Array<Choice<SetupMode>> = [
    {
      value: 'auth-provider',
      name: "auth-provider: the tokens live in the kubeconfig and kubectl refreshes them itself",
      description: 'Works with any kubectl and needs nothing else installed later.',
    },
    {
      value: 'exec',
      name: 'exec plugin: kubectl runs `casdoor-kubeconfig token` for each command',
      description: 'No token or secret in the file (they stay in a private cache); needs this tool wherever the file is used.',
      ...(deps.storeTokens ? {} : { disabled: 'not available in this build' }),
    },
  ];
  a.mode = await ask.select(Q.mode(choices, a.mode ?? 'auth-provider'));
}

function inputOf(run: Run, names: EntryNames): SetupInput {
  const { a, opts } = run;
  const s = opts.settings;
  return {
    casdoorUrl: a.casdoorUrl as string,
    ...(a.organization ? { organization: a.organization } : {}),
    ...(a.application ? { application: a.application } : {}),
    clientId: a.clientId as string,
    ...(a.clientSecret ? { clientSecret: a.clientSecret } : {}),
    username: a.username as string,
    password: a.password ?? '',
    ...(a.casdoorCaPem ? { casdoorCaPem: a.casdoorCaPem } : {}),
    ...(a.casdoorCaFile ? { casdoorCaFile: a.casdoorCaFile } : {}),
    server: a.server as string,
    ...(a.certificateAuthorityData ? { certificateAuthorityData: a.certificateAuthorityData } : {}),
    insecureSkipTlsVerify: Boolean(a.insecureSkipTlsVerify),
    names,
    ...(a.namespace ? { namespace: a.namespace } : {}),
    ...(a.kubeconfig ? { kubeconfig: a.kubeconfig } : {}),
    ...(a.output ? { output: a.output } : {}),
    setCurrentContext: s.setCurrentContext,
    dryRun: s.dryRun,
    usernameClaim: a.usernameClaim ?? s.usernameClaim,
    groupsClaim: a.groupsClaim ?? s.groupsClaim,
    ...(s.usernamePrefix !== undefined ? { usernamePrefix: s.usernamePrefix } : {}),
    ...(s.groupsPrefix !== undefined ? { groupsPrefix: s.groupsPrefix } : {}),
    mode: a.mode ?? 'auth-provider',
    ...(s.execCommand ? { execCommand: s.execCommand } : {}),
    ...(a.grant && a.grant !== 'password' ? { grant: a.grant } : {}),
    ...(s.browserCommand ? { browserCommand: s.browserCommand } : {}),
    ...(s.noBrowser ? { noBrowser: true } : {}),
  };
}

// ---- preview, confirm, write ------------------------------------------------------------------------

/** Long base64 values (CA certificates) shortened: a preview is for reading, the file gets them whole. */
function shortenData(line: string): string {
  return line.replace(/^([-+ ]\s*[\w-]+-data: )([A-Za-z0-9+/=]{48,})$/, (_m, key: string, value: string) => `${key}${value.slice(0, 24)}… (${value.length} characters)`);
}

function colorDiff(run: Run, diff: string): string {
  const c = run.out.c;
  return diff
    .trimEnd()
    .split('\n')
    .map(shortenData)
    .map((l) => (l.startsWith('+++') || l.startsWith('---') ? c.bold(l) : l.startsWith('@@') ? c.cyan(l) : l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l))
    .join('\n');
}

async function previewAndWrite(
  run: Run,
  input: SetupInput,
  names: EntryNames,
  entries: SetupEntries,
  login: VerifiedLogin,
  report: PreflightResult,
  o: {
    fixedTarget: boolean;
    alreadyCurrent?: boolean;
    /** Writes the change instead of merging `entries` into the target (a renewal: the tokens only); prints like writeEntries. */
    write?: () => Promise<WrittenFile[]>;
  },
): Promise<WizardResult> {
  const { ask, out, deps } = run;
  const c = out.c;
  let shown: { where: string; changed: boolean };
  for (;;) {
    try {
      shown = await preview(run, input, entries);
      break;
    } catch (err) {
      // An unreadable or malformed target: say so and let the user pick another one.
      if (!(err instanceof CliError) || err.code !== 'kubeconfig' || o.fixedTarget) throw err;
      out.error(err.message, err.hint);
      await targetStep(run, names);
      input = { ...input, ...(run.a.kubeconfig ? { kubeconfig: run.a.kubeconfig } : { kubeconfig: undefined }), ...(run.a.output ? { output: run.a.output } : { output: undefined }) };
      if (input.kubeconfig === undefined) delete input.kubeconfig;
      if (input.output === undefined) delete input.output;
    }
  }
  if (input.dryRun) {
    out.info('Dry run: nothing was written.');
    return { outcome: 'dry-run', input, names, result: { login, report, names, written: [] } };
  }
  // Nothing to change in the file (an exec entry being renewed: its tokens go to the cache): no question.
  if (shown.changed && !(await ask.confirm(Q.write(shown.where)))) {
    out.info('Nothing was written.');
    return { outcome: 'declined', input, names };
  }
  const written = o.write ? await o.write() : await writeEntries(input, entries, deps);
  if (input.mode === 'exec') {
    if (!deps.storeTokens) throw new CliError('internal', 'exec mode needs a token store');
    await deps.storeTokens(input, login);
    out.step('Stored the tokens in the plugin cache: the first kubectl command needs no login.');
  }
  const who = report.username ?? input.username;
  const expiry = report.expiresAt ? `; the token expires ${describeExpiry(report.expiresAt, deps.now())}` : '';
  out.info('');
  out.info(`${c.green.bold('Done.')} Context ${c.cyan(names.context)} logs in to ${input.server} as ${c.cyan(who)}${expiry}.`);
  // A renewed context that is already the current one needs no use-context.
  printNextSteps(out, o.alreadyCurrent ? { ...input, setCurrentContext: true } : input, names, written);
  if (input.mode === 'auth-provider' && login.tokens.refreshToken) {
    out.info(c.dim('  kubectl refreshes the token by itself; when the refresh token expires too, run casdoor-kubeconfig again.'));
  }
  const check = await clusterCheck(run, input, names, login);
  return { outcome: 'written', input, names, result: { login, report, names, written }, check };
}

// ---- the end: does the cluster accept it, and what its admin needs ---------------------------------

/** The apiserver-config command for this Casdoor and these claim settings, for the user to run or pass on. */
function apiserverConfigCommand(input: SetupInput): string {
  const q = shellQuote;
  return [
    'casdoor-kubeconfig apiserver-config',
    `--casdoor-url ${q(input.casdoorUrl)}`,
    `--client-id ${q(input.clientId)}`,
    ...(input.usernameClaim !== 'name' ? [`--username-claim ${q(input.usernameClaim)}`] : []),
    ...(input.groupsClaim !== 'groups' ? [`--groups-claim ${q(input.groupsClaim)}`] : []),
    // apiserver-config's own default is '-'; '' there means the flag unset, as undefined does here.
    ...(input.usernamePrefix !== '-' ? [`--username-prefix ${q(input.usernamePrefix ?? '')}`] : []),
    ...(input.groupsPrefix ? [`--groups-prefix ${q(input.groupsPrefix)}`] : []),
    ...(input.casdoorCaFile ? [`--casdoor-ca ${q(input.casdoorCaFile)}`] : []),
  ].join(' ');
}

async function defaultCheckContext(run: Run, input: ContextCheckInput, token: string | undefined): Promise<ContextCheck> {
  const { deps, out } = run;
  const [{ checkContext }, { selfSubjectReview }, { runExecPlugin }] = await Promise.all([
    import('../usecases/context-check.js'),
    import('../cluster/review.js'),
    import('../cluster/exec-plugin.js'),
  ]);
  return checkContext(input, {
    env: deps.env,
    homeDir: deps.homeDir,
    now: deps.now,
    verbose: out.verboseEnabled,
    log: (line) => out.info(line),
    review: selfSubjectReview,
    runExec: token ? async () => ({ token }) : runExecPlugin,
    readFile: async (file) => (await import('node:fs/promises')).readFile(file, 'utf8'),
  });
}

/**
 * Asks the API server who it sees with the context just written (issue: "the wizard ends with this
 * check"). Never fails the run: the kubeconfig is written and right even when the API server is not
 * configured for this Casdoor yet, which is what a 401 usually means on a first setup.
 */
async function clusterCheck(run: Run, input: SetupInput, names: EntryNames, login: VerifiedLogin): Promise<WizardResult['check']> {
  const { out, deps, opts } = run;
  const c = out.c;
  // Written to standard output: there is no file to check.
  if (opts.checkWithCluster === false || input.output === '-') return 'skipped';
  const later = `kubectl${input.output ? ` --kubeconfig ${input.output}` : ''} auth whoami --context ${names.context}`;
  out.info('');
  if (run.apiReachable === false) {
    out.info(`Not checked with the API server: it did not answer earlier. Once it is reachable: ${later}`);
    return 'skipped';
  }
  const checkInput: ContextCheckInput = {
    ...(input.output !== undefined ? { kubeconfig: input.output } : input.kubeconfig !== undefined ? { kubeconfig: input.kubeconfig } : {}),
    context: names.context,
    claims: {
      usernameClaim: input.usernameClaim,
      groupsClaim: input.groupsClaim,
      ...(input.usernamePrefix !== undefined ? { usernamePrefix: input.usernamePrefix } : {}),
      ...(input.groupsPrefix ? { groupsPrefix: input.groupsPrefix } : {}),
    },
    timeoutMs: 15_000,
  };
  const token = input.mode === 'exec' ? login.tokens.idToken : undefined;
  let check: ContextCheck;
  try {
    check = await deps.spin(`Asking the API server who it sees with context ${names.context}…`, () =>
      deps.checkContext ? deps.checkContext(checkInput, token) : defaultCheckContext(run, checkInput, token),
    );
  } catch (err) {
    out.warn(`Could not check the new context with the API server: ${err instanceof Error ? err.message : String(err)}`);
    return 'failed';
  }
  switch (check.outcome) {
    case 'accepted': {
      const r = check.report;
      out.step(`The API server accepted context ${c.cyan(names.context)} (${r.apiVersion ? `${r.apiVersion} ` : ''}SelfSubjectReview):`);
      out.info(`  username  ${c.cyan(r.username ?? '')}`);
      out.info(`  groups    ${(r.groups ?? []).length ? c.cyan((r.groups ?? []).join(', ')) : c.dim('(none)')}`);
      break;
    }
    case 'refused': {
      const r = check.report;
      if (r.status === 401) {
        out.warn(`The API server at ${r.server} does not accept this token yet (401 Unauthorized). The kubeconfig is written and stays as it is.`);
        const findings = r.findings ?? [];
        const shown = findings.some((f) => f.certain) ? findings.filter((f) => f.certain) : findings;
        for (const f of shown) {
          out.info(`  - ${f.message}`);
          out.info(`    Fix: ${f.fix}`);
        }
        out.info('  On a first setup this usually means the API server is not configured for this Casdoor yet: a cluster admin');
        out.info('  must start it with the --oidc-* flags (or an AuthenticationConfiguration) for this issuer and client id:');
        out.info(`    ${apiserverConfigCommand(input)}`);
        out.info(`  Then check again: ${later}`);
      } else {
        out.warn(check.error.message);
        if (check.error.hint) out.info(`  ${check.error.hint}`);
      }
      break;
    }
    case 'unreachable':
      out.info(`Not checked with the API server: ${check.error.message}`);
      out.info(`  Once it is reachable: ${later}`);
      break;
    case 'failed':
      out.warn(`Could not check the new context with the API server: ${check.error.message}`);
      break;
  }
  return check.outcome;
}

/** The API server settings for this setup, as apiserver-config would take them from flags. */
function apiserverSettingsOf(input: SetupInput, login: VerifiedLogin): ApiserverSettings {
  const alg = login.verified.header.alg;
  return {
    issuer: input.casdoorUrl,
    clientId: input.clientId,
    usernameClaim: input.usernameClaim,
    ...(input.usernamePrefix !== undefined ? { usernamePrefix: input.usernamePrefix } : {}),
    groupsClaim: input.groupsClaim,
    ...(input.groupsPrefix ? { groupsPrefix: input.groupsPrefix } : {}),
    // The algorithm Casdoor really signs with: kube-apiserver refuses any other.
    signingAlgs: [KUBE_SIGNING_ALGS.includes(alg) ? alg : 'RS256'],
    ...(input.casdoorCaPem ? { casdoorCa: { file: input.casdoorCaFile ?? 'casdoor-ca.pem', pem: input.casdoorCaPem } } : {}),
    // Only the flags are printed here, which do not depend on the version.
    kubernetesVersion: parseKubernetesVersion('1.32'),
  };
}

/** For admins: the kube-apiserver flags that make it accept these tokens, from the answers just given. */
async function offerApiserverConfig(run: Run, input: SetupInput, login: VerifiedLogin): Promise<void> {
  const { ask, out, opts } = run;
  if (opts.offerApiserverConfig === false) return;
  out.info('');
  if (!(await ask.confirm(Q.apiserverConfig()))) return;
  out.info(renderFlags(apiserverSettingsOf(input, login)).replace(/\n+$/, ''));
  out.info(out.c.dim(`The minikube line and an AuthenticationConfiguration: ${apiserverConfigCommand(input)} --format all`));
}

/** Prints the redacted change; says where it goes and whether anything changes. */
async function preview(run: Run, input: SetupInput, entries: SetupEntries): Promise<{ where: string; changed: boolean }> {
  const { out, deps } = run;
  const c = out.c;
  if (input.output !== undefined) {
    const target = input.output === '-' ? 'standard output' : input.output;
    const { doc, changes } = mergeEntries(newKubeconfig(), entries as KubeconfigEntries);
    out.info(c.bold(`Preview of ${target} (a new, standalone kubeconfig; secrets redacted):`));
    out.info(colorDiff(run, renderKubeconfigDiff(input.output, newKubeconfig(), doc, changes)));
    return { where: target, changed: true };
  }
  const result = await applyKubeconfigChange({
    ...(input.kubeconfig !== undefined ? { kubeconfigFlag: input.kubeconfig } : {}),
    env: deps.env,
    homeDir: deps.homeDir,
    entries,
    dryRun: true,
  });
  for (const f of result.files) {
    if (f.diff === '') {
      out.info(`${f.file} already holds these entries.`);
      continue;
    }
    out.info(c.bold(`Changes to ${f.file}${f.created ? ' (a new file)' : ''} — secrets redacted:`));
    out.info(colorDiff(run, f.diff));
  }
  return { where: result.files.map((f) => f.file).join(', '), changed: result.files.some((f) => f.diff !== '') };
}
