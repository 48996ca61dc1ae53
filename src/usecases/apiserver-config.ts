/**
 * `apiserver-config`: what a cluster administrator pastes into kube-apiserver (or minikube) so the
 * API server accepts Casdoor's id_tokens — the legacy --oidc-* flags, the minikube start line and
 * the structured AuthenticationConfiguration — rendered from templates/ by pure functions.
 *
 * `runApiserverConfig` adds the checks that need the network: discovery (the issuer printed is the
 * issuer Casdoor reports, because kube-apiserver compares the token's `iss` with it as an exact
 * string) and, with a real login, that the claims mapped exist and have the types the API server
 * requires. Knows nothing of argv.
 */
import yaml from 'js-yaml';
import { CliError, usageError } from '../errors.js';
import type { Output } from '../ports/output.js';
import type { ProviderMetadata } from '../oidc/discovery.js';
import type { ClientCredentials } from '../oidc/grants.js';
import type { HttpClient } from '../oidc/http.js';
import { ACCESS_TOKEN_RULE, CUSTOM_REFRESH_RULE, EMAIL_VERIFIED_RULE, type ValidationRule } from '../oidc/kube-rules.js';
import { mapUsername, preflight, type ClaimSettings, type PreflightResult } from '../oidc/preflight.js';
import { readTemplate, renderText, renderYaml } from '../templates.js';
import { openSession, passwordLogin, type VerifiedLogin } from './login.js';
import { summarizeList } from '../list-summary.js';
import { APISERVER_CA_FILE, KUBE_SIGNING_ALGS, MINIKUBE_CA_FILE, MINIKUBE_CA_HOST_DIR, type ApiserverFormat } from './apiserver-options.js';

// The choices and paths the command's help names, in a leaf module (loaded on every start, --help included).
export { APISERVER_CA_FILE, APISERVER_FORMATS, KUBE_SIGNING_ALGS, MINIKUBE_CA_FILE, MINIKUBE_CA_HOST_DIR, type ApiserverFormat } from './apiserver-options.js';

export interface KubernetesVersion {
  major: number;
  minor: number;
  raw: string;
}

export interface ApiserverSettings {
  /** The OIDC issuer: --casdoor-url, already checked to be https. */
  issuer: string;
  clientId: string;
  /**
   * The audience the API server requires (--oidc-client-id, `audiences`): the client id, unless the
   * tokens carry Casdoor's shared-application audience `<clientId>-org-<organization>` or an RFC 8707
   * resource (found by --from-token). Undefined = the client id.
   */
  audience?: string;
  /** Require tokenType=access-token (refuses Casdoor refresh tokens). Default true. */
  requireAccessToken?: boolean;
  usernameClaim: string;
  /** --oidc-username-prefix: undefined = flag unset (kube-apiserver then uses "<issuer>#" unless the claim is email), '-' = none. */
  usernamePrefix?: string;
  groupsClaim: string;
  /** --oidc-groups-prefix: undefined or '' = none. */
  groupsPrefix?: string;
  signingAlgs: string[];
  /** --casdoor-ca: the file as given (for copy instructions) and its PEM text (inlined in the AuthenticationConfiguration). */
  casdoorCa?: { file: string; pem: string };
  kubernetesVersion: KubernetesVersion;
}

/** Parses `1.32`, `v1.32`, `1.32.3`, `v1.33.0-rc.1` (pure). */
export function parseKubernetesVersion(raw: string): KubernetesVersion {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?$/.exec(raw.trim());
  if (!m || m[1] !== '1') {
    throw usageError(`--kubernetes-version: "${raw}" is not a Kubernetes version.`, 'Give the minor version of the cluster, for example --kubernetes-version 1.32');
  }
  return { major: 1, minor: Number(m[2]), raw: raw.trim() };
}

/** Why a Kubernetes version cannot read the AuthenticationConfiguration printed, or undefined. */
export function authenticationConfigUnsupported(v: KubernetesVersion): string | undefined {
  return v.minor < 30
    ? `the structured AuthenticationConfiguration (--authentication-config) needs Kubernetes 1.30 or later; ${v.raw} has only apiserver.config.k8s.io/v1alpha1 behind the StructuredAuthenticationConfiguration feature gate (from 1.29)`
    : undefined;
}

/**
 * The AuthenticationConfiguration apiVersion a given Kubernetes version reads: v1beta1 from 1.30
 * (on by default), v1 from 1.34 (GA). 1.29 had only v1alpha1 behind a feature gate: refused.
 */
