/**
 * Secrets must never reach output, logs, errors or diffs. Every value the tool handles that is a
 * secret is registered here as soon as it is read, and every line printed goes through `redact`.
 */
/** Each registered secret (in the order registered) with its encodedForms, computed once. */
const secrets = new Map<string, string[]>();

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
  if (value && value.length >= 4 && !secrets.has(value)) secrets.set(value, encodedForms(value));
}

/**
 * The forms a secret takes when someone else echoes it (issue 10, point 4): a provider quoting the
 * request body in its error (form- or URL-encoded), a JSON document (escaped), a header or a file
 * (base64, standard or URL-safe, with or without padding).
 */
export function encodedForms(secret: string): string[] {
  const b64 = Buffer.from(secret, 'utf8').toString('base64');
  const forms = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ v: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    b64,
    b64.replace(/=+$/, ''),
    Buffer.from(secret, 'utf8').toString('base64url'),
  ];
  // Longest first, so a form is never left half-replaced by a shorter one it contains.
  return [...new Set(forms)].filter((f) => f.length >= 4).sort((a, b) => b.length - a.length);
}

export function redact(text: string): string {
  let out = text;
  for (const forms of secrets.values()) {
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
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

/** Option and variable names whose values are secrets (`--client-secret`, `--password`, `--token`, `API_KEY`). */
export const SECRET_NAME = /secret|passw(or)?d|passwd|token|api[-_]?key|credential|private[-_]?key/i;

/**
 * Another credential plugin's arguments as we may print them ("run it yourself" lines, `whoami -o json`):
 * the value of any option whose name looks secret is replaced, in both `--opt value` and `--opt=value`
 * forms, and registered so that it is redacted anywhere else it shows up (the plugin's own stderr).
 * kubeconfig/diff.ts redactExecArgs looks alike but is another rule (a wider name pattern, a value
 * starting with '-' redacted too, nothing registered): merging them would change what either prints.
 */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((a, i) => {
    const joined = /^(-{1,2}[^=\s]+)=(.*)$/s.exec(a);
    if (joined && SECRET_NAME.test(joined[1] as string) && joined[2] !== '') {
      registerSecret(joined[2]);
      return `${joined[1]}=${REDACTED}`;
    }
    const prev = args[i - 1];
    if (prev !== undefined && /^-{1,2}[^=\s]+$/.test(prev) && SECRET_NAME.test(prev) && !a.startsWith('-')) {
      registerSecret(a);
      return REDACTED;
    }
    return a;
  });
}
