/**
 * PKCE (RFC 7636, S256 only: Casdoor advertises nothing else) and the random `state` and `nonce` of an
 * authorization request. The verifier is a secret until the code is exchanged: it is registered for
 * redaction the moment it exists.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { registerSecret } from '../redact.js';

/** 32 random bytes, base64url (43 characters): within RFC 7636's 43–128 and enough entropy for state/nonce. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export interface PkcePair {
  verifier: string;
  challenge: string;
  method: 'S256';
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export function pkcePair(): PkcePair {
  const verifier = randomToken(32);
  registerSecret(verifier);
  return { verifier, challenge: s256(verifier), method: 'S256' };
}

/** Compares two strings without leaking through timing where they differ (state, nonce). */
export function sameSecret(a: string | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
