/** CA certificates given as PEM text: what the tool accepts before copying them anywhere (pure). */
import { usageError } from './errors.js';

/**
 * PEM labels of private keys (RFC 7468: "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"; OpenSSL's "RSA PRIVATE
 * KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY"; OpenSSH's "OPENSSH PRIVATE KEY").
 */
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * A CA file is copied into kubeconfigs, standalone files handed to other people and the API server's
 * AuthenticationConfiguration. A bundle of a server's key and its certificates is a common thing to
 * have at hand, and passing it would hand out the key: refuse it (exit 2), naming how to keep only the
 * certificates. The key itself is never quoted.
 */
export function refusePrivateKey(flag: string, file: string, text: string): void {
  if (!PRIVATE_KEY_PEM.test(text)) return;
  throw usageError(
    `${flag}: ${file} also holds a private key; casdoor-kubeconfig copies CA files into kubeconfigs and configuration, and never copies a private key.`,
    `Give a file with only the CA certificate(s), for example: sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' ${file} > ca.crt`,
  );
}

/** PEM text that holds at least one certificate and no private key, else a usage error naming `source`. */
export function checkCaPem(flag: string, source: string, text: string): string {
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw usageError(`${flag}: ${source} holds no PEM certificate ("-----BEGIN CERTIFICATE-----").`);
  }
  refusePrivateKey(flag, source, text);
  return text;
}