export function authenticationConfigApiVersion(v: KubernetesVersion): string {
  const unsupported = authenticationConfigUnsupported(v);
  if (unsupported) {
    throw usageError(`--kubernetes-version ${v.raw}: ${unsupported}.`, 'Use --format flags (or --format minikube): the --oidc-* flags work on every Kubernetes version.');
  }
  return v.minor >= 34 ? 'apiserver.config.k8s.io/v1' : 'apiserver.config.k8s.io/v1beta1';
}

/** The audience the API server must require (pure). */
export const audienceOf = (s: Pick<ApiserverSettings, 'audience' | 'clientId'>): string => s.audience ?? s.clientId;

/** --oidc-required-claim pairs (pure): tokenType=access-token unless turned off. */
export function requiredClaims(s: Pick<ApiserverSettings, 'requireAccessToken'>): Array<{ claim: string; requiredValue: string }> {
  return s.requireAccessToken === false ? [] : [{ ...ACCESS_TOKEN_RULE }];
}

/**
 * claimValidationRules of the AuthenticationConfiguration (pure): the required claims, then (CEL) the
 * JWT-Custom refresh token's `TokenType`, which no flag can express, and a verified email when the
 * username claim is `email` (oidc.go getUsername alone accepts a token without email_verified).
 */
export function claimValidationRules(s: Pick<ApiserverSettings, 'requireAccessToken' | 'usernameClaim'>): ValidationRule[] {
  return [
    ...requiredClaims(s),
    { ...CUSTOM_REFRESH_RULE },
    ...(s.usernameClaim === 'email' ? [{ ...EMAIL_VERIFIED_RULE }] : []),
  ];
}

/** Checks --signing-algs against what kube-apiserver accepts (pure). */
export function parseSigningAlgs(raw: string): string[] {
  const algs = raw.split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (algs.length === 0) throw usageError('--signing-algs must name at least one algorithm, e.g. RS256.');
  const bad = algs.filter((a) => !KUBE_SIGNING_ALGS.includes(a));
  if (bad.length) {
    throw usageError(`--signing-algs: ${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not accepted by kube-apiserver.`, `Use a comma-separated list of ${KUBE_SIGNING_ALGS.join(', ')} (Casdoor signs with the algorithm set in the application's certificate; RS256 by default).`);
  }
  return [...new Set(algs)];
}

function claimSettings(s: ApiserverSettings, rules: readonly ValidationRule[]): ClaimSettings {
  return {
    rules,
    issuer: s.issuer,
    usernameClaim: s.usernameClaim,
    groupsClaim: s.groupsClaim,
    ...(s.usernamePrefix !== undefined ? { usernamePrefix: s.usernamePrefix } : {}),
    ...(s.groupsPrefix ? { groupsPrefix: s.groupsPrefix } : {}),
  };
}

/**
 * The prefix kube-apiserver puts before the username claim, made explicit: the structured
 * configuration has no "unset" (its prefix is required), so the legacy default "<issuer>#" is
 * spelled out. mapUsername of an empty value is exactly that prefix.
 */
export function effectiveUsernamePrefix(s: Pick<ApiserverSettings, 'issuer' | 'usernameClaim' | 'usernamePrefix'>): string {
  return mapUsername('', { issuer: s.issuer, usernameClaim: s.usernameClaim, ...(s.usernamePrefix !== undefined ? { usernamePrefix: s.usernamePrefix } : {}) });
}

/** One sentence on how claims become the username and groups the API server sees (pure). */
export function describeMapping(s: ApiserverSettings): string {
  const prefix = effectiveUsernamePrefix(s);
  const user = prefix === '' ? `the "${s.usernameClaim}" claim as is` : `"${prefix}" + the "${s.usernameClaim}" claim`;
  const casdoorGroups = s.groupsClaim === 'groups' ? ' (Casdoor: "<organization>/<group>")' : '';
  const groups = s.groupsPrefix ? `"${s.groupsPrefix}" + each "${s.groupsClaim}" value${casdoorGroups}` : `the "${s.groupsClaim}" claim values${casdoorGroups} as is`;
  return `Usernames will be ${user}; groups ${groups}. RBAC must name them so: see casdoor-kubeconfig rbac.`;
}

