/**
 * `whoami`: ask the API server who it thinks this kubeconfig context is (a SelfSubjectReview), and
 * when it answers 401, explain why from what can be seen locally: the token's expiry, its issuer and
 * audience against what this user entry (and so `apiserver-config`) says the API server expects, and
 * the claims the API server maps. Read-only: nothing here writes a file, and an expired oidc id-token is
 * never refreshed (a refresh rotates Casdoor's refresh token, which only kubectl can then save).
 *
 * The network and the exec plugin are passed in (src/cluster/); the diagnosis is pure.
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { clientSecretAdvice } from './client-secret.js';
import { CliError } from '../errors.js';
import type { Output } from '../ports/output.js';
import type { ExecPluginRequest, ExecCredentialResult } from '../cluster/exec-plugin.js';
import type { ReviewOutcome, ReviewTarget, ReviewedUser } from '../cluster/review.js';
import { credentialKind, describeCommand, expectedTokenOf, isOurExecPlugin, resolveContext, type CredentialKind, type ExpectedToken, type ResolvedContext } from '../cluster/target.js';
import { loadMergedView, type MergedView, type ViewOptions } from '../kubeconfig/view.js';
import { describeIssuerMismatch } from '../oidc/issuer.js';
import { audienceKind, checkTokenTimes, isRefreshToken, NBF_LEEWAY_SECONDS } from '../oidc/kube-rules.js';
import { preflight } from '../oidc/preflight.js';
import { claimIso } from '../oidc/claims-sanity.js';
import { summarizeList } from '../list-summary.js';
import { registerSecret } from '../redact.js';

export type WhoamiFormat = 'text' | 'json';

/** How the API server maps claims (the same flags and defaults as apiserver-config). */
export interface ClaimMapping {
  usernameClaim: string;
  groupsClaim: string;
  /** undefined = flag unset ("<issuer>#"), '-' = none. */
  usernamePrefix?: string;
  groupsPrefix?: string;
}

export interface WhoamiInput {
  kubeconfig?: string;
  context?: string;
  output: WhoamiFormat;
  claims: ClaimMapping;
  timeoutMs?: number;
}

export interface WhoamiDeps {
  out: Output;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  now: () => Date;
  stdinIsTTY: boolean;
  /** Plugin stderr, passed through as kubectl does. */
  writeStderr: (text: string) => void;
  review: (target: ReviewTarget, opts: { timeoutMs?: number }) => Promise<ReviewOutcome>;
  runExec: (req: ExecPluginRequest) => Promise<ExecCredentialResult>;
  readFile: (file: string) => Promise<string>;
  loadView?: (opts: ViewOptions) => Promise<MergedView>;
}

export type FindingCode =
  | 'expired'
  | 'not-yet-valid'
  | 'refresh-token'
  | 'no-exp'
  | 'issuer'
  | 'audience'
  | 'username-claim'
  | 'email-unverified'
  | 'groups-claim'
  | 'issuer-not-https'
  | 'algorithm'
  | 'not-a-jwt'
  | 'no-token'
  | 'unverifiable'
  | 'server-config';

export interface Finding {
  code: FindingCode;
  /** true: this alone makes kube-apiserver refuse the token; false: a likely cause worth checking. */
  certain: boolean;
  message: string;
  fix: string;
}

export interface TokenSummary {
  issuer?: string;
  audience?: string[];
  subject?: string;
  expiresAt?: string;
}

export interface WhoamiReport {
  context: string;
  cluster: string;
  server: string;
  user: string;
  credential: CredentialKind;
  authenticated: boolean;
  apiVersion?: string;
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  token?: TokenSummary;
  /** On a refusal. */
  status?: number;
  findings?: Finding[];
}

export interface DiagnosisInput {
  token: string | undefined;
  kind: CredentialKind;
  expected: ExpectedToken | undefined;
  claims: ClaimMapping;
  now: Date;
  /** The API server's clock (its Date header on the 401), when known: clock offsets are measured against it. */
  serverNow?: Date;
  context: string;
  /** oidc: whether kubectl could refresh the id-token itself. */
  hasRefreshToken: boolean;
  /** exec: the command line (secrets redacted) and whether it is this tool's `token`. */
  execCommand?: string;
  ourPlugin?: boolean;
}

