/**
 * `generate`: one standalone kubeconfig per teammate of a roster, for an admin to hand out.
 *
 * Default (exec mode, no login): each file runs `casdoor-kubeconfig token … --username <name>` as an
 * exec credential plugin, so it holds no secret at all and the teammate logs in on first use. With
 * the teammates' passwords (auth-provider mode) it logs each one in, verifies the id_token, and writes
 * the tokens into that person's file. Either way the entries are exactly the ones `setup` writes
 * (buildSetupEntries), and one bad row or failed login does not stop the others: every row ends in the
 * summary, and the command fails at the end if any row did.
 */
import path from 'node:path';
import { CliError, type ErrorCode } from '../errors.js';
import type { Output } from '../ports/output.js';
import type { HttpClient } from '../oidc/http.js';
import { preflight } from '../oidc/preflight.js';
import { errnoOf, fileError } from '../kubeconfig/io.js';
import { writeStandalone } from '../kubeconfig/standalone.js';
import type { RosterEntry } from './roster.js';
import { analyzeTokenFormat } from '../oidc/token-format.js';
import { proveRefresh, type RefreshProof } from './prove-refresh.js';
import { describeExpiry } from '../describe-expiry.js';
import { buildSetupEntries, clientOf, describeRenewal, type SetupInput, type SetupMode } from './setup.js';
import { cleartextServerWarning } from '../validate.js';
import { summarizeList } from '../list-summary.js';
import { openSession, passwordLogin, type Session, type VerifiedLogin } from './login.js';

export type GenerateFormat = 'text' | 'json';

export interface GenerateInput {
  roster: RosterEntry[];
  outDir: string;
  casdoorUrl: string;
  clientId: string;
  /**
   * auth-provider mode only: checked once with Casdoor (proveRefresh), never written into a file: it is
   * a Casdoor admin credential (see SetupInput.clientSecret) and kubectl's refresh does not need it.
   */
  clientSecret?: string;
  /** PEM of --casdoor-ca (trusted for discovery/login; embedded in auth-provider entries). */
  casdoorCaPem?: string;
  /** exec mode: the CA path written into each file's `token --casdoor-ca` (must exist on the teammates' machines). */
  casdoorCaPath?: string;
  server: string;
  certificateAuthorityData?: string;
  insecureSkipTlsVerify: boolean;
  /** Defaults for rows that do not name their own. */
  namespace?: string;
  cluster?: string;
  mode: SetupMode;
  execCommand?: string;
  /** auth-provider mode: username → password. */
  passwords?: Map<string, string>;
  usernameClaim: string;
  /** false: usernameClaim is the default and follows each token's format (see SetupInput.usernameClaimGiven). */
  usernameClaimGiven?: boolean;
  groupsClaim: string;
  usernamePrefix?: string;
  groupsPrefix?: string;
  /** exec mode: skip the discovery check. */
  offline: boolean;
  output: GenerateFormat;
}

export interface GenerateDeps {
  out: Output;
  now: () => Date;
  makeHttp: (caPem?: string) => HttpClient;
  /** Creates the output folder (mode 0700) if missing. */
  makeOutDir: (dir: string) => Promise<void>;
}

export type RowStatus = 'written' | 'unchanged' | 'failed';

export interface GenerateRowResult {
  /** Where the row is in the roster ("line 4", "users[2]"). */
  row: string;
  username: string;
  file?: string;
  status: RowStatus;
  /** Failure reason, or a note on success. */
  detail: string;
  /** The failure's error code (decides the exit status). */
  code?: ErrorCode;
  context?: string;
  /** auth-provider mode: what the API server will see. */
  apiServerUsername?: string;
  groups?: string[];
  expiresAt?: string;
  /** auth-provider mode: until when kubectl can renew the token (the refresh token's exp, ISO). */
  refreshExpiresAt?: string;
  /** auth-provider mode: Casdoor's token format and the username claim used for it. */
  tokenFormat?: string;
  usernameClaim?: string;
  backup?: string;
}

export interface GenerateResult {
  outDir: string;
  mode: SetupMode;
  rows: GenerateRowResult[];
  written: number;
  failed: number;
}

