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
  | 'internal'; // 1: anything unexpected

const EXIT_CODES: Record<ErrorCode, number> = {
  internal: 1,
  usage: 2,
  login: 3,
  verify: 4,
  network: 5,
  kubeconfig: 6,
  cluster: 7,
  interrupted: 130,
};

export class CliError extends Error {
  readonly code: ErrorCode;
  /** One line telling the user what to do about it, printed after the message. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODES[code];
}

export const usageError = (message: string, hint?: string): CliError =>
  new CliError('usage', message, hint === undefined ? {} : { hint });
