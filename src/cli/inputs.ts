/** Reading flag values that live in files, stdin or the environment (the I/O edge of flag parsing). */
import { readFile } from 'node:fs/promises';
import { usageError } from '../errors.js';
import { registerSecret } from '../redact.js';

export async function readPemFile(flag: string, file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(`${flag}: cannot read ${file} (${code === 'ENOENT' ? 'no such file' : code ?? 'error'}).`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw usageError(`${flag}: ${file} holds no PEM certificate ("-----BEGIN CERTIFICATE-----").`);
  }
  refusePrivateKey(flag, file, text);
  return text;
}

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

export async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** `--password-stdin`: the first line of standard input, like `docker login --password-stdin`. */
export async function readPasswordFromStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string> {
  if (stdin.isTTY) throw usageError('--password-stdin needs the password piped in (for example: printenv PW | casdoor-kubeconfig setup … --password-stdin).');
  const text = await readStdin(stdin);
  const password = text.split(/\r?\n/)[0] ?? '';
  if (!password) throw usageError('--password-stdin: standard input was empty.');
  registerSecret(password);
  return password;
}

export function secretFrom(flagValue: string | undefined, env: NodeJS.ProcessEnv, envName: string): string | undefined {
  const v = flagValue ?? env[envName];
  if (v) registerSecret(v);
  return v || undefined;
}