function setupInputFor(input: GenerateInput, entry: RosterEntry): SetupInput {
  const { row } = entry;
  const names = {
    ...(row.cluster ?? input.cluster ? { cluster: (row.cluster ?? input.cluster) as string } : {}),
    ...(row.user ? { user: row.user } : {}),
    ...(row.context ? { context: row.context } : {}),
  };
  const namespace = row.namespace ?? input.namespace;
  return {
    casdoorUrl: input.casdoorUrl,
    clientId: input.clientId,
    ...(input.mode === 'auth-provider' && input.clientSecret ? { clientSecret: input.clientSecret } : {}),
    username: row.username,
    password: '',
    ...(input.casdoorCaPem ? { casdoorCaPem: input.casdoorCaPem } : {}),
    ...(input.casdoorCaPath ? { casdoorCaFile: input.casdoorCaPath } : {}),
    server: input.server,
    ...(input.certificateAuthorityData ? { certificateAuthorityData: input.certificateAuthorityData } : {}),
    insecureSkipTlsVerify: input.insecureSkipTlsVerify,
    names,
    ...(namespace ? { namespace } : {}),
    // Each file stands alone: its one context is the current one.
    setCurrentContext: true,
    dryRun: false,
    usernameClaim: input.usernameClaim,
    groupsClaim: input.groupsClaim,
    ...(input.usernamePrefix !== undefined ? { usernamePrefix: input.usernamePrefix } : {}),
    ...(input.groupsPrefix !== undefined ? { groupsPrefix: input.groupsPrefix } : {}),
    mode: input.mode,
    ...(input.execCommand ? { execCommand: input.execCommand } : {}),
    ...(input.mode === 'exec' ? { skipLogin: true } : {}),
  };
}

const failed = (entry: RosterEntry, detail: string, code: ErrorCode, file?: string): GenerateRowResult => ({
  row: entry.where,
  username: entry.row.username,
  ...(file ? { file } : {}),
  status: 'failed',
  detail,
  code,
});

async function generateOne(entry: RosterEntry, input: GenerateInput, deps: GenerateDeps, session: Session | undefined): Promise<GenerateRowResult> {
  if (entry.error || !entry.fileName) return failed(entry, entry.error ?? 'unusable row', 'usage');
  const file = path.join(input.outDir, entry.fileName);
  const setupInput = setupInputFor(input, entry);
  let login: VerifiedLogin | undefined;
  const extra: Partial<GenerateRowResult> = {};
  let note = 'exec plugin; logs in on first kubectl use';
  if (input.mode === 'auth-provider') {
    const password = input.passwords?.get(entry.row.username);
    if (password === undefined || password === '') return failed(entry, 'no password for this user in --passwords', 'usage', file);
    let proof: RefreshProof;
    try {
      login = await passwordLogin(session as Session, clientOf(setupInput), entry.row.username, password, deps.now());
      // As setup does: the refresh (and the secret, when given) proven before the file is written; the
      // tokens rotate, so the proof's are the ones to write.
      proof = await proveRefresh(session as Session, clientOf(setupInput), login, deps);
      login = proof.login;
    } catch (err) {
      if (err instanceof CliError) return failed(entry, err.message, err.code, file);
      throw err;
    }
    const format = analyzeTokenFormat(login.verified.claims, { ...(input.usernameClaimGiven === false ? {} : { usernameClaim: input.usernameClaim }), groupsClaim: input.groupsClaim });
    extra.tokenFormat = format.format;
    extra.usernameClaim = format.usernameClaim;
    if (proof.refreshExpiresAt !== undefined) extra.refreshExpiresAt = new Date(proof.refreshExpiresAt * 1000).toISOString();
    const report = preflight(login.verified.claims, {
      issuer: (session as Session).meta.issuer,
      usernameClaim: format.usernameClaim,
      groupsClaim: input.groupsClaim,
      ...(input.usernamePrefix !== undefined ? { usernamePrefix: input.usernamePrefix } : {}),
      ...(input.groupsPrefix !== undefined ? { groupsPrefix: input.groupsPrefix } : {}),
    });
    const fatal = report.warnings.filter((w) => w.fatal);
    if (fatal.length) return failed(entry, `the API server would reject this user's token: ${fatal.map((w) => w.message).join(' ')}`, 'verify', file);
    if (report.username !== undefined) extra.apiServerUsername = report.username;
    extra.groups = report.groups;
    if (report.expiresAt) extra.expiresAt = report.expiresAt.toISOString();
    note = `API server sees ${report.username ?? '?'}${report.groups.length ? ` (${summarizeList(report.groups)})` : ''} (claim ${format.usernameClaim}, ${format.format})${report.expiresAt ? `; token expires ${describeExpiry(report.expiresAt, deps.now())}` : ''}; renewal ${describeRenewal(proof, deps.now())}`;
    for (const n of [...format.notes, ...proof.warnings]) if (n.code !== 'username-claim-chosen') note += `; ${n.message}`;
  }
  try {
    const { names, entries } = buildSetupEntries(setupInput, login);
    // Always 0600, also when replacing a file that had a looser mode.
    // Only inside --out-dir: a link planted under a teammate's file name is refused (kubeconfig/out-dir.ts).
    const res = await writeStandalone(file, entries, { now: deps.now, refuseLinks: true });
    return {
      row: entry.where,
      username: entry.row.username,
      file,
      status: res.written ? 'written' : 'unchanged',
      detail: res.backup ? `${note}; previous file kept as ${path.basename(res.backup)}` : note,
      context: names.context,
      ...extra,
      ...(res.backup ? { backup: res.backup } : {}),
    };
  } catch (err) {
    // A file-system failure (errno code) is this row's failure, not the run's: the other rows go on.
    const cliError = err instanceof CliError ? err : errnoOf(err) ? fileError(err, 'write', file) : undefined;
    if (cliError) return failed(entry, cliError.message, cliError.code, file);
    throw err;
  }
}