function ago(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  const text = s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} days`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

const audiences = (aud: JWTPayload['aud']): string[] => (aud === undefined ? [] : Array.isArray(aud) ? aud : [aud]);

function decode(token: string): { claims: JWTPayload & Record<string, unknown>; alg?: string } | undefined {
  try {
    const claims = decodeJwt(token) as JWTPayload & Record<string, unknown>;
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      alg = undefined;
    }
    return { claims, ...(alg ? { alg } : {}) };
  } catch {
    return undefined;
  }
}

export function summarizeToken(token: string | undefined): TokenSummary | undefined {
  if (!token) return undefined;
  const d = decode(token);
  if (!d) return undefined;
  const c = d.claims;
  return {
    ...(typeof c.iss === 'string' ? { issuer: c.iss } : {}),
    ...(c.aud !== undefined ? { audience: audiences(c.aud) } : {}),
    ...(typeof c.sub === 'string' ? { subject: c.sub } : {}),
    ...(claimIso(c.exp) ? { expiresAt: claimIso(c.exp) as string } : {}),
  };
}

/**
 * Why the API server may have answered 401, from the token and the user entry alone (pure). The
 * token's signature is not checked: the API server did that, and this only explains its answer.
 */
export function diagnoseUnauthorized(input: DiagnosisInput): Finding[] {
  const findings: Finding[] = [];
  const add = (code: FindingCode, certain: boolean, message: string, fix: string): void => {
    findings.push({ code, certain, message, fix });
  };
  const inspect = input.ourPlugin && input.execCommand ? ` Inspect it with: ${input.execCommand} --raw` : '';

  if (!input.token) {
    const what: Record<CredentialKind, string> = {
      none: 'The user entry carries no credentials at all, so the request was anonymous.',
      'client-certificate': 'The user authenticates with a client certificate, which the API server did not accept.',
      basic: 'The user authenticates with a username and password (basic auth), which the API server did not accept.',
      'auth-provider': 'The user uses an auth-provider this tool cannot inspect.',
      token: 'The user entry has an empty token.',
      oidc: 'The user entry has no id-token.',
      exec: 'The exec plugin returned a client certificate, which the API server did not accept.',
    };
    add('no-token', true, what[input.kind], 'Run casdoor-kubeconfig setup to give this context a Casdoor login.');
    return findings;
  }

  const decoded = decode(input.token);
  if (!decoded) {
    add('not-a-jwt', true, 'The token is not a JWT, so it is not a Casdoor id_token (a static or service-account token?).', 'Run casdoor-kubeconfig setup to give this context a Casdoor login.');
    return findings;
  }
  const { claims } = decoded;

  // The API server's clock decides (go-oidc v2 verify.go IDTokenVerifier.Verify); ours stands in when its Date is unknown.
  const serverS = (input.serverNow ?? input.now).getTime() / 1000;
  const clockOf = input.serverNow ? "the API server's clock" : "this machine's clock";
  const times = checkTokenTimes(claims, serverS);
  if (isRefreshToken(claims)) {
    add(
      'refresh-token',
      true,
      'The credential is a Casdoor refresh token (tokenType refresh-token), not an access/id token: an API server configured by apiserver-config refuses it (--oidc-required-claim=tokenType=access-token).',
      'Give kubectl the id_token: re-run casdoor-kubeconfig setup for this context (never put the refresh token in "token" or "id-token").',
    );
  }
  if (typeof claims.exp !== 'number') {
    add('no-exp', true, 'The token has no "exp" claim; kube-apiserver requires one.', "Check the application's token format in Casdoor.");
  } else if (!times.ok && times.code === 'expired') {
    const when = `${claimIso(claims.exp) ?? `exp ${claims.exp}, not a time`} (${ago(serverS - claims.exp)} by ${clockOf})`;
    let fix: string;
    if (input.kind === 'oidc') {
      fix = input.hasRefreshToken
        ? `kubectl refreshes it by itself on its next command and saves the new tokens: run kubectl --context ${input.context} auth whoami. ` +
          'casdoor-kubeconfig whoami never refreshes, because it never writes your kubeconfig. If kubectl cannot refresh either, log in again with casdoor-kubeconfig setup.'
        : 'The entry has no refresh-token, so nothing can renew it: log in again with casdoor-kubeconfig setup (and enable the "Refresh Token" grant in the Casdoor application).';
    } else if (input.kind === 'exec') {
      fix = `The exec plugin handed out an expired token: check this machine's clock.${inspect}`;
    } else {
      fix = 'Log in again with casdoor-kubeconfig setup.';
    }
    add('expired', true, `The token expired at ${when}. kube-apiserver allows no leeway on "exp".`, fix);
  }
  if (!times.ok && times.code === 'not-yet-valid') {
    // Casdoor sets nbf to the moment it issued the token (object/token_jwt.go generateJwtToken), so
    // nbf - now measures how far Casdoor's clock runs ahead.
    add(
      'not-yet-valid',
      true,
      `The token is not valid before ${claimIso(times.nbf) ?? `nbf ${times.nbf}, not a time`}: Casdoor issued it ${times.aheadBy} s ahead of ${clockOf}` +
        `${input.serverNow ? ` (its Date header said ${input.serverNow.toISOString()})` : ''}, and kube-apiserver allows only ${NBF_LEEWAY_SECONDS} s on "nbf". This is a clock problem: Casdoor's clock is about ${times.aheadBy} s ahead.`,
      `Fix the time (NTP) on the Casdoor host${input.serverNow ? '' : ' and on this machine'}; the token becomes usable by itself in ${Math.max(0, times.aheadBy - NBF_LEEWAY_SECONDS)} s.`,
    );
  }

  const iss = typeof claims.iss === 'string' ? claims.iss : undefined;
  const aud = audiences(claims.aud);
  const expected = input.expected;
  const where = expected?.source === 'exec' ? "the exec plugin's --casdoor-url" : 'idp-issuer-url';
  if (expected) {
    if (iss !== expected.issuer) {
      const why = iss === undefined ? 'The token has no "iss" claim.' : describeIssuerMismatch(expected.issuer, iss) ?? '';
      add(
        'issuer',
        true,
        `The token's issuer (iss) is ${JSON.stringify(iss ?? null)}, but this user's ${where} is ${expected.issuer}: the API server configured by ` +
          `apiserver-config (--oidc-issuer-url=${expected.issuer}) compares them as exact strings. ${why}`.trim(),
        `Make Casdoor's "origin" setting exactly ${expected.issuer} (scheme, host, port, no trailing slash), or, if the API server really uses ${iss ?? 'another issuer'}, re-run setup with --casdoor-url set to it.`,
      );
    }
    const special = aud.find((a) => audienceKind(a, expected.clientId) === 'shared');
    if (expected.resource !== undefined) {
      // --resource: Casdoor object/token_jwt.go generateJwtToken puts the resource in aud instead of the client id.
      if (!aud.includes(expected.resource)) {
        add(
          'audience',
          true,
          `The token's audience (aud) ${JSON.stringify(aud)} is not this user's --resource ${expected.resource} (what apiserver-config --resource passes as --oidc-client-id).`,
          'Casdoor keeps the resource across a refresh only since v3.156: upgrade Casdoor, or re-run setup without --resource.',
        );
      }
    } else if (!aud.includes(expected.clientId) && special) {
      add(
        'audience',
        false,
        `The token's audience is ${special}, not the client id ${expected.clientId}: a shared Casdoor application ("<clientId>-org-<organization>"). The API server accepts it only when configured with exactly that audience.`,
        `Configure the API server with --oidc-client-id=${special} (casdoor-kubeconfig apiserver-config --from-token prints it).`,
      );
    } else if (!aud.includes(expected.clientId)) {
      add(
        'audience',
        true,
        `The token's audience (aud) ${JSON.stringify(aud)} does not contain this user's client id ${expected.clientId} (what apiserver-config passes as --oidc-client-id).`,
        "The token was issued to another Casdoor application: use the Client ID (not the application's name) in setup and in the API server's --oidc-client-id.",
      );
    }
  } else {
    add(
      'unverifiable',
      false,
      `This user entry does not say which issuer and client id the API server expects, so only the token can be shown: iss ${JSON.stringify(iss ?? null)}, aud ${JSON.stringify(aud)}.`,
      "Compare them with the API server's --oidc-issuer-url and --oidc-client-id.",
    );
  }

  const report = preflight(claims, {
    issuer: expected?.issuer ?? iss ?? '',
    usernameClaim: input.claims.usernameClaim,
    groupsClaim: input.claims.groupsClaim,
    ...(input.claims.usernamePrefix !== undefined ? { usernamePrefix: input.claims.usernamePrefix } : {}),
    ...(input.claims.groupsPrefix !== undefined ? { groupsPrefix: input.claims.groupsPrefix } : {}),
  });
  const CODES: Record<string, FindingCode> = {
    'username-missing': 'username-claim',
    'username-not-string': 'username-claim',
    'email-unverified': 'email-unverified',
    'groups-not-strings': 'groups-claim',
    'issuer-not-https': 'issuer-not-https',
  };
  for (const w of report.warnings.filter((x) => x.fatal)) {
    const code = CODES[w.code] ?? 'username-claim';
    add(
      code,
      true,
      `${w.message}${code === 'username-claim' || code === 'groups-claim' ? ` (assuming the API server's ${code === 'username-claim' ? `--oidc-username-claim=${input.claims.usernameClaim}` : `--oidc-groups-claim=${input.claims.groupsClaim}`}; say otherwise with --${code === 'username-claim' ? 'username' : 'groups'}-claim)` : ''}`,
      code === 'issuer-not-https'
        ? 'Serve Casdoor over https and set its "origin" to the https URL.'
        : "Change the API server's claim flags (casdoor-kubeconfig apiserver-config prints them), or the application's token format in Casdoor (JWT carries name and groups).",
    );
  }
  if (decoded.alg && decoded.alg !== 'RS256') {
    add('algorithm', false, `The token is signed with ${decoded.alg}; kube-apiserver accepts only RS256 unless --oidc-signing-algs says otherwise.`, `Add ${decoded.alg} to --oidc-signing-algs (apiserver-config --signing-algs ${decoded.alg}).`);
  }

  if (!findings.some((f) => f.certain)) {
    const issuer = expected?.issuer ?? iss ?? '<issuer>';
    const clientId = expected?.clientId ?? aud[0] ?? '<client id>';
    add(
      'server-config',
      false,
      'Nothing in the token explains the refusal, so the API server is probably set up differently: not for OIDC at all, for another issuer or client id, ' +
        "or unable to fetch Casdoor's signing keys (a private CA it does not trust, or no route to Casdoor from the control plane).",
      `Compare the API server's flags with: casdoor-kubeconfig apiserver-config --casdoor-url ${issuer} --client-id ${clientId}${expected?.resource ? ` --resource ${expected.resource}` : ''} --format flags (and check its log for "oidc").`,
    );
  }
  return findings;
}

