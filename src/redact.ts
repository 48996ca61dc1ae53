/**
 * Secrets must never reach output, logs, errors or diffs. Every value the tool handles that is a
 * secret is registered here as soon as it is read, and every line printed goes through `redact`.
 */
const secrets = new Set<string>();

/**
 * Keys whose values are secrets wherever they appear (kubeconfig auth-provider config, token responses,
 * forms). Not the only guard for kubeconfig user entries: the diff renderer redacts every value under a
 * user's `user:` except an allowlist (kubeconfig/diff.ts).
 */
export const SECRET_KEYS = new Set([
  'client-secret',
  'client_secret',
  'id-token',
  'id_token',
  'refresh-token',
  'refresh_token',
  'access-token',
  'access_token',
  'password',
  'token',
  'client-key-data',
  'code',
  'code_verifier',
  'device_code',
]);

export const REDACTED = '<redacted>';

export function registerSecret(value: string | undefined | null): void {
  // Very short values would redact ordinary words; real secrets here are longer.
  if (value && value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  // Anything that looks like a JWT is redacted even if it was never registered.
  return out.replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, REDACTED);
}

/** A deep copy of a plain object with the values of SECRET_KEYS replaced. */
export function redactObject<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactObject(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEYS.has(k) && typeof v === 'string' && v !== '' ? REDACTED : redactObject(v);
    }
    return out as T;
  }
  return value;
}
