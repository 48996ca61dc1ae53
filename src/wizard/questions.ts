/**
 * Every question of the wizard as data plus a pure validator. The ids are the names of the matching
 * `setup` flags (camelCased) where one exists: a flag given on the command line skips its question.
 */
import { isNamespace, missingScheme, NAMESPACE_RULE, parseServerUrl, SERVER_URL_EXAMPLE } from '../validate.js';
import type { ConfirmQuestion, InputQuestion, PasswordQuestion, SelectQuestion, Validator } from './types.js';

// ---- pure validators ------------------------------------------------------------------------------

export const required =
  (what: string): Validator =>
  (v) =>
    v.trim() !== '' || `Please enter ${what}.`;

/** A URL the wizard can try: http(s), no query, fragment or credentials. http is caught (and fixed) later. */
export function validateCasdoorUrl(v: string): true | string {
  const value = v.trim();
  if (value === '') return 'Please enter the Casdoor URL, for example https://door.example.com';
  const noScheme = missingScheme(value);
  if (noScheme) return noScheme;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL. Example: https://door.example.com`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `Use an https:// URL (got ${url.protocol}).`;
  if (url.search || url.hash) return 'Leave out the query (?…) and fragment (#…): give the Casdoor origin.';
  if (url.username || url.password) return 'The URL must not contain a user name or password.';
  return true;
}

export function validateServerUrl(v: string): true | string {
  if (v.trim() === '') return `Please enter the API server URL, for example ${SERVER_URL_EXAMPLE}`;
  const parsed = parseServerUrl(v);
  return parsed.ok ? true : `${parsed.problem}. Example: ${SERVER_URL_EXAMPLE}`;
}

export const validateClientId =
  (application: string | undefined): Validator =>
  (v) => {
    const value = v.trim();
    if (value === '') return "Please enter the Client ID (on the application's page in Casdoor).";
    if (/\s/.test(value)) return 'A Client ID has no spaces.';
    if (application && value === application) {
      return "That is the application's name. The Client ID is the random string shown as \"Client ID\" on its page.";
    }
    return true;
  };

export function validateUsername(v: string): true | string {
  const value = v.trim();
  if (value === '') return 'Please enter your Casdoor username.';
  if (value.includes('/')) return `Use the bare username without the organization: ${value.split('/').pop() ?? value}`;
  return true;
}

export function validateNamespace(v: string): true | string {
  const value = v.trim();
  if (value === '') return true;
  return isNamespace(value) || `A namespace is ${NAMESPACE_RULE}.`;
}

export function validateEntryName(v: string): true | string {
  if (v.trim() === '') return 'A name cannot be empty.';
  if (v !== v.trim()) return 'Leave out leading and trailing spaces.';
  return true;
}

/** `http://host/x` → `https://host/x` (what the wizard offers when Casdoor is given as http). */
export function httpsVersion(url: string): string {
  return url.replace(/^http:/i, 'https:');
}

// ---- the questions --------------------------------------------------------------------------------

