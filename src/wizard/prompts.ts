/**
 * The ONE module that imports inquirer: answers the wizard's questions in a terminal. Prompts are
 * drawn on stderr, like every human-facing line of the tool, so stdout stays clean for data
 * (`setup --output -` prints the kubeconfig there).
 */
import { Writable } from 'node:stream';
import { confirm, input, password, select } from '@inquirer/prompts';
import type { Prompts, SelectQuestion } from './types.js';

export interface TerminalOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface TerminalStreams {
  input: NodeJS.ReadableStream;
  output: TerminalOutput;
}

/**
 * A fresh stream per prompt in front of the real output: inquirer ends its output stream when a
 * prompt is done, and the terminal (or a test's buffer) must stay open for the next one. The width
 * is passed through so long lines wrap where the terminal wraps them.
 */
function outputFor(target: TerminalOutput): NodeJS.WritableStream {
  const w = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      target.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      callback();
    },
  });
  Object.defineProperties(w, {
    isTTY: { get: () => target.isTTY },
    columns: { get: () => target.columns },
    rows: { get: () => target.rows },
  });
  return w;
}

/**
 * One masked password question on its own, for the token commands (src/cli/deps.ts passwordPrompt loads this
 * module only when a person is actually asked): drawn on `streams.output` (stderr, since stdout may
 * carry the ExecCredential kubectl reads) and cleared once answered.
 */
export function askPassword(message: string, streams: TerminalStreams): Promise<string> {
  return password(
    { message, mask: '*', validate: (v: string) => (v === '' ? 'The password must not be empty.' : true) },
    { input: streams.input, output: outputFor(streams.output), clearPromptOnDone: true },
  );
}

export function terminalPrompts(streams: TerminalStreams): Prompts {
  const ctx = () => ({ input: streams.input, output: outputFor(streams.output) });
  return {
    input: (q) =>
      input(
        {
          message: q.message,
          ...(q.default !== undefined && q.default !== '' ? { default: q.default } : {}),
          ...(q.editable ? { prefill: 'editable' as const } : {}),
          ...(q.validate ? { validate: q.validate } : {}),
        },
        ctx(),
      ),
    password: (q) =>
      password({ message: q.message, mask: '*', ...(q.validate ? { validate: q.validate } : {}) }, ctx()),
    confirm: (q) => confirm({ message: q.message, default: q.default }, ctx()),
    select: <T>(q: SelectQuestion<T>) =>
      select<T>(
        {
          message: q.message,
          choices: q.choices.map((c) => ({
            value: c.value,
            name: c.name,
            ...(c.description !== undefined ? { description: c.description } : {}),
            ...(c.short !== undefined ? { short: c.short } : {}),
            ...(c.disabled !== undefined ? { disabled: c.disabled } : {}),
          })),
          ...(q.default !== undefined ? { default: q.default } : {}),
          loop: false,
        },
        ctx(),
      ),
  };
}
