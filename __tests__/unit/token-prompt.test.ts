/**
 * The token commands' password question: asked through the wizard's prompt module (wired in src/cli/deps.ts) (the one that imports
 * inquirer), drawn only on the stream it is given (stderr: stdout carries the ExecCredential).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { passwordPrompt } from '../../src/cli/deps.js';

describe('token password prompt', () => {
  it('asks on the given output (stderr), masks the answer, and returns it', async () => {
    const input = new PassThrough();
    let stderr = '';
    const asked = passwordPrompt({ stdin: input, stderr: { write: (s: string) => (stderr += s), isTTY: false } })('Casdoor password for alice (https://door.example.com)');
    await new Promise((r) => setTimeout(r, 50));
    input.write('hunter2-secret\n');
    await expect(asked).resolves.toBe('hunter2-secret');
    expect(stderr).toContain('Casdoor password for alice (https://door.example.com)');
    expect(stderr).not.toContain('hunter2-secret');
  });

  it('does not import inquirer itself: it borrows the wizard prompt module, loaded only when asking', () => {
    const source = readFileSync(new URL('../../src/cli/deps.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/['"]@inquirer\//);
    expect(source).toMatch(/await import\('\.\.\/wizard\/prompts\.js'\)/);
  });
});