/** The bearer token (or other credential) of a resolved user, and what to tell about it. */
interface Credential {
  kind: CredentialKind;
  token?: string;
  target: Partial<ReviewTarget>;
  hasRefreshToken: boolean;
  execCommand?: string;
  ourPlugin?: boolean;
}

async function credentialOf(resolved: ResolvedContext, input: WhoamiInput, deps: WhoamiDeps): Promise<Credential> {
  const user = resolved.user;
  const kind = credentialKind(user);
  const entry = `users[name=${resolved.userName}].user`;
  if (kind === 'oidc') {
    const config = user['auth-provider']?.config ?? {};
    if (!config['idp-issuer-url']) {
      deps.out.warn(`${entry}.auth-provider.config.idp-issuer-url is missing: kubectl refuses this user ("Must provide idp-issuer-url") even with a valid token.`);
    }
    if (!config['client-id']) deps.out.warn(`${entry}.auth-provider.config.client-id is missing: kubectl refuses this user.`);
    const token = config['id-token'];
    if (!token) {
      throw new CliError('kubeconfig', `${entry}.auth-provider.config.id-token is missing (in ${resolved.userFile}).`, {
        hint: 'Log in again with casdoor-kubeconfig setup.',
      });
    }
    registerSecret(token);
    registerSecret(config['refresh-token']);
    registerSecret(config['client-secret']);
    if (config['client-secret']) deps.out.warn(clientSecretAdvice(`${entry}.auth-provider.config.client-secret`, resolved.userFile, resolved.context));
    return { kind, token, target: { token }, hasRefreshToken: Boolean(config['refresh-token']) };
  }
  if (kind === 'exec') {
    const exec = user.exec ?? {};
    const cred = await deps.runExec({
      userName: resolved.userName,
      exec,
      env: deps.env,
      stdinIsTTY: deps.stdinIsTTY,
      stderr: deps.writeStderr,
      cluster: {
        server: resolved.cluster.server as string,
        ...(resolved.cluster['certificate-authority-data'] ? { 'certificate-authority-data': resolved.cluster['certificate-authority-data'] } : {}),
        ...(resolved.cluster['insecure-skip-tls-verify'] ? { 'insecure-skip-tls-verify': true } : {}),
      },
    });
    return {
      kind,
      ...(cred.token ? { token: cred.token } : {}),
      target: {
        ...(cred.token ? { token: cred.token } : {}),
        ...(cred.clientCertificateData ? { certData: Buffer.from(cred.clientCertificateData).toString('base64') } : {}),
        ...(cred.clientKeyData ? { keyData: Buffer.from(cred.clientKeyData).toString('base64') } : {}),
      },
      hasRefreshToken: false,
      execCommand: describeCommand(exec),
      ourPlugin: isOurExecPlugin(exec),
    };
  }
  const target: Partial<ReviewTarget> = {};
  let token: string | undefined;
  if (kind === 'token') {
    token = typeof user.token === 'string' && user.token !== '' ? user.token : undefined;
    if (!token && typeof user.tokenFile === 'string') {
      try {
        token = (await deps.readFile(user.tokenFile)).trim();
      } catch {
        throw new CliError('kubeconfig', `cannot read ${entry}.tokenFile ${user.tokenFile}.`);
      }
    }
    registerSecret(token);
    if (token) target.token = token;
  }
  const str = (k: string): string | undefined => (typeof user[k] === 'string' && user[k] !== '' ? (user[k] as string) : undefined);
  const certData = str('client-certificate-data');
  const certFile = str('client-certificate');
  const keyData = str('client-key-data');
  const keyFile = str('client-key');
  registerSecret(keyData);
  if (certData) target.certData = certData;
  if (certFile) target.certFile = certFile;
  if (keyData) target.keyData = keyData;
  if (keyFile) target.keyFile = keyFile;
  if (kind === 'basic') {
    target.username = str('username') as string;
    target.password = str('password') ?? '';
    registerSecret(target.password);
  }
  const provider = user['auth-provider'];
  if (kind === 'auth-provider' && provider) target.authProvider = { name: provider.name, ...(provider.config ? { config: provider.config } : {}) };
  return { kind, ...(token ? { token } : {}), target, hasRefreshToken: false };
}

