/**
 * The wizard's token-storage question: disk is the default; in the single executable the OS keyring is
 * shown disabled, since the executable cannot carry its native binding (src/token/keyring.ts refuses it).
 */
import { describe, expect, it } from '@jest/globals';
import { tokenStorageStep } from '../../src/wizard/steps/token-storage.js';
import type { Run } from '../../src/wizard/run.js';
import type { SelectQuestion } from '../../src/wizard/types.js';

function fakeRun(pick: string) {
  const questions: SelectQuestion<unknown>[] = [];
  const settings: { tokenCacheStorage?: string } = {};
  const run = {
    a: { mode: 'exec' },
    opts: { settings },
    ask: {
      select: async (q: SelectQuestion<unknown>) => {
        questions.push(q);
        return pick;
      },
    },
  } as unknown as Run;
  return { run, questions, settings };
}

describe('tokenStorageStep', () => {
  it('offers disk (default), keyring and nothing; a pick other than disk goes into the settings', async () => {
    const f = fakeRun('keyring');
    await tokenStorageStep(f.run, false);
    const q = f.questions[0]!;
    expect(q.default).toBe('disk');
    expect(q.choices.map((c) => [c.value, Boolean(c.disabled)])).toEqual([['disk', false], ['keyring', false], ['none', false]]);
    expect(f.settings).toEqual({ tokenCacheStorage: 'keyring' });
  });

  it('in the single executable the keyring is disabled, saying why', async () => {
    const f = fakeRun('disk');
    await tokenStorageStep(f.run, true);
    const keyring = f.questions[0]!.choices.find((c) => c.value === 'keyring')!;
    expect(keyring.disabled).toMatch(/npm package/);
    expect(f.settings).toEqual({});
  });
});
