/**
 * Builds the kubeconfig entries setup writes (pure): a cluster, an OIDC user and a context, with
 * readable default names. The user entry is kubectl's legacy `oidc` auth-provider, which needs
 * `idp-issuer-url` (kubectl refuses the user without it, even when the token is valid).
 */
import type { NamedUser } from '../kubeconfig/model.js';
import { hostOf } from '../validate.js';
import { INSTALL_METHODS } from '../install-info.js';

export interface ClusterSpec {
  server: string;
  certificateAuthorityData?: string;
  insecureSkipTlsVerify?: boolean;
}

/**
 * No client secret here, by design: Casdoor turns an application's client id + secret into the identity
 * `app/<name>`, allowed on every API endpoint (routers/base.go getUsernameByClientIdSecret, authz/authz.go
 * IsAllowed), so a kubeconfig holding it would hand out Casdoor administration. kubectl's oidc
 * auth-provider refreshes without it (it sends client_secret only when the entry has one), and Casdoor's
 * refresh grant checks the secret only when one is sent (object/token_oauth_util.go RefreshToken).
 */
export interface OidcUserSpec {
  issuer: string;
  clientId: string;
  idToken: string;
  refreshToken?: string;
  /** base64 of the extra CA trusted for Casdoor, so kubectl's own refresh can reach it. */
  idpCaData?: string;
}

export interface EntryNames {
  cluster: string;
  user: string;
  context: string;
}

export interface SetupEntries {
  cluster: { name: string; cluster: Record<string, unknown> };
  user: { name: string; user: Record<string, unknown> };
  context: { name: string; context: Record<string, unknown> };
  currentContext?: string;
}

/**
 * Readable default names: cluster = API server host, user = username@casdoor-host/client-id, context =
 * username@cluster. The client id is part of the user name because two applications on one Casdoor are
 * two identities (another audience, another API server accepting it): with `alice@door` for both, the
 * second setup would replace the entry the first one's contexts use.
 */
export function defaultNames(input: { server: string; casdoorUrl: string; username: string; clientId?: string }, given: Partial<EntryNames> = {}): EntryNames {
  const cluster = given.cluster ?? hostOf(input.server);
  const user = given.user ?? `${input.username}@${hostOf(input.casdoorUrl)}${input.clientId ? `/${input.clientId}` : ''}`;
  const context = given.context ?? `${input.username}@${cluster}`;
  return { cluster, user, context };
}

export function clusterEntry(name: string, spec: ClusterSpec): SetupEntries['cluster'] {
  const cluster: Record<string, unknown> = { server: spec.server };
  if (spec.certificateAuthorityData) cluster['certificate-authority-data'] = spec.certificateAuthorityData;
  if (spec.insecureSkipTlsVerify) cluster['insecure-skip-tls-verify'] = true;
  return { name, cluster };
}

export function oidcUserEntry(name: string, spec: OidcUserSpec): SetupEntries['user'] {
  const config: Record<string, string> = {
    'client-id': spec.clientId,
    'id-token': spec.idToken,
    ...(spec.refreshToken ? { 'refresh-token': spec.refreshToken } : {}),
    'idp-issuer-url': spec.issuer,
    ...(spec.idpCaData ? { 'idp-certificate-authority-data': spec.idpCaData } : {}),
  };
  return { name, user: { 'auth-provider': { name: 'oidc', config } } };
}

/**
 * The same user entry without `client-secret` in its auth-provider config (or `--client-secret` in its
 * exec args); undefined when it has none. Written by hand or by an earlier version: `refresh
 * --remove-client-secret` takes it out, keeping everything else.
 */
export function withoutClientSecret(entry: NamedUser): NamedUser | undefined {
  const ap = entry.user?.['auth-provider'];
  if (ap?.config && 'client-secret' in ap.config) {
    const { 'client-secret': _gone, ...config } = ap.config;
    return { ...entry, user: { ...entry.user, 'auth-provider': { ...ap, config } } };
  }
  const exec = entry.user?.exec;
  const args = exec?.args;
  if (exec && Array.isArray(args)) {
    const kept: unknown[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--client-secret') i++;
      else if (typeof a === 'string' && a.startsWith('--client-secret=')) continue;
      else kept.push(a);
    }
    if (kept.length !== args.length) return { ...entry, user: { ...entry.user, exec: { ...exec, args: kept as string[] } } };
  }
  return undefined;
}

