/**
 * What went wrong on the wire, read from what undici, node-fetch and Node throw (pure). The callers
 * (the Casdoor HTTP client, the API-server review, the wizard's probe) turn the result into their own
 * words and exit codes; this module only knows error codes and names.
 */

/** Certificate errors a missing CA causes: `--casdoor-ca` / `--certificate-authority` fixes them. */
const UNTRUSTED_CA_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);
/** Certificate errors no extra CA fixes: the certificate itself is out of its validity period. */
const VALIDITY_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const ALTNAME_CODE = 'ERR_TLS_CERT_ALTNAME_INVALID';

/** undici's timeout errors, by code (the classes would need undici loaded to compare). */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** `untrusted`: an unknown issuer (a CA fixes it); `altname`: the certificate names another host; `validity`: expired or not yet valid. */
export type TlsProblem = 'untrusted' | 'altname' | 'validity';

export type NetFailure =
  | { kind: 'tls'; code: string; problem: TlsProblem }
  | { kind: 'timeout' }
  | { kind: 'refused' }
  | { kind: 'dns'; code: string }
  | { kind: 'other'; code: string | undefined; detail: string };

/**
 * The string codes along an error's cause chain, outermost first. undici wraps Node's socket and TLS
 * errors, and our own CliError (code 'network') wraps undici's, so the interesting code may be deep.
 * undici's generic socket codes (UND_ERR_SOCKET) say nothing the wrapped error does not.
 */
export function causeCodes(err: unknown): string[] {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 8 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('UND_ERR_SOCKET')) codes.push(code);
    cur = (cur as { cause?: unknown }).cause;
  }
  return codes;
}

/** The outermost code (an fs error's ENOENT, a socket's ECONNRESET …), for messages. */
export const firstErrorCode = (err: unknown): string | undefined => causeCodes(err)[0];

function tlsProblem(code: string): TlsProblem | undefined {
  if (UNTRUSTED_CA_CODES.has(code)) return 'untrusted';
  if (code === ALTNAME_CODE) return 'altname';
  if (VALIDITY_CODES.has(code)) return 'validity';
  return undefined;
}

function isTimeout(err: unknown, codes: readonly string[]): boolean {
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return true;
  // AbortSignal.timeout() rejects with a DOMException, which is not an Error subclass in every realm.
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  return name === 'TimeoutError' || name === 'AbortError';
}

/** Sorts a failed request into the few cases worth their own message. */
export function classifyNetError(err: unknown): NetFailure {
  const codes = causeCodes(err);
  for (const code of codes) {
    const problem = tlsProblem(code);
    if (problem) return { kind: 'tls', code, problem };
  }
  if (isTimeout(err, codes)) return { kind: 'timeout' };
  if (codes.includes('ECONNREFUSED')) return { kind: 'refused' };
  const dns = codes.find((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN');
  if (dns) return { kind: 'dns', code: dns };
  return { kind: 'other', code: codes[0], detail: err instanceof Error ? err.message : String(err) };
}

/** True when the server's certificate is not trusted as it stands (unknown issuer or wrong host name): a CA file or another name can fix it. */
export function isUntrustedCertificate(err: unknown): boolean {
  const failure = classifyNetError(err);
  return failure.kind === 'tls' && failure.problem !== 'validity';
}