function reviewTargetOf(resolved: ResolvedContext, cred: Credential): ReviewTarget {
  const c = resolved.cluster;
  const impersonate = resolved.user['as'];
  return {
    clusterName: resolved.clusterName,
    server: c.server as string,
    skipTLSVerify: c['insecure-skip-tls-verify'] === true,
    ...(c['certificate-authority-data'] ? { caData: c['certificate-authority-data'] } : {}),
    ...(!c['certificate-authority-data'] && c['certificate-authority'] ? { caFile: c['certificate-authority'] } : {}),
    ...(c['tls-server-name'] ? { tlsServerName: c['tls-server-name'] } : {}),
    ...(c['proxy-url'] ? { proxyUrl: c['proxy-url'] } : {}),
    ...(typeof impersonate === 'string' && impersonate !== '' ? { impersonateUser: impersonate } : {}),
    ...cred.target,
  };
}

export function formatWhoamiText(report: WhoamiReport, now: Date): string {
  const rows: Array<[string, string]> = [
    ['Username', report.username ?? ''],
    ...(report.uid ? ([['UID', report.uid]] as Array<[string, string]>) : []),
    ['Groups', summarizeList(report.groups ?? []) || '(none)'],
  ];
  for (const [k, v] of Object.entries(report.extra ?? {})) rows.push([`Extra: ${k}`, v.join(', ')]);
  if (report.token?.expiresAt) {
    const exp = new Date(report.token.expiresAt);
    rows.push(['Token expires', `${report.token.expiresAt} (${ago((now.getTime() - exp.getTime()) / 1000)})`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${k.padEnd(width)}${v}`).join('\n');
}

function refusalMessage(report: WhoamiReport, findings: Finding[], cred: Credential): string {
  const lines = [`The API server at ${report.server} refused the credentials of context "${report.context}" (user "${report.user}"): 401 Unauthorized.`];
  if (cred.kind === 'exec') {
    lines.push(`  The token came from the exec plugin: ${cred.execCommand ?? '(unknown)'}${cred.ourPlugin ? ` (print it with --raw added)` : ''}.`);
  }
  const certain = findings.filter((f) => f.certain);
  lines.push(certain.length ? '  Why:' : '  Nothing seen locally is certain to cause it; likely causes:');
  for (const f of certain.length ? certain : findings) {
    lines.push(`  - ${f.message}`, `    Fix: ${f.fix}`);
  }
  const possible = certain.length ? findings.filter((f) => !f.certain) : [];
  if (possible.length) {
    lines.push('  Also worth checking:');
    for (const f of possible) lines.push(`  - ${f.message}`, `    Fix: ${f.fix}`);
  }
  return lines.join('\n');
}

export async function runWhoami(input: WhoamiInput, deps: WhoamiDeps): Promise<WhoamiReport> {
  const view = await (deps.loadView ?? loadMergedView)({ kubeconfigFlag: input.kubeconfig, env: deps.env, homeDir: deps.homeDir });
  const resolved = resolveContext(view, input.context);
  const cred = await credentialOf(resolved, input, deps);
  const target = reviewTargetOf(resolved, cred);
  const base: WhoamiReport = {
    context: resolved.context,
    cluster: resolved.clusterName,
    server: target.server,
    user: resolved.userName,
    credential: cred.kind,
    authenticated: false,
  };
  const token = summarizeToken(cred.token);
  if (token) base.token = token;
  deps.out.verbose(`Context ${resolved.context} (${resolved.contextFile}): cluster ${resolved.clusterName} at ${target.server}, user ${resolved.userName} (${cred.kind}).`);

  const outcome = await deps.review(target, input.timeoutMs ? { timeoutMs: input.timeoutMs } : {});
  if (outcome.ok) {
    const u: ReviewedUser = outcome.userInfo;
    const report: WhoamiReport = {
      ...base,
      authenticated: true,
      apiVersion: outcome.apiVersion,
      username: u.username,
      ...(u.uid ? { uid: u.uid } : {}),
      groups: u.groups,
      extra: u.extra,
    };
    const claims = cred.token ? decode(cred.token)?.claims : undefined;
    if (claims && isRefreshToken(claims)) {
      deps.out.warn(
        `Security: the credential is a Casdoor refresh token, and the API server accepted it as a bearer token. It lacks --oidc-required-claim=tokenType=access-token ` +
          `(or the AuthenticationConfiguration's claimValidationRules): configure it as casdoor-kubeconfig apiserver-config prints, and give this context the id_token (re-run setup).`,
      );
    }
    if (input.output === 'json') deps.out.data(JSON.stringify(report, null, 2));
    else {
      deps.out.step(`The API server at ${target.server} authenticated context ${resolved.context} (${outcome.apiVersion} SelfSubjectReview).`);
      deps.out.data(formatWhoamiText(report, deps.now()));
    }
    return report;
  }

  const report: WhoamiReport = { ...base, status: outcome.status };
  if (outcome.status === 401) {
    const serverNow = outcome.serverDate ? new Date(outcome.serverDate) : undefined;
    const findings = diagnoseUnauthorized({
      token: cred.token,
      kind: cred.kind,
      expected: expectedTokenOf(resolved.user),
      claims: input.claims,
      now: deps.now(),
      ...(serverNow && !Number.isNaN(serverNow.getTime()) ? { serverNow } : {}),
      context: resolved.context,
      hasRefreshToken: cred.hasRefreshToken,
      ...(cred.execCommand ? { execCommand: cred.execCommand } : {}),
      ...(cred.ourPlugin !== undefined ? { ourPlugin: cred.ourPlugin } : {}),
    });
    report.findings = findings;
    if (input.output === 'json') deps.out.data(JSON.stringify(report, null, 2));
    throw new CliError('cluster', refusalMessage(report, findings, cred));
  }
  if (input.output === 'json') deps.out.data(JSON.stringify(report, null, 2));
  if (outcome.status === 404) {
    throw new CliError('cluster', `The API server at ${target.server} serves no SelfSubjectReview (404 for v1 and v1beta1): it is older than Kubernetes 1.27.`, {
      hint: `Use kubectl --context ${resolved.context} get --raw /api to check access instead, or upgrade the cluster.`,
    });
  }
  if (outcome.status === 403) {
    const anonymous = /system:anonymous/.test(outcome.message);
    throw new CliError('cluster', `The API server at ${target.server} refused the SelfSubjectReview: 403 Forbidden${outcome.message ? ` (${outcome.message})` : ''}.`, {
      hint: anonymous
        ? 'The request reached it as system:anonymous: the user entry sent no credentials the API server recognizes.'
        : 'The user is authenticated but may not create selfsubjectreviews (normally allowed for everyone through system:basic-user): check the cluster RBAC.',
    });
  }
  throw new CliError('cluster', `The API server at ${target.server} answered ${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}.`);
}
