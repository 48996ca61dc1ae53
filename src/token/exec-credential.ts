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

export function execCredential(apiVersion: string, token: string, expiresAt: number): string {
  return `${JSON.stringify({
    kind: 'ExecCredential',
    apiVersion,
    spec: {},
    status: { expirationTimestamp: new Date(expiresAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'), token },
  })}\n`;
}
