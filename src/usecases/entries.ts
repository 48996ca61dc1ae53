/**
 * Builds the kubeconfig entries setup writes (pure): a cluster, an OIDC user and a context, with
 * readable default names. The user entry is kubectl's legacy `oidc` auth-provider, which needs
 * `idp-issuer-url` (kubectl refuses the user without it, even when the token is valid).
 */
export interface ClusterSpec {
  server: string;
  certificateAuthorityData?: string;
  insecureSkipTlsVerify?: boolean;
}

export interface OidcUserSpec {
  issuer: string;
  clientId: string;
  clientSecret?: string;
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

/** Readable default names: cluster = API server host, user = username@casdoor-host, context = username@cluster. */
export function defaultNames(input: { server: string; casdoorUrl: string; username: string }, given: Partial<EntryNames> = {}): EntryNames {
  const cluster = given.cluster ?? hostOf(input.server);
  const user = given.user ?? `${input.username}@${hostOf(input.casdoorUrl)}`;
  const context = given.context ?? `${input.username}@${cluster}`;
  return { cluster, user, context };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
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
    ...(spec.clientSecret ? { 'client-secret': spec.clientSecret } : {}),
    'id-token': spec.idToken,
    ...(spec.refreshToken ? { 'refresh-token': spec.refreshToken } : {}),
    'idp-issuer-url': spec.issuer,
    ...(spec.idpCaData ? { 'idp-certificate-authority-data': spec.idpCaData } : {}),
  };
  return { name, user: { 'auth-provider': { name: 'oidc', config } } };
}

export function contextEntry(names: EntryNames, namespace?: string): SetupEntries['context'] {
  return {
    name: names.context,
    context: { cluster: names.cluster, user: names.user, ...(namespace ? { namespace } : {}) },
  };
}