export const Q = {
  action: <T>(choices: SelectQuestion<T>['choices']): SelectQuestion<T> => ({
    id: 'action',
    message: 'This kubeconfig already has contexts made by casdoor-kubeconfig. What do you want to do?',
    choices,
  }),
  casdoorUrl: (def: string | undefined, retry: boolean): InputQuestion => ({
    id: 'casdoorUrl',
    message: 'Casdoor URL (e.g. https://door.example.com):',
    ...(def !== undefined ? { default: def } : {}),
    ...(retry && def ? { editable: true } : {}),
    validate: validateCasdoorUrl,
  }),
  useHttps: (url: string): ConfirmQuestion => ({ id: 'useHttps', message: `Use ${url} instead?`, default: true }),
  useIssuer: (issuer: string): ConfirmQuestion => ({ id: 'useIssuer', message: `Use Casdoor's issuer ${issuer} instead?`, default: true }),
  casdoorCa: (def: string | undefined): InputQuestion => ({
    id: 'casdoorCa',
    message: "Casdoor's CA certificate file (PEM; empty: change the URL):",
    default: def ?? '',
  }),
  organization: (def: string | undefined): InputQuestion => ({
    id: 'organization',
    message: 'Organization (optional):',
    default: def ?? '',
  }),
  application: (def: string | undefined): InputQuestion => ({
    id: 'application',
    message: 'Application name (optional):',
    default: def ?? '',
  }),
  clientId: (def: string | undefined, application: string | undefined, retry: boolean): InputQuestion => ({
    id: 'clientId',
    message: "Client ID (on the application's page; not its name):",
    ...(def !== undefined ? { default: def } : {}),
    ...(retry && def ? { editable: true } : {}),
    validate: validateClientId(application),
  }),
  clientSecret: (): PasswordQuestion => ({
    id: 'clientSecret',
    // Why it is never stored: usecases/entries.ts OidcUserSpec.
    message: 'Client secret (optional: only checked with Casdoor now, never stored, since it is a Casdoor admin credential):',
  }),
  grant: <T>(choices: SelectQuestion<T>['choices'], def: T): SelectQuestion<T> => ({
    id: 'grant',
    message: 'How do you want to log in?',
    choices,
    default: def,
  }),
  username: (def: string | undefined, retry: boolean): InputQuestion => ({
    id: 'username',
    message: 'Casdoor username:',
    ...(def !== undefined ? { default: def } : {}),
    ...(retry && def ? { editable: true } : {}),
    validate: validateUsername,
  }),
  password: (username: string): PasswordQuestion => ({
    id: 'password',
    message: `Password for ${username}:`,
    validate: (v) => v !== '' || 'Please enter the password.',
  }),
  usernameClaim: <T>(choices: SelectQuestion<T>['choices'], def: T | undefined): SelectQuestion<T> => ({
    id: 'usernameClaim',
    message: "Username claim (the API server's --oidc-username-claim):",
    choices,
    ...(def !== undefined ? { default: def } : {}),
  }),
  groupsClaim: <T>(choices: SelectQuestion<T>['choices'], def: T | undefined): SelectQuestion<T> => ({
    id: 'groupsClaim',
    message: "Groups claim (the API server's --oidc-groups-claim):",
    choices,
    ...(def !== undefined ? { default: def } : {}),
  }),
  execCommandPath: (command: string, why: string, tool: string): ConfirmQuestion => ({
    id: 'execCommandPath',
    message: `kubectl runs the exec entry's command, but ${command} ${why}. Write this tool's absolute path instead (${tool})?`,
    default: true,
  }),
  otherClaims: (): ConfirmQuestion => ({
    id: 'otherClaims',
    message: 'The API server would reject this token. Pick other claims?',
    default: true,
  }),
  server: (def: string | undefined): InputQuestion => ({
    id: 'server',
    message: 'API server URL (e.g. https://api.k8s.example.com:6443):',
    ...(def !== undefined ? { default: def } : {}),
    validate: validateServerUrl,
  }),
  tls: <T>(choices: SelectQuestion<T>['choices'], def: T): SelectQuestion<T> => ({
    id: 'tls',
    message: "How should kubectl check the API server's certificate?",
    choices,
    default: def,
  }),
  certificateAuthority: (def: string | undefined, retry: boolean): InputQuestion => ({
    id: 'certificateAuthority',
    message: "API server's CA certificate file (PEM):",
    ...(def !== undefined ? { default: def } : {}),
    ...(retry && def ? { editable: true } : {}),
    validate: required('the path of the CA file'),
  }),
  insecureSkipTlsVerify: (): ConfirmQuestion => ({
    id: 'insecureSkipTlsVerify',
    message: 'Really skip TLS verification for this cluster?',
    default: false,
  }),
  unreachable: (): ConfirmQuestion => ({
    id: 'unreachable',
    message: 'Continue anyway (it may be reachable only from another network)?',
    default: true,
  }),
  keepNames: (): ConfirmQuestion => ({ id: 'keepNames', message: 'Use these names?', default: true }),
  cluster: (def: string): InputQuestion => ({ id: 'cluster', message: 'Cluster entry name:', default: def, validate: validateEntryName }),
  user: (def: string): InputQuestion => ({ id: 'user', message: 'User entry name:', default: def, validate: validateEntryName }),
  context: (def: string): InputQuestion => ({ id: 'context', message: 'Context name:', default: def, validate: validateEntryName }),
  namespace: (def: string | undefined): InputQuestion => ({
    id: 'namespace',
    message: 'Default namespace (optional):',
    default: def ?? '',
    validate: validateNamespace,
  }),
  target: <T>(choices: SelectQuestion<T>['choices']): SelectQuestion<T> => ({
    id: 'target',
    message: 'Where should the result go?',
    choices,
  }),
  kubeconfig: (def: string | undefined): InputQuestion => ({
    id: 'kubeconfig',
    message: 'Kubeconfig file to merge into:',
    ...(def !== undefined ? { default: def } : {}),
    validate: required('a file path'),
  }),
  output: (def: string): InputQuestion => ({
    id: 'output',
    message: 'Standalone kubeconfig file to write:',
    default: def,
    validate: required('a file path'),
  }),
  tokenCacheStorage: <T>(choices: SelectQuestion<T>['choices'], def: T): SelectQuestion<T> => ({
    id: 'tokenCacheStorage',
    message: 'Where should the plugin keep your tokens? (--token-cache-storage)',
    choices,
    default: def,
  }),
  mode: <T>(choices: SelectQuestion<T>['choices'], def: T): SelectQuestion<T> => ({
    id: 'mode',
    message: 'How should kubectl get your token?',
    choices,
    default: def,
  }),
  write: (where: string): ConfirmQuestion => ({ id: 'write', message: `Write these changes to ${where}?`, default: true }),
  /** No silent re-pointing (kubeconfig/replace.ts): the other contexts are named, and the default is no. */
  repoint: (conflicts: ReadonlyArray<{ kind: string; name: string; change: string; contexts: readonly string[] }>): ConfirmQuestion => ({
    id: 'repoint',
    message: `${conflicts.map((c) => `The ${c.kind} entry "${c.name}" is also used by ${c.contexts.map((n) => `context "${n}"`).join(', ')}; this setup changes it (${c.change}).`).join(' ')} Re-point ${conflicts.flatMap((c) => c.contexts).length === 1 ? 'that context' : 'those contexts'} too?`,
    default: false,
  }),
  apiserverConfig: (): ConfirmQuestion => ({
    id: 'apiserverConfig',
    message: 'Show the API server configuration for this Casdoor (for cluster admins)?',
    default: false,
  }),
};
