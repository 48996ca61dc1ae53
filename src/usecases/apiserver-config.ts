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
import type { Output } from '../cli/output.js';
import type { ProviderMetadata } from '../oidc/discovery.js';
import type { ClientCredentials } from '../oidc/grants.js';
import type { HttpClient } from '../oidc/http.js';
import { mapUsername, preflight, type ClaimSettings, type PreflightResult } from '../oidc/preflight.js';
import { readTemplate, renderText, renderYaml } from '../templates.js';
import { openSession, passwordLogin, type VerifiedLogin } from './login.js';
import { summarizeList } from '../list-summary.js';

export type ApiserverFormat = 'flags' | 'minikube' | 'authentication-config' | 'all' | 'json';
export const APISERVER_FORMATS: readonly ApiserverFormat[] = ['flags', 'minikube', 'authentication-config', 'all', 'json'];

/** Where the static-pod flags expect the Casdoor CA (kubeadm mounts /etc/kubernetes/pki into the pod). */
export const APISERVER_CA_FILE = '/etc/kubernetes/pki/casdoor-ca.crt';
/** minikube copies ~/.minikube/files/<path> to /<path> in the node at start. */
export const MINIKUBE_CA_FILE = '/var/lib/minikube/certs/oidc-ca.crt';
export const MINIKUBE_CA_HOST_DIR = '~/.minikube/files/var/lib/minikube/certs';

/** kube-apiserver's --oidc-signing-algs accepts these (asymmetric only). */
export const KUBE_SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'];

export interface KubernetesVersion {
  major: number;
  minor: number;
  raw: string;
}