/** The kube-apiserver flags, one `--flag=value` each (pure). */
export function apiserverFlags(s: ApiserverSettings): string[] {
  const flags = [`--oidc-issuer-url=${s.issuer}`, `--oidc-client-id=${audienceOf(s)}`, `--oidc-username-claim=${s.usernameClaim}`];
  if (s.usernamePrefix !== undefined) flags.push(`--oidc-username-prefix=${s.usernamePrefix}`);
  flags.push(`--oidc-groups-claim=${s.groupsClaim}`);
  if (s.groupsPrefix) flags.push(`--oidc-groups-prefix=${s.groupsPrefix}`);
  flags.push(`--oidc-signing-algs=${s.signingAlgs.join(',')}`);
  for (const r of requiredClaims(s)) flags.push(`--oidc-required-claim=${r.claim}=${r.requiredValue}`);
  if (s.casdoorCa) flags.push(`--oidc-ca-file=${APISERVER_CA_FILE}`);
  return flags;
}

/** Whether `- <line>` in a YAML list (the static pod's command) would be read back as that exact string. */
export function safeAsYamlListItem(line: string): boolean {
  try {
    const parsed = yaml.load(`- ${line}`);
    return Array.isArray(parsed) && parsed.length === 1 && parsed[0] === line;
  } catch {
    return false;
  }
}

function caSource(s: ApiserverSettings): string {
  return s.casdoorCa ? s.casdoorCa.file : '';
}

/** Comment lines shared by the flags and minikube outputs (pure); undefined = no line. */
function flagNotes(s: ApiserverSettings): Record<string, string | undefined> {
  const required = requiredClaims(s)[0];
  return {
    requiredClaim: required ? `${required.claim}=${required.requiredValue}` : undefined,
    requiredClaimNote: required
      ? "tokenType=access-token: Casdoor's refresh token is a JWT with the same key, iss and aud (valid for days); without this the API server accepts it as a bearer token. With the JWT-Custom token format both tokens say access-token: only the AuthenticationConfiguration's TokenType rule refuses refresh tokens there."
      : 'No tokenType requirement: these tokens carry no tokenType claim (seen with --from-token), so Casdoor refresh tokens cannot be told apart by the flags.',
    emailNote:
      s.usernameClaim === 'email'
        ? 'Username claim email: kube-apiserver refuses email_verified=false but accepts a token WITHOUT email_verified (Casdoor\'s JWT-Standard and JWT-Empty formats omit it for unverified emails): these flags cannot require it; the AuthenticationConfiguration does (claimValidationRules).'
        : undefined,
    audienceNote:
      audienceOf(s) !== s.clientId
        ? `The audience is ${audienceOf(s)}, not the client ID ${s.clientId}: the tokens carry it (${/-org-/.test(audienceOf(s)) && audienceOf(s).startsWith(`${s.clientId}-org-`) ? 'a shared Casdoor application: <clientId>-org-<organization>' : 'an RFC 8707 resource'}), and kube-apiserver compares it exactly.`
        : undefined,
  };
}

/** The flags section (pure apart from reading its template file). */
export function renderFlags(s: ApiserverSettings, template = readTemplate('apiserver-flags.txt')): string {
  const unsafe = apiserverFlags(s).filter((f) => !safeAsYamlListItem(f));
  return renderText(template, {
    issuer: s.issuer,
    clientId: audienceOf(s),
    ...flagNotes(s),
    usernameClaim: s.usernameClaim,
    usernamePrefix: s.usernamePrefix,
    groupsClaim: s.groupsClaim,
    groupsPrefix: s.groupsPrefix ? s.groupsPrefix : undefined,
    signingAlgs: s.signingAlgs.join(','),
    caFile: s.casdoorCa ? APISERVER_CA_FILE : undefined,
    yamlQuoteNote: unsafe.length ? `In the YAML manifest quote ${unsafe.length === 1 ? 'this item' : 'these items'}: ${unsafe.map((f) => `- ${JSON.stringify(f)}`).join(', ')}` : undefined,
    caNote: s.casdoorCa
      ? `Copy the Casdoor CA (${caSource(s)}) to ${APISERVER_CA_FILE} on every control-plane node (kubeadm mounts /etc/kubernetes/pki into the API server pod).`
      : 'Casdoor\'s TLS certificate must chain to a CA the API server trusts; for a private CA re-run with --casdoor-ca FILE.',
    mappingNote: describeMapping(s),
  });
}