/** The summary table (pure): USER, FILE, STATUS, DETAIL. */
export function formatSummary(result: GenerateResult): string {
  const rows = result.rows.map((r) => [r.username === '' ? `(${r.row})` : r.username, r.file ?? '-', r.status, r.status === 'failed' ? `${r.row}: ${r.detail}` : r.detail]);
  const header = ['USER', 'FILE', 'STATUS', 'DETAIL'];
  const widths = [0, 1, 2].map((i) => Math.max(header[i]?.length ?? 0, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 3 ? c.padEnd((widths[i] ?? 0) + 2) : c)).join('').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export async function runGenerate(input: GenerateInput, deps: GenerateDeps): Promise<GenerateResult> {
  const { out } = deps;
  if (input.roster.length === 0) throw new CliError('usage', 'The roster lists nobody.', { hint: 'Add one teammate per line (CSV) or a list of usernames (YAML).' });

  const cleartext = cleartextServerWarning(input.server);
  if (cleartext) out.warn(cleartext);
  let http: HttpClient | undefined;
  let session: Session | undefined;
  const rows: GenerateRowResult[] = [];
  try {
    // One discovery for everyone: a wrong Casdoor URL or CA fails the whole run before anything is written.
    if (input.mode === 'auth-provider' || !input.offline) {
      http = deps.makeHttp(input.casdoorCaPem);
      session = await openSession(http, input.casdoorUrl);
      out.step(`Casdoor at ${session.meta.issuer} answered discovery; the issuer matches.`);
    }
    await deps.makeOutDir(input.outDir);
    for (const entry of input.roster) {
      const result = await generateOne(entry, input, deps, session);
      rows.push(result);
      if (result.status === 'failed') out.warn(`${result.username || result.row}: ${result.detail}`);
      else out.verbose(`${result.username}: ${result.status} ${result.file ?? ''}`);
    }
  } finally {
    await http?.close();
  }

  const result: GenerateResult = {
    outDir: input.outDir,
    mode: input.mode,
    rows,
    written: rows.filter((r) => r.status !== 'failed').length,
    failed: rows.filter((r) => r.status === 'failed').length,
  };
  if (input.output === 'json') out.data(JSON.stringify(result, null, 2));
  else out.data(formatSummary(result));

  if (result.written > 0) {
    out.info(
      input.mode === 'exec'
        ? `The files hold no secrets. Each teammate needs ${input.execCommand ?? 'casdoor-kubeconfig'} on their PATH` +
            `${input.casdoorCaPath ? ` and Casdoor's CA at ${input.casdoorCaPath}` : ''}, then: KUBECONFIG=<their file> kubectl get ns (logs in on first use).`
        : "The files hold each teammate's tokens (mode 0600) and no client secret: hand each one over privately; kubectl refreshes the tokens itself.",
    );
  }
  const first = rows.find((r) => r.status === 'failed');
  if (first) {
    throw new CliError(first.code ?? 'internal', `${result.failed} of ${rows.length} ${rows.length === 1 ? 'user' : 'users'} failed (see the summary); ${result.written ? 'the other files were written' : 'no file was written'}.`, {
      hint: `First failure, ${first.username || first.row}: ${first.detail}`,
    });
  }
  out.step(`Wrote ${result.written} kubeconfig${result.written === 1 ? '' : 's'} to ${input.outDir}.`);
  return result;
}
