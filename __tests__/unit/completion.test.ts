/**
 * Shell completion: generated from the live commander program. bash must accept the script (`bash -n`)
 * and complete commands, options and option values; zsh and fish are syntax-checked when installed
 * (skipped loudly otherwise), and every script names every command.
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { bashScript, describeProgram, fishScript, shortDescription, zshScript } from '../../src/cli/completion.js';
import { buildProgram, type CommandContext } from '../../src/cli/main.js';
import { Output } from '../../src/ports/output.js';
import type { Io } from '../../src/ports/io.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const missingLoudly = (shell: string): void => {
  console.warn(
    [
      '',
      '################################################################################',
      `##  ${shell} IS NOT INSTALLED: its completion script is NOT syntax-checked here.`.padEnd(78) + '##',
      `##  Install ${shell} to run that check; the other checks still ran.`.padEnd(78) + '##',
      '################################################################################',
      '',
    ].join('\n'),
  );
};

const run = (file: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = execFile(file, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });

let tmp: { dir: string; cleanup(): Promise<void> };
const scripts: Record<string, string> = {};
const scriptFiles: Record<string, string> = {};
let commandNames: string[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await runCli(['completion', shell], { home: tmp.dir });
    expect({ shell, code: r.code, stderr: r.stderr }).toEqual({ shell, code: 0, stderr: '' });
    scripts[shell] = r.stdout;
    scriptFiles[shell] = join(tmp.dir, `completion.${shell}`);
    await writeFile(scriptFiles[shell] as string, r.stdout);
  }
  const io = { env: {}, stdout: { write: () => true }, stderr: { write: () => true } } as unknown as Io;
  const ctx: CommandContext = { io, output: () => new Output(io), program: () => buildProgram(io, ctx) };
  commandNames = buildProgram(io, ctx).commands.map((c) => c.name());
});
afterAll(async () => {
  await tmp?.cleanup();
});

describe('completion scripts', () => {
  it('mention every command of the program, in every shell', () => {
    expect(commandNames).toEqual(expect.arrayContaining(['setup', 'whoami', 'generate', 'completion', 'apiserver-config', 'rbac']));
    for (const shell of ['bash', 'zsh', 'fish']) {
      const text = scripts[shell] as string;
      expect(text.length).toBeGreaterThan(500);
      for (const name of commandNames) expect({ shell, name, found: text.includes(name) }).toEqual({ shell, name, found: true });
      expect(text).toContain('kubectl-casdoor');
    }
  });

  it('bash accepts the bash script (bash -n)', async () => {
    const r = await run('bash', ['-n', scriptFiles.bash as string]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });

  const complete = async (words: string[]): Promise<string[]> => {
    const line = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    const program = `source '${scriptFiles.bash}'; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _casdoor_kubeconfig; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = await run('bash', ['-c', program]);
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter((l) => l !== '');
  };

  it('bash completes commands, options, choices and arguments', async () => {
    expect(await complete(['casdoor-kubeconfig', 'wh'])).toEqual(['whoami']);
    expect(await complete(['casdoor-kubeconfig', ''])).toEqual(expect.arrayContaining(commandNames));
    expect(await complete(['casdoor-kubeconfig', 'setup', '--mo'])).toEqual(['--mode']);
    expect(await complete(['casdoor-kubeconfig', 'setup', '--mode', ''])).toEqual(['auth-provider', 'exec']);
    expect(await complete(['casdoor-kubeconfig', '-v', 'whoami', '-o', ''])).toEqual(['text', 'json']);
    expect(await complete(['casdoor-kubeconfig', 'whoami', '--output', '=', 'j'])).toEqual(['json']);
    expect(await complete(['casdoor-kubeconfig', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    expect(await complete(['casdoor-kubeconfig', 'generate', '--ro'])).toEqual(['--roster']);
    expect(await complete(['casdoor-kubeconfig', 'whoami', '--casdoor-url', ''])).toEqual([]);
  });

  it('bash completes files for file options', async () => {
    await writeFile(join(tmp.dir, 'team.yaml'), '- alice\n');
    const r = await run('bash', ['-c', `cd '${tmp.dir}'; source '${scriptFiles.bash}'; COMP_WORDS=(casdoor-kubeconfig generate --roster te); COMP_CWORD=3; _casdoor_kubeconfig; printf '%s\\n' "\${COMPREPLY[@]}"`]);
    expect(r.stdout.trim()).toBe('team.yaml');
  });

  const zsh = which('zsh');
  (zsh ? it : it.skip)('zsh accepts the zsh script (zsh -n)', async () => {
    const r = await run(zsh as string, ['-n', scriptFiles.zsh as string]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });
  (zsh ? it : it.skip)('zsh loads the script and registers it for both names', async () => {
    const r = await run(zsh as string, ['-f', '-c', `autoload -U compinit; compinit -u -D; source '${scriptFiles.zsh}'; print -r -- $_comps[casdoor-kubeconfig] $_comps[kubectl-casdoor]`]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toBe('_casdoor_kubeconfig _casdoor_kubeconfig');
  });
  if (!zsh) {
    it('zsh is not installed: syntax check skipped (see the warning)', () => {
      missingLoudly('zsh');
      expect(scripts.zsh).toMatch(/^#compdef casdoor-kubeconfig kubectl-casdoor/);
    });
  }

  const fish = which('fish');
  (fish ? it : it.skip)('fish accepts the fish script (fish --no-execute)', async () => {
    const r = await run(fish as string, ['--no-execute', scriptFiles.fish as string]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });
  (fish ? it : it.skip)('fish completes commands, options and choices', async () => {
    const complete = async (line: string): Promise<string[]> => {
      const r = await run(fish as string, ['--no-config', '-c', `source '${scriptFiles.fish}'; complete -C '${line}'`]);
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t')[0] as string);
    };
    expect(await complete('casdoor-kubeconfig ')).toEqual(expect.arrayContaining(commandNames));
    expect(await complete('casdoor-kubeconfig setup --mode ')).toEqual(['auth-provider', 'exec']);
    expect(await complete('casdoor-kubeconfig whoami --con')).toEqual(['--context']);
    expect(await complete('casdoor-kubeconfig completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(await complete('kubectl-casdoor wh')).toEqual(['whoami']);
  });
  if (!fish) {
    it('fish is not installed: syntax check skipped (see the warning)', () => {
      missingLoudly('fish');
      expect(scripts.fish).toContain("complete -c casdoor-kubeconfig -n '__casdoor_kubeconfig_needs_command' -a setup");
    });
  }

  it('an unknown shell is a usage error', async () => {
    const r = await runCli(['completion', 'powershell'], { home: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/powershell/);
  });
});

describe('completion is generated from the program at run time', () => {
  it('covers a command added later, with its options and choices', () => {
    const program = new Command('tool');
    program.option('-v, --verbose', 'talk more');
    program.command('brand-new').description('Does new things. More text.').option('--flavor <kind>', 'which flavor').option('--out-dir <dir>', 'where').option('--kubeconfig <file>', 'which file');
    const spec = describeProgram(program);
    const cmd = spec.commands.find((c) => c.name === 'brand-new');
    expect(cmd?.description).toBe('Does new things');
    expect(cmd?.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--flavor', '--out-dir', '--kubeconfig', '--help', '--verbose']));
    expect(cmd?.options.find((o) => o.long === '--out-dir')?.value.kind).toBe('dir');
    expect(cmd?.options.find((o) => o.long === '--kubeconfig')?.value.kind).toBe('file');
    for (const script of [bashScript(spec), zshScript(spec), fishScript(spec)]) {
      expect(script).toContain('brand-new');
      expect(script).toContain('flavor');
    }
  });

  it('escapes descriptions for zsh and fish', () => {
    const program = new Command('tool');
    program.command('odd').description("It's [odd]: yes").option('--x <v>', "a 'quoted' [thing]: here");
    const spec = describeProgram(program);
    expect(zshScript(spec)).toContain("'--x=[a '\\''quoted'\\'' \\[thing\\]\\: here]:v: '");
    expect(fishScript(spec)).toContain("-d 'a \\'quoted\\' [thing]: here'");
  });

  it('shortDescription keeps the first sentence', () => {
    expect(shortDescription('Print things. And more.')).toBe('Print things');
    expect(shortDescription('version 1.2 of it')).toBe('version 1.2 of it');
  });
});
