/**
 * `kubectl casdoor …`: kubectl finds the `kubectl-casdoor` bin on PATH and hands it the arguments.
 * (npm makes the bin executable on install; here a wrapper stands in for that link.)
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { VERSION } from '../../src/cli/main.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { writeBinWrapper } from '../helpers/scripts.js';
import { makeTempDir } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;
let dir: { dir: string; cleanup(): Promise<void> };

beforeAll(async () => {
  dir = await makeTempDir('ck-plugin-');
  await writeBinWrapper(dir.dir, 'kubectl-casdoor');
});
afterAll(async () => {
  await dir?.cleanup();
});

describe('kubectl plugin', () => {
  itKubectl('kubectl lists it and runs `kubectl casdoor`', async () => {
    const env = { PATH: `${dir.dir}:${process.env.PATH ?? ''}` };
    const bin = kubectlBinary() as string;
    const list = await runKubectl(bin, ['plugin', 'list'], { env });
    expect(list.stdout).toContain(path.join(dir.dir, 'kubectl-casdoor'));
    const version = await runKubectl(bin, ['casdoor', '--version'], { env });
    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    const help = await runKubectl(bin, ['casdoor', 'setup', '--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--casdoor-url');
    const bad = await runKubectl(bin, ['casdoor', 'setup', '--non-interactive'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('missing --casdoor-url');
  });
});