/** The tokens an `oidc` auth-provider entry holds. */
export interface AuthProviderTokens {
  idToken: string;
  /** Absent: the entry keeps no refresh token (a login that returned none). */
  refreshToken?: string | undefined;
}

/**
 * The same user entry with its auth-provider `id-token` and `refresh-token` replaced by `tokens`, or
 * removed when `tokens` is undefined (logout). Everything else (unknown keys, client-secret, the CA, the
 * order of the keys) is kept. Meant for the entry as read under the kubeconfig lock (updateUserEntry),
 * never for an older copy: refresh, logout and the wizard's renewal all change tokens through it.
 */
export function withAuthProviderTokens(entry: NamedUser, tokens: AuthProviderTokens | undefined): NamedUser {
  const ap = entry.user['auth-provider'] ?? { name: 'oidc' };
  // Assigning to a key that exists keeps its place, so a refresh changes only the two token lines.
  const config: Record<string, string> = { ...(ap.config ?? {}) };
  if (tokens) config['id-token'] = tokens.idToken;
  else delete config['id-token'];
  if (tokens?.refreshToken) config['refresh-token'] = tokens.refreshToken;
  else delete config['refresh-token'];
  return { ...entry, user: { ...entry.user, 'auth-provider': { ...ap, config } } };
}

export function contextEntry(names: EntryNames, namespace?: string): SetupEntries['context'] {
  return {
    name: names.context,
    context: { cluster: names.cluster, user: names.user, ...(namespace ? { namespace } : {}) },
  };
}

export interface ExecUserSpec {
  /** The command kubectl runs (default `casdoor-kubeconfig`; an absolute path works anywhere). */
  command: string;
  issuer: string;
  clientId: string;
  /** Absolute path of the extra CA to trust for Casdoor. */
  casdoorCaFile?: string;
  grant?: string;
  username?: string;
  /** --scope for the logins `token` makes (not part of the cache key). */
  scope?: string;
  /** Browser login: --listen-address values, in order (first free wins). */
  listenAddresses?: readonly string[];
  /** RFC 8707 --resource (browser grant): the audience of this cluster; part of the cache key. */
  resource?: string;
  /** --token-cache-storage, when not the default disk. */
  tokenCacheStorage?: 'keyring' | 'none';
}

export const EXEC_API_VERSION = 'client.authentication.k8s.io/v1';

/** The `token` arguments that identify one cache entry; shared by setup, generate and refresh. */
export function tokenArgs(spec: Omit<ExecUserSpec, 'command'>): string[] {
  return [
    'token',
    '--casdoor-url', spec.issuer,
    '--client-id', spec.clientId,
    ...(spec.casdoorCaFile ? ['--casdoor-ca', spec.casdoorCaFile] : []),
    ...(spec.grant ? ['--grant', spec.grant] : []),
    // `--username=-bob`: as a separate argument, a value starting with '-' would be read as an option
    // (node:util parseArgs in the token fast path refuses it as ambiguous; commander takes it for a flag).
    ...(spec.username ? (spec.username.startsWith('-') ? [`--username=${spec.username}`] : ['--username', spec.username]) : []),
    ...(spec.scope ? ['--scope', spec.scope] : []),
    ...(spec.resource ? ['--resource', spec.resource] : []),
    ...(spec.listenAddresses ?? []).flatMap((a) => ['--listen-address', a]),
    ...(spec.tokenCacheStorage ? ['--token-cache-storage', spec.tokenCacheStorage] : []),
  ];
}

/**
 * An exec credential plugin user: kubectl runs `casdoor-kubeconfig token …` for every command. No
 * client secret and no token in the file: tokens live in the plugin's private cache.
 */
export function execUserEntry(name: string, spec: ExecUserSpec): SetupEntries['user'] {
  return {
    name,
    user: {
      exec: {
        apiVersion: EXEC_API_VERSION,
        command: spec.command,
        args: tokenArgs(spec),
        env: null,
        interactiveMode: 'IfAvailable',
        provideClusterInfo: false,
        installHint: [
          'casdoor-kubeconfig logs you in to Casdoor for this cluster. Install it with one of:',
          ...INSTALL_METHODS.map((m) => `  ${m}`),
          'or change "command" in this user entry to the absolute path of the tool.',
        ].join('\n'),
      },
    },
  };
}
