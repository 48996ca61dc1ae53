/** The entry's argument routing and the one place that maps errors to exit codes. */
import { describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { VERSION } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';

const home = tmpdir();

describe('main', () => {
  it('prints the version and help with exit 0', async () => {
    expect(await runCli(['--version'], { home })).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    const help = await runCli(['--help'], { home });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:[\s\S]*130/);
  });

  it('sends flags without a command to setup', async () => {
    const run = await runCli(['--casdoor-url', 'https://door.example.com', '--non-interactive'], { home });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing --client-id');
    const verbose = await runCli(['-v', 'setup', '--non-interactive'], { home });
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toContain('missing --casdoor-url');
  });

  it('an unknown command is a usage error with a suggestion', async () => {
    const run = await runCli(['whoamii'], { home });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'whoamii'[\s\S]*Did you mean whoami\?/);
  });

  it('an unknown flag is a usage error', async () => {
    const run = await runCli(['setup', '--no-such-flag'], { home });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option '--no-such-flag'/);
  });
});
