/**
 * The token commands' only prompt: a masked password question on stderr (stdout may carry an
 * ExecCredential that kubectl reads). @inquirer/prompts is imported dynamically so that it costs
 * nothing unless a person is actually asked something.
 */
import type { WritableLike } from '../cli/io.js';

export interface PromptStreams {
  input: NodeJS.ReadableStream;
  output: WritableLike;
}

export async function promptPassword(message: string, streams: PromptStreams): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  return password(
    { message, mask: '*', validate: (v: string) => (v === '' ? 'The password must not be empty.' : true) },
    { input: streams.input, output: streams.output as NodeJS.WritableStream, clearPromptOnDone: true },
  );
}
