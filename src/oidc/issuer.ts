/**
 * Pure checks on the Casdoor URL the user typed and on the issuer discovery reports.
 * kube-apiserver compares the token's `iss` with --oidc-issuer-url as exact strings, so a trailing
 * slash or a different scheme is a real mismatch, not a cosmetic one.
 */
import { CliError, usageError } from '../errors.js';

/** Validates `--casdoor-url` and returns it as given (minus surrounding spaces). */
export function parseCasdoorUrl(raw: string): string {
  const value = raw.trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`--casdoor-url: "${value}" is not a URL.`, 'Give the Casdoor origin, for example https://door.example.com');
  }
  if (url.protocol === 'http:') {
    throw usageError(
      `--casdoor-url must use https: Kubernetes accepts only https issuers (got ${value}).`,
      `Serve Casdoor over TLS and use https://${url.host}${url.pathname === '/' ? '' : url.pathname}`,
    );
  }
  if (url.protocol !== 'https:') throw usageError(`--casdoor-url must be an https URL (got ${value}).`);
  if (url.search || url.hash) throw usageError(`--casdoor-url must not carry a query or fragment (got ${value}).`);
  if (url.username || url.password) throw usageError('--casdoor-url must not contain credentials.');
  return value;
}

/** Where OIDC discovery lives for an issuer (the spec appends after removing one trailing slash). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/**
 * Explains precisely how the issuer Casdoor reports differs from the URL the user gave, or
 * returns undefined when they are identical.
 */
export function describeIssuerMismatch(given: string, discovered: string): string | undefined {
  if (given === discovered) return undefined;
  if (given.replace(/\/$/, '') === discovered.replace(/\/$/, '')) {
    return given.endsWith('/')
      ? `You gave ${given} with a trailing slash, but Casdoor's issuer is ${discovered} without one.`
      : `You gave ${given}, but Casdoor's issuer is ${discovered} with a trailing slash.`;
  }
  try {
    const g = new URL(given);
    const d = new URL(discovered);
    if (g.host === d.host && g.pathname.replace(/\/$/, '') === d.pathname.replace(/\/$/, '') && g.protocol !== d.protocol) {
      return `Casdoor reports its issuer as ${discovered} (${d.protocol.replace(':', '')}), but you gave ${given}: Casdoor's "origin" setting (or the Host header it sees) does not match its public https URL.`;
    }
    if (g.host !== d.host) {
      return `Casdoor reports its issuer as ${discovered}, a different host than ${given}: Casdoor's "origin" setting (or a proxy's Host header) names another address.`;
    }
  } catch {
    // fall through to the generic message
  }
  return `Casdoor reports its issuer as ${discovered}, not ${given}.`;
}

export function issuerMismatchError(given: string, discovered: string): CliError {
  const why = describeIssuerMismatch(given, discovered) ?? '';
  const hint = discovered.startsWith('https://')
    ? `kube-apiserver compares issuers as exact strings. Use --casdoor-url ${discovered} (and the same value for --oidc-issuer-url).`
    : `Kubernetes accepts only https issuers: set Casdoor's "origin" to its public https URL.`;
  return new CliError('network', `Issuer mismatch. ${why}`, { hint, reason: 'issuer-mismatch' });
}
