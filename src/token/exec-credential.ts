/**
 * ExecCredential output for kubectl's exec credential plugin protocol (pure; node built-ins only).
 * kubectl passes KUBERNETES_EXEC_INFO; we answer in the apiVersion it asked for.
 */
export const EXEC_V1 = 'client.authentication.k8s.io/v1';
export const EXEC_V1BETA1 = 'client.authentication.k8s.io/v1beta1';

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
  const representable = Number.isFinite(ms) && ms >= 0 && ms <= 253402300799000;
  return `${JSON.stringify({
    kind: 'ExecCredential',
    apiVersion,
    spec: {},
    status: { ...(representable ? { expirationTimestamp: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}), token },
  })}\n`;
}