/** POSIX shell quoting for one word (pure). */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The minikube section: optional CA copy, then `minikube start --extra-config=…` (pure apart from its template file). */
export function renderMinikube(s: ApiserverSettings, template = readTemplate('minikube.sh')): string {
  const q = shellQuote;
  return renderText(template, {
    issuer: q(s.issuer),
    clientId: q(audienceOf(s)),
    ...flagNotes(s),
    requiredClaim: flagNotes(s).requiredClaim === undefined ? undefined : q(flagNotes(s).requiredClaim as string),
    usernameClaim: q(s.usernameClaim),
    usernamePrefix: s.usernamePrefix === undefined ? undefined : q(s.usernamePrefix),
    groupsClaim: q(s.groupsClaim),
    groupsPrefix: s.groupsPrefix ? q(s.groupsPrefix) : undefined,
    signingAlgs: q(s.signingAlgs.join(',')),
    caFile: s.casdoorCa ? MINIKUBE_CA_FILE : undefined,
    caNote: s.casdoorCa
      ? `minikube copies ~/.minikube/files/… into the node at start: put the Casdoor CA there first.`
      : 'Casdoor\'s TLS certificate must chain to a CA the node trusts; for a private CA re-run with --casdoor-ca FILE.',
    // `~` stays unquoted so the shell expands it.
    caMkdir: s.casdoorCa ? `mkdir -p ${MINIKUBE_CA_HOST_DIR}` : undefined,
    caCopy: s.casdoorCa ? `cp ${q(s.casdoorCa.file)} ${MINIKUBE_CA_HOST_DIR}/oidc-ca.crt` : undefined,
    mappingNote: describeMapping(s),
  });
}

export interface AuthenticationConfiguration {
  apiVersion: string;
  kind: 'AuthenticationConfiguration';
  jwt: Array<{
    issuer: { url: string; audiences: string[]; certificateAuthority?: string };
    claimValidationRules?: ValidationRule[];
    claimMappings: { username: { claim: string; prefix: string }; groups: { claim: string; prefix: string } };
  }>;
}

/**
 * The AuthenticationConfiguration (pure apart from its template file). Throws a usage error for
 * Kubernetes < 1.30. Every claim mapping carries an explicit prefix because the API server rejects a
 * claim without one.
 */
export function buildAuthenticationConfig(s: ApiserverSettings, template = readTemplate('authentication-config.yaml')): { object: AuthenticationConfiguration; text: string } {
  const apiVersion = authenticationConfigApiVersion(s.kubernetesVersion);
  const { object, text } = renderYaml(template, {
    apiVersion,
    apiVersionNote: `${apiVersion} for Kubernetes ${s.kubernetesVersion.raw} (v1beta1 is read by 1.30–1.33, v1 by 1.34 and later; see --kubernetes-version).`,
    issuer: s.issuer,
    clientId: audienceOf(s),
    audiences: [audienceOf(s)],
    audienceNote: flagNotes(s).audienceNote,
    claimValidationRules: claimValidationRules(s),
    rulesNote:
      'claimValidationRules: tokenType=access-token and no TokenType claim refuse Casdoor refresh tokens (all token formats)' +
      (s.usernameClaim === 'email' ? '; a verified email is required, since kube-apiserver alone accepts a token without email_verified.' : '.') +
      ' No algorithm list exists here: every asymmetric algorithm is accepted.',
    certificateAuthority: s.casdoorCa?.pem,
    caNote: s.casdoorCa
      ? `certificateAuthority holds the PEM of ${caSource(s)}, inlined: no file to copy.`
      : 'Casdoor\'s TLS certificate must chain to a CA the API server trusts; for a private CA re-run with --casdoor-ca FILE.',
    usernameClaim: s.usernameClaim,
    usernamePrefix: effectiveUsernamePrefix(s),
    groupsClaim: s.groupsClaim,
    groupsPrefix: s.groupsPrefix ?? '',
    mappingNote: describeMapping(s),
  });
  return { object: object as unknown as AuthenticationConfiguration, text };
}

export interface ApiserverConfigJson {
  issuer: string;
  clientId: string;
  /** What the API server requires in `aud`. */
  audience: string;
  flags: string[];
  minikube: string;
  /** Absent before Kubernetes 1.30 (see authenticationConfigurationNote). */
  authenticationConfiguration?: AuthenticationConfiguration;
  authenticationConfigurationNote?: string;
}

