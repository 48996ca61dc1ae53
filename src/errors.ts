/**
 * Every failure the tool reports carries a stable code; `exitCodeFor` is the one place that turns a
 * code into an exit status (see docs/reference.md, "Exit codes").
 */
export type ErrorCode =
  | 'usage' // 2: bad flags or values
  | 'login' // 3: Casdoor refused the login
  | 'verify' // 4: the id_token failed verification
  | 'network' // 5: network, TLS or discovery failure
  | 'kubeconfig' // 6: kubeconfig unreadable, malformed, locked or unwritable
  | 'interrupted' // 130: Ctrl-C
  | 'cluster' // 7: the API server refused or could not be reached
  | 'blocked' // 8: doctor: a Casdoor setting keeps Kubernetes from working
  | 'internal'; // 1: anything unexpected

const EXIT_CODES: Record<ErrorCode, number> = {
  internal: 1,
  usage: 2,
  login: 3,
  verify: 4,
  network: 5,
  kubeconfig: 6,
  cluster: 7,
  blocked: 8,
  interrupted: 130,
};

/**
 * Why, more precisely than the code, for callers that react to one failure in particular (the wizard
 * re-asks the password on 'wrong-password' but the username on 'unknown-user') without matching the
 * message text, which quotes Casdoor and may change.
 */
export type ErrorReason =
  | 'issuer-mismatch' // discovery reports another issuer than the URL given
  | 'untrusted-ca' // a TLS certificate that does not chain to a trusted CA
  | 'wrong-password' // Casdoor: "password or code is incorrect" / "password cannot be empty"
  | 'unknown-user' // Casdoor: "the user does not exist"
  | 'invalid-client' // invalid_client, or "client_id is invalid"
  | 'wrong-client-secret' // Casdoor's description names client_secret (it says invalid_client for both halves)
  | 'grant-disabled' // unsupported_grant_type / unauthorized_client / "is not supported in this application"
  | 'account-locked' // Casdoor: "please wait" after too many failed attempts
  | 'account-forbidden' // Casdoor: "forbidden to sign in"
  | 'external-account' // Casdoor: "oauth users cannot use password grant"
  | 'mfa-required' // Casdoor: "the user has MFA enabled and cannot sign in with a password grant"
  | 'invalid-scope'; // invalid_scope: the application defines Scopes and a requested one is not among them

export class CliError extends Error {
  readonly code: ErrorCode;
  /** One line telling the user what to do about it, printed after the message. */
  readonly hint: string | undefined;
  /** A stable sub-code for the failures callers branch on; undefined for everything else. */
  readonly reason: ErrorReason | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown; reason?: ErrorReason } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.hint = options.hint;
    this.reason = options.reason;
  }
}

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODES[code];
}

/** An fs error's code (ENOENT, EACCES…). Duck-typed, not `instanceof Error`: errors from Node's fs may come from another realm (vm, jest). */
export function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

export const usageError = (message: string, hint?: string): CliError =>
  new CliError('usage', message, hint === undefined ? {} : { hint });
