/** Catching the CliError a test expects: anything else thrown is rethrown, no error at all fails. */
import { CliError } from '../../src/errors.js';

/** The CliError `fn` throws. */
export function caught(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
}

/** The CliError `p` rejects with; `unexpected` is the test's failure when `p` resolves. */
export async function rejected(p: Promise<unknown>, unexpected = 'expected a CliError'): Promise<CliError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error(unexpected);
}
