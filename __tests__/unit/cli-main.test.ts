/** The entry's argument routing and the one place that maps errors to exit codes. */
import { describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { Help } from 'commander';
import { buildProgram, COMMANDS, VERSION, type CommandContext } from '../../src/cli/main.js';
import type { Io } from '../../src/ports/io.js';
import { Output } from '../../src/ports/output.js';
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
    // A flag's value that names a command is still setup's value.
    const valued = await runCli(['--context', 'demo', '--non-interactive'], { home });
    expect({ code: valued.code, unknown: valued.stderr.includes('unknown option') }).toEqual({ code: 2, unknown: false });
    expect(valued.stderr).toContain('missing --casdoor-url');
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

// main() registers only the commands named on the command line and lists the others from their
// CommandListing (issue 13: building every command's options was a third of `--help`).
describe('command listings', () => {
  const io = { env: {}, stdout: { write: () => true }, stderr: { write: () => true } } as unknown as Io;
  const ctx: CommandContext = { io, output: () => new Output(io), program: () => buildProgram(io, ctx) };

  it("each listing says what commander says of the registered command (name, term, description)", () => {
    const full = buildProgram(io, ctx);
    const help = new Help();
    const registered = full.commands.filter((c) => c.name() !== 'help');
    expect(registered.map((c) => c.name())).toEqual(COMMANDS.map(([l]) => l.name));
    for (const [listing] of COMMANDS) {
      const cmd = registered.find((c) => c.name() === listing.name);
      expect({ name: listing.name, term: help.subcommandTerm(cmd!), description: cmd!.description() }).toEqual(listing);
    }
  });

  it('the program help is the same whether commands are listed or registered', () => {
    const full = buildProgram(io, ctx).helpInformation();
    expect(buildProgram(io, ctx, () => false).helpInformation()).toBe(full);
    expect(buildProgram(io, ctx, (name) => name === 'token' || name === 'casdoor-app').helpInformation()).toBe(full);
  });

  it('registers the command that runs, also after a value that names another command', async () => {
    const run = await runCli(['whoami', '--context', 'setup', '--no-such-flag'], { home });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option '--no-such-flag'/);
    const help = await runCli(['help', 'token'], { home });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: casdoor-kubeconfig token [options]');
    expect(help.stdout).toContain('--casdoor-url <url>');
  });
});