export function apiserverConfigJson(s: ApiserverSettings): ApiserverConfigJson {
  const unsupported = authenticationConfigUnsupported(s.kubernetesVersion);
  return {
    issuer: s.issuer,
    clientId: s.clientId,
    audience: audienceOf(s),
    flags: apiserverFlags(s),
    minikube: renderMinikube(s),
    ...(unsupported ? { authenticationConfigurationNote: `${unsupported}.` } : { authenticationConfiguration: buildAuthenticationConfig(s).object }),
  };
}

/** The text printed on stdout for a format (pure apart from reading templates). */
export function renderApiserverConfig(s: ApiserverSettings, format: ApiserverFormat): string {
  switch (format) {
    case 'flags':
      return renderFlags(s);
    case 'minikube':
      return renderMinikube(s);
    case 'authentication-config':
      return buildAuthenticationConfig(s).text;
    case 'json':
      return `${JSON.stringify(apiserverConfigJson(s), null, 2)}\n`;
    case 'all': {
      // Before 1.30 the flags are what the cluster accepts: say why the structured config is left out.
      const unsupported = authenticationConfigUnsupported(s.kubernetesVersion);
      const auth = unsupported
        ? `# ── AuthenticationConfiguration: not printed ─────────────────────────────────\n# Kubernetes ${s.kubernetesVersion.raw}: ${unsupported}. Use the flags above.`
        : buildAuthenticationConfig(s).text;
      return [renderFlags(s), renderMinikube(s), auth].map((t) => t.replace(/\n+$/, '')).join('\n\n') + '\n';
    }
  }
}

/** Formats that need Kubernetes ≥ 1.30 (all and json print the flags alone before that). */
export function needsAuthenticationConfig(format: ApiserverFormat): boolean {
  return format === 'authentication-config';
}

/** Formats whose output carries --oidc-signing-algs (the AuthenticationConfiguration has no algorithm list). */
export function printsSigningAlgs(format: ApiserverFormat): boolean {
  return format !== 'authentication-config';
}

export interface ApiserverConfigInput {
  settings: ApiserverSettings;
  format: ApiserverFormat;
  /** Skip discovery: nothing checks that the issuer printed is the issuer Casdoor reports. */
  offline: boolean;
  /** Log in with these and check the token against the settings. */
  fromToken?: { username: string; password: string; clientSecret?: string };
}

export interface ApiserverConfigDeps {
  out: Output;
  now: () => Date;
  makeHttp: (caPem?: string) => HttpClient;
}

export interface ApiserverConfigResult {
  text: string;
  meta?: ProviderMetadata;
  login?: VerifiedLogin;
  report?: PreflightResult;
}

export interface TokenCheck {
  report: PreflightResult;
  /** The settings adjusted to what the token really carries (audience, tokenType). */
  settings: ApiserverSettings;
  /** What was adjusted and why, and what the admin should know. */
  notes: string[];
}

/**
 * What the token says against what the configuration maps (pure): throws CliError('verify') when
 * the API server configured by `format` would reject the token; otherwise the preflight report and the
 * settings adjusted to the audience and tokenType the token really carries.
 */