export interface ApiserverSettings {
  /** The OIDC issuer: --casdoor-url, already checked to be https. */
  issuer: string;
  clientId: string;
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

/**
 * The AuthenticationConfiguration apiVersion a given Kubernetes version reads: v1beta1 from 1.30
 * (on by default), v1 from 1.34 (GA). 1.29 had only v1alpha1 behind a feature gate: refused.
 */
export function authenticationConfigApiVersion(v: KubernetesVersion): string {
  if (v.minor < 30) {
    throw usageError(
      `--kubernetes-version ${v.raw}: the structured AuthenticationConfiguration (--authentication-config) needs Kubernetes 1.30 or later (1.29 had only an alpha version behind a feature gate).`,
      'Use --format flags (or --format minikube): the --oidc-* flags work on every Kubernetes version.',
    );
  }
  return v.minor >= 34 ? 'apiserver.config.k8s.io/v1' : 'apiserver.config.k8s.io/v1beta1';
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

function claimSettings(s: ApiserverSettings): ClaimSettings {
  return {
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
  const flags = [`--oidc-issuer-url=${s.issuer}`, `--oidc-client-id=${s.clientId}`, `--oidc-username-claim=${s.usernameClaim}`];
  if (s.usernamePrefix !== undefined) flags.push(`--oidc-username-prefix=${s.usernamePrefix}`);
  flags.push(`--oidc-groups-claim=${s.groupsClaim}`);
  if (s.groupsPrefix) flags.push(`--oidc-groups-prefix=${s.groupsPrefix}`);
  flags.push(`--oidc-signing-algs=${s.signingAlgs.join(',')}`);
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

/** The flags section (pure apart from reading its template file). */
export function renderFlags(s: ApiserverSettings, template = readTemplate('apiserver-flags.txt')): string {
  const unsafe = apiserverFlags(s).filter((f) => !safeAsYamlListItem(f));
  return renderText(template, {
    issuer: s.issuer,
    clientId: s.clientId,
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
    clientId: q(s.clientId),
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
    clientId: s.clientId,
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
  flags: string[];
  minikube: string;
  authenticationConfiguration: AuthenticationConfiguration;
}

export function apiserverConfigJson(s: ApiserverSettings): ApiserverConfigJson {
  return {
    issuer: s.issuer,
    clientId: s.clientId,
    flags: apiserverFlags(s),
    minikube: renderMinikube(s),
    authenticationConfiguration: buildAuthenticationConfig(s).object,
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
      // Build the AuthenticationConfiguration first so a too-old --kubernetes-version fails before any output.
      const auth = buildAuthenticationConfig(s).text;
      return [renderFlags(s), renderMinikube(s), auth].map((t) => t.replace(/\n+$/, '')).join('\n\n') + '\n';
    }
  }
}

/** Formats that include the AuthenticationConfiguration (and so need Kubernetes ≥ 1.30). */
export function needsAuthenticationConfig(format: ApiserverFormat): boolean {
  return format === 'authentication-config' || format === 'all' || format === 'json';
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

/**
 * What the token says against what the configuration maps (pure): throws CliError('verify') when
 * the API server would reject the token, returns the preflight report otherwise.
 */
export function checkTokenAgainstSettings(login: VerifiedLogin, s: ApiserverSettings): PreflightResult {
  const { claims, header } = login.verified;
  if (claims.iss !== s.issuer) {
    throw new CliError('verify', `The token's issuer (iss) is ${JSON.stringify(claims.iss)}, not ${s.issuer}: the API server would reject every token.`, {
      hint: 'Casdoor\'s "origin" setting must equal the URL given as --casdoor-url (and --oidc-issuer-url).',
    });
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(s.clientId)) {
    throw new CliError('verify', `The token's audience (aud) ${JSON.stringify(claims.aud)} does not contain the client ID ${s.clientId}.`, {
      hint: 'Use the application\'s Client ID (not its name) for --client-id.',
    });
  }
  if (!s.signingAlgs.includes(header.alg)) {
    throw new CliError('verify', `Casdoor signs this token with ${header.alg}, but the configuration allows only ${s.signingAlgs.join(', ')}: the API server would reject it.`, {
      hint: `Add ${header.alg} to --signing-algs (or change the algorithm of the application's certificate in Casdoor).`,
    });
  }
  const report = preflight(claims, claimSettings(s));
  const fatal = report.warnings.filter((w) => w.fatal);
  if (fatal.length) {
    throw new CliError('verify', `A token from Casdoor would be rejected with this configuration: ${fatal.map((w) => w.message).join(' ')}`, {
      hint: 'Change --username-claim/--groups-claim (or the application\'s token format in Casdoor) and re-run with --from-token.',
    });
  }
  return report;
}

export async function runApiserverConfig(input: ApiserverConfigInput, deps: ApiserverConfigDeps): Promise<ApiserverConfigResult> {
  const { out } = deps;
  const s = input.settings;
  // Render first: a usage error (too old a Kubernetes for the format) must not wait for the network.
  const text = renderApiserverConfig(s, input.format);
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
    if (offered && offered.length && !s.signingAlgs.some((a) => offered.includes(a))) {
      out.warn(`Casdoor advertises the signing algorithms ${offered.join(', ')}, none of which is in --signing-algs ${s.signingAlgs.join(',')}.`);
    }
    let login: VerifiedLogin | undefined;
    let report: PreflightResult | undefined;
    if (input.fromToken) {
      const client: ClientCredentials = { clientId: s.clientId, ...(input.fromToken.clientSecret ? { clientSecret: input.fromToken.clientSecret } : {}) };
      login = await passwordLogin(session, client, input.fromToken.username, input.fromToken.password, deps.now());
      out.step(`Logged in as ${input.fromToken.username}; the id_token verified (${login.verified.header.alg}).`);
      report = checkTokenAgainstSettings(login, s);
      out.step(`The token's claims fit: the API server will see username ${report.username ?? '?'}${report.groups.length ? `, groups ${summarizeList(report.groups)}` : ', no groups'}.`);
      for (const w of report.warnings) out.warn(w.message);
    }
    out.data(text);
    return { text, meta: session.meta, ...(login ? { login } : {}), ...(report ? { report } : {}) };
  } finally {
    await http.close();
  }
}
