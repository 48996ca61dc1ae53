/** Reading flag values that live in files, stdin or the environment (the I/O edge of flag parsing). */
import { readFile } from 'node:fs/promises';
import { usageError } from '../errors.js';
import { checkCaPem } from '../pem.js';
import { registerSecret } from '../redact.js';

export async function readPemFile(flag: string, file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(`${flag}: cannot read ${file} (${code === 'ENOENT' ? 'no such file' : code ?? 'error'}).`);
  }
  return checkCaPem(flag, file, text);
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