export function checkTokenAgainstSettings(login: VerifiedLogin, input: ApiserverSettings, format: ApiserverFormat = 'all'): TokenCheck {
  const { claims, header } = login.verified;
  const notes: string[] = [...login.verified.warnings];
  let s = input;
  // oidc.go AuthenticateToken hasCorrectIssuer, go-oidc verify.go Verify: iss compared as an exact string.
  if (claims.iss !== s.issuer) {
    throw new CliError('verify', `The token's issuer (iss) is ${JSON.stringify(claims.iss)}, not ${s.issuer}: the API server would reject every token.`, {
      hint: 'Casdoor\'s "origin" setting must equal the URL given as --casdoor-url (and --oidc-issuer-url).',
    });
  }
  // go-oidc verify.go Verify: contains(t.Audience, ClientID), exact. Casdoor's shared applications and
  // RFC 8707 resources put another audience than the client id (verify.ts accepted it as such).
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(audienceOf(s))) {
    if (s.audience === undefined && login.verified.audienceKind !== 'client') {
      s = { ...s, audience: login.verified.audience };
      notes.push(`The tokens carry the audience ${login.verified.audience}, not the client ID: printed as the API server's audience (--oidc-client-id / audiences).`);
    } else {
      throw new CliError('verify', `The token's audience (aud) ${JSON.stringify(claims.aud)} does not contain ${audienceOf(s)}.`, {
        hint: 'Use the application\'s Client ID (not its name) for --client-id.',
      });
    }
  }
  // --from-token drops the tokenType requirement only when the token lacks the claim (older Casdoor, or a
  // JWT-Custom format without it): the API server would otherwise refuse every token.
  if (s.requireAccessToken !== false && !Object.hasOwn(claims, 'tokenType')) {
    s = { ...s, requireAccessToken: false };
    notes.push('The token has no tokenType claim: the tokenType=access-token requirement is left out (it would refuse every token), so nothing in the configuration tells Casdoor refresh tokens apart.');
  }
  // go-oidc verify.go Verify: the header alg must be in --oidc-signing-algs. The AuthenticationConfiguration
  // has no such list (every asymmetric algorithm is accepted): never refuse it over the algorithm.
  if (!s.signingAlgs.includes(header.alg) && printsSigningAlgs(format)) {
    const problem = `Casdoor signs this token with ${header.alg}, but --signing-algs allows only ${s.signingAlgs.join(', ')}: an API server given these flags would reject it.`;
    const hint = `Add ${header.alg} to --signing-algs (or change the application's token signing method in Casdoor).`;
    if (format === 'flags' || format === 'minikube') throw new CliError('verify', problem, { hint });
    notes.push(`${problem} ${hint} (The AuthenticationConfiguration accepts it: it has no algorithm list.)`);
  }
  const rules = format === 'authentication-config' ? claimValidationRules(s) : requiredClaims(s);
  const report = preflight(claims, claimSettings(s, rules));
  const fatal = report.warnings.filter((w) => w.fatal);
  if (fatal.length) {
    throw new CliError('verify', `A token from Casdoor would be rejected with this configuration: ${fatal.map((w) => w.message).join(' ')}`, {
      hint: 'Change --username-claim/--groups-claim (or the application\'s token format in Casdoor) and re-run with --from-token.',
    });
  }
  return { report, settings: s, notes };
}

export async function runApiserverConfig(input: ApiserverConfigInput, deps: ApiserverConfigDeps): Promise<ApiserverConfigResult> {
  const { out } = deps;
  let s = input.settings;
  // Render first: a usage error (too old a Kubernetes for the format) must not wait for the network.
  let text = renderApiserverConfig(s, input.format);
  if (input.offline) {
    out.warn(`--offline: discovery skipped, so nothing checked that Casdoor reports its issuer as exactly ${s.issuer}.`);
    out.data(text);
    return { text };
  }
  const http = deps.makeHttp(s.casdoorCa?.pem);
  try {
    const session = await openSession(http, s.issuer);
    out.step(`Casdoor's discovery document reports the issuer ${session.meta.issuer}, as printed.`);
    const offered = session.meta.id_token_signing_alg_values_supported;
    if (printsSigningAlgs(input.format) && offered && offered.length && !s.signingAlgs.some((a) => offered.includes(a))) {
      out.warn(`Casdoor advertises the signing algorithms ${offered.join(', ')}, none of which is in --signing-algs ${s.signingAlgs.join(',')}.`);
    }
    let login: VerifiedLogin | undefined;
    let report: PreflightResult | undefined;
    if (input.fromToken) {
      const client: ClientCredentials = { clientId: s.clientId, ...(input.fromToken.clientSecret ? { clientSecret: input.fromToken.clientSecret } : {}) };
      login = await passwordLogin(session, client, input.fromToken.username, input.fromToken.password, deps.now());
      out.step(`Logged in as ${input.fromToken.username}; the id_token verified (${login.verified.header.alg}).`);
      const checked = checkTokenAgainstSettings(login, s, input.format);
      report = checked.report;
      for (const n of checked.notes) out.warn(n);
      if (checked.settings !== s) {
        s = checked.settings;
        text = renderApiserverConfig(s, input.format);
      }
      out.step(`The token's claims fit: the API server will see username ${report.username ?? '?'}${report.groups.length ? `, groups ${summarizeList(report.groups)}` : ', no groups'}.`);
      for (const w of report.warnings) out.warn(w.message);
    }
    out.data(text);
    return { text, meta: session.meta, ...(login ? { login } : {}), ...(report ? { report } : {}) };
  } finally {
    await http.close();
  }
}
