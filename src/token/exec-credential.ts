/**
 * ExecCredential output for kubectl's exec credential plugin protocol (pure; node built-ins only).
 * kubectl passes KUBERNETES_EXEC_INFO; we answer in the apiVersion it asked for.
 */
export const EXEC_V1 = 'client.authentication.k8s.io/v1';
export const EXEC_V1BETA1 = 'client.authentication.k8s.io/v1beta1';

/**
 * 9999-12-31T23:59:59Z, in seconds: the last instant RFC 3339 (and Go's time JSON, which client-go reads
 * `expirationTimestamp` with) can express. Here, built-ins only, for the hot path; oidc/claims-sanity.ts
 * bounds verified claims with it.
 */
export const MAX_CLAIM_SECONDS = 253402300799;

export interface ExecInfo {
  apiVersion: string;
  interactive: boolean;
}

export function parseExecInfo(raw: string | undefined): ExecInfo {
  if (!raw) return { apiVersion: EXEC_V1, interactive: false };
  try {
    const doc = JSON.parse(raw) as { apiVersion?: unknown; spec?: { interactive?: unknown } };
    const apiVersion = doc.apiVersion === EXEC_V1BETA1 ? EXEC_V1BETA1 : EXEC_V1;
    return { apiVersion, interactive: doc.spec?.interactive === true };
  } catch {
    return { apiVersion: EXEC_V1, interactive: false };
  }
}

/**
 * `expiresAt` comes from a verified token (oidc/claims-sanity.ts bounds it to year 9999), but the cache
 * file is only JSON on disk: a value no RFC 3339 time can hold leaves `expirationTimestamp` out (it is
 * optional; client-go then keeps the credential until a 401) rather than throwing on toISOString().
 */
export function execCredential(apiVersion: string, token: string, expiresAt: number): string {
  const ms = expiresAt * 1000;
  const representable = Number.isFinite(ms) && ms >= 0 && ms <= MAX_CLAIM_SECONDS * 1000;
  return `${JSON.stringify({
    kind: 'ExecCredential',
    apiVersion,
    spec: {},
    status: { ...(representable ? { expirationTimestamp: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}), token },
  })}\n`;
}

/** What `token` prints: the ExecCredential in the apiVersion kubectl asked for (KUBERNETES_EXEC_INFO), or the bare id_token. */
export function renderToken(entry: { idToken: string; expiresAt: number }, options: { raw?: boolean; execInfo?: string | undefined }): string {
  if (options.raw) return `${entry.idToken}\n`;
  return execCredential(parseExecInfo(options.execInfo).apiVersion, entry.idToken, entry.expiresAt);
}
