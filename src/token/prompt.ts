/**
 * The token commands' only prompt: a masked password question on stderr (stdout may carry an
 * ExecCredential that kubectl reads). The question itself lives in src/wizard/prompts.ts, the one
 * module that imports inquirer; it is loaded dynamically so that kubectl's path (a cached token, a
 * refresh) never pays for it, only a person actually asked for a password.
 */
import type { WritableLike } from '../cli/io.js';

export interface PromptStreams {
  input: NodeJS.ReadableStream;
  /** stderr. */
  output: WritableLike;
}

export async function promptPassword(message: string, streams: PromptStreams): Promise<string> {
  const { askPassword } = await import('../wizard/prompts.js');
  return askPassword(message, streams);
}
