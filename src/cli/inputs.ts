/** Reading flag values that live in files, stdin or the environment (the I/O edge of flag parsing). */
import { readFile } from 'node:fs/promises';
import { usageError, type CliError } from '../errors.js';
import { checkCaPem } from '../pem.js';
import { registerSecret } from '../redact.js';

/** "<flag>: cannot read <file> (no such file)." for a flag's file that cannot be read or stat'ed. */
export function unreadableFile(flag: string, file: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException).code;
  return usageError(`${flag}: cannot read ${file} (${code === 'ENOENT' ? 'no such file' : code ?? 'error'}).`);
}

/** The text of a file a flag names, or a usage error naming the flag. */
export async function readTextFile(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw unreadableFile(flag, file, err);
  }
}

export async function readPemFile(flag: string, file: string): Promise<string> {
  return checkCaPem(flag, file, await readTextFile(flag, file));
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
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
