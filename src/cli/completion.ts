/**
 * `completion bash|zsh|fish`: a shell completion script generated at run time from the commander
 * program itself (its visible commands, options, option choices and arguments), so a command added
 * later is completed without touching this file. The scripts are pure functions of that description.
 */
import type { Command, Option } from 'commander';
import { Argument } from 'commander';
import { usageError } from '../errors.js';
import type { CommandContext, CommandListing } from './main.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const COMPLETION_COMMAND: CommandListing = {
  name: 'completion',
  term: 'completion <shell>',
  description:
    'Print a shell completion script for bash, zsh or fish (every command and option, option values where they are fixed or files).',
};

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export type ValueKind = { kind: 'none' } | { kind: 'free'; name: string } | { kind: 'file'; name: string } | { kind: 'dir'; name: string } | { kind: 'choices'; name: string; choices: string[] };

export interface OptionSpec {
  short?: string;
  long?: string;
  description: string;
  value: ValueKind;
}

export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** Positional arguments, in order; choices when the argument has a fixed set. */
  args: Array<{ name: string; choices?: string[] }>;
}

export interface ProgramSpec {
  name: string;
  /** Other names the same program is installed under (the kubectl plugin). */
  aliases: string[];
  options: OptionSpec[];
  commands: CommandSpec[];
}

/** One short line: the first sentence of a description, without a trailing period. */
export function shortDescription(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const sentence = /^(.+?[.!?])(\s|$)/.exec(flat)?.[1] ?? flat;
  const cut = sentence.length > max ? `${sentence.slice(0, max - 1).trimEnd()}…` : sentence;
  return cut.replace(/\.$/, '');
}

function valueOf(opt: Option): ValueKind {
  if (!opt.required && !opt.optional) return { kind: 'none' };
  const name = /[<[]([^>\]]+)[>\]]/.exec(opt.flags)?.[1] ?? 'value';
  if (opt.argChoices?.length) return { kind: 'choices', name, choices: [...opt.argChoices] };
  if (/^(file|file\|-|path)$/i.test(name)) return { kind: 'file', name };
  if (/^(dir|folder|directory)$/i.test(name)) return { kind: 'dir', name };
  return { kind: 'free', name };
}

function optionSpec(opt: Option): OptionSpec {
  return {
    ...(opt.short ? { short: opt.short } : {}),
    ...(opt.long ? { long: opt.long } : {}),
    description: shortDescription(opt.description ?? ''),
    value: valueOf(opt),
  };
}

/** Describes a commander program for completion: visible commands, their options and arguments. */
export function describeProgram(program: Command, aliases: string[] = []): ProgramSpec {
  const help = program.createHelp();
  const globals = help.visibleOptions(program).map(optionSpec);
  const commands = help.visibleCommands(program).map((cmd): CommandSpec => {
    const own = help.visibleOptions(cmd).map(optionSpec);
    // Global options (-v) are accepted after the command too.
    const extra = globals.filter((g) => g.long !== '--version' && !own.some((o) => o.long === g.long));
    let args = cmd.registeredArguments.map((a: Argument) => ({ name: a.name(), ...(a.argChoices?.length ? { choices: [...a.argChoices] } : {}) }));
    // A command group (casdoor-app apply): its subcommands complete as the first argument, their options after it.
    const subs = help.visibleCommands(cmd).filter((c) => c.name() !== 'help');
    if (subs.length) {
      args = [{ name: 'subcommand', choices: subs.map((c) => c.name()) }];
      for (const o of subs.flatMap((c) => help.visibleOptions(c).map(optionSpec))) if (!own.some((x) => x.long === o.long)) own.push(o);
    }
    return { name: cmd.name(), description: shortDescription(cmd.description()), options: [...own, ...extra], args };
  });
  // `help [command]` completes command names.
  for (const c of commands) {
    if (c.name === 'help' && c.args.length) c.args = [{ name: 'command', choices: commands.filter((x) => x.name !== 'help').map((x) => x.name) }];
  }
  return { name: program.name(), aliases, options: globals, commands };
}

const fnName = (name: string): string => `_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
const SAFE_WORD = /^[A-Za-z0-9_.:@%+=,/-]+$/;
/** A word for a shell's single-quoted context, checked rather than escaped: these come from our own flags. */
function word(w: string): string {
  if (!SAFE_WORD.test(w)) throw new Error(`completion: unexpected character in "${w}"`);
  return w;
}
const names = (o: OptionSpec): string[] => [o.short, o.long].filter((x): x is string => Boolean(x)).map(word);

export function bashScript(spec: ProgramSpec): string {
  const fn = fnName(spec.name);
  const valueCases: string[] = [];
  const addValueCase = (cmd: string, o: OptionSpec): void => {
    if (o.value.kind === 'none') return;
    const pattern = names(o).map((n) => `${cmd}:${n}`).join('|');
    let action: string;
    if (o.value.kind === 'choices') action = `COMPREPLY=( $(compgen -W "${o.value.choices.map(word).join(' ')}" -- "$cur") )`;
    else if (o.value.kind === 'file') action = 'compopt -o filenames 2>/dev/null; COMPREPLY=( $(compgen -f -- "$cur") )';
    else if (o.value.kind === 'dir') action = 'compopt -o filenames 2>/dev/null; COMPREPLY=( $(compgen -d -- "$cur") )';
    else action = 'COMPREPLY=()';
    valueCases.push(`    ${pattern}) ${action}; return 0 ;;`);
  };
  for (const o of spec.options) addValueCase('', o);
  for (const c of spec.commands) for (const o of c.options) addValueCase(word(c.name), o);

  const commandCases = spec.commands.map((c) => {
    const opts = c.options.flatMap(names).join(' ');
    const choices = c.args[0]?.choices?.map(word).join(' ');
    const positional = choices ? `\n      else COMPREPLY=( $(compgen -W "${choices}" -- "$cur") )` : '';
    return [`    ${word(c.name)})`, `      if [[ $cur == -* ]]; then COMPREPLY=( $(compgen -W "${opts}" -- "$cur") )${positional}`, '      fi ;;'].join('\n');
  });
  const top = [...spec.commands.map((c) => word(c.name)), ...spec.options.flatMap(names)].join(' ');
  return `# bash completion for ${spec.name} (generated by \`${spec.name} completion bash\`; regenerate after upgrading).
# Load it now:        source <(${spec.name} completion bash)
# Or for every shell: ${spec.name} completion bash > ~/.local/share/bash-completion/completions/${spec.name}
${fn}() {
  local cur prev cmd i
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=""
  if (( COMP_CWORD > 0 )); then prev="\${COMP_WORDS[COMP_CWORD-1]}"; fi
  # --flag=value: bash splits at '=' (COMP_WORDBREAKS)
  if [[ $cur == "=" ]]; then cur=""; fi
  if [[ $prev == "=" ]] && (( COMP_CWORD > 1 )); then prev="\${COMP_WORDS[COMP_CWORD-2]}"; fi
  # The command is the first word that is not an option.
  cmd=""
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case "\${COMP_WORDS[i]}" in
      -*|=) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$cmd:$prev" in
${valueCases.join('\n')}
  esac
  case "$cmd" in
    "") COMPREPLY=( $(compgen -W "${top}" -- "$cur") ) ;;
${commandCases.join('\n')}
  esac
  return 0
}
complete -o default -F ${fn} ${[spec.name, ...spec.aliases].map(word).join(' ')}
`;
}

/** Text inside a zsh single-quoted _arguments spec: quotes, brackets and colons escaped. */
function zshText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/'/g, `'\\''`).replace(/([[\]:])/g, '\\$1');
}

function zshOption(o: OptionSpec): string {
  const n = names(o);
  const desc = `[${zshText(o.description)}]`;
  let value = '';
  if (o.value.kind !== 'none') {
    const msg = zshText(o.value.name);
    const action =
      o.value.kind === 'choices' ? `(${o.value.choices.map(word).join(' ')})` : o.value.kind === 'file' ? '_files' : o.value.kind === 'dir' ? '_files -/' : ' ';
    value = `:${msg}:${action}`;
  }
  // -x takes its value as the next word or attached (+); --xx as the next word or after '=' (=).
  const suffix = (name: string): string => (o.value.kind === 'none' ? name : name.startsWith('--') ? `${name}=` : `${name}+`);
  if (n.length === 2) return `'(${n.join(' ')})'{${n.map(suffix).join(',')}}'${desc}${value}'`;
  return `'${suffix(n[0] as string)}${desc}${value}'`;
}

export function zshScript(spec: ProgramSpec): string {
  const fn = fnName(spec.name);
  const all = [spec.name, ...spec.aliases].map(word).join(' ');
  const commandList = spec.commands.map((c) => `    '${word(c.name)}:${zshText(c.description).replace(/\\:/g, ':')}'`).join('\n');
  const cases = spec.commands.map((c) => {
    const args = c.args.map((a, i) => `'${i + 1}:${zshText(a.name)}:${a.choices ? `(${a.choices.map(word).join(' ')})` : ' '}'`);
    const specs = [...c.options.map(zshOption), ...args];
    return `        (${word(c.name)})\n          _arguments -s \\\n            ${specs.join(' \\\n            ')} && ret=0\n          ;;`;
  });
  return `#compdef ${all}
# zsh completion for ${spec.name} (generated by \`${spec.name} completion zsh\`; regenerate after upgrading).
# Install: ${spec.name} completion zsh > "\${fpath[1]}/_${spec.name}"   (then restart zsh, compinit must run)
# Or now:  source <(${spec.name} completion zsh)

${fn}() {
  local curcontext="$curcontext" state line ret=1
  typeset -A opt_args
  local -a commands
  commands=(
${commandList}
  )
  _arguments -C \\
    ${[...spec.options.map(zshOption), "'1: :->command'", "'*:: :->args'"].join(' \\\n    ')} && ret=0
  case $state in
    (command)
      _describe -t commands '${spec.name} command' commands && ret=0
      ;;
    (args)
      curcontext="\${curcontext%:*:*}:${spec.name}-$line[1]:"
      case $line[1] in
${cases.join('\n')}
      esac
      ;;
  esac
  return ret
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${all}
fi
`;
}

/** Text for a fish single-quoted string. */
const fishText = (s: string): string => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");

export function fishScript(spec: ProgramSpec): string {
  const p = fnName(spec.name).replace(/^_/, '__');
  const c = word(spec.name);
  const lines: string[] = [];
  const optLine = (cond: string, o: OptionSpec): string => {
    const parts = [`complete -c ${c} -n '${cond}'`];
    if (o.short) parts.push(`-s ${word(o.short.replace(/^-/, ''))}`);
    if (o.long) parts.push(`-l ${word(o.long.replace(/^--/, ''))}`);
    if (o.value.kind === 'choices') parts.push(`-x -a '${o.value.choices.map(word).join(' ')}'`);
    else if (o.value.kind === 'file') parts.push('-r -F');
    else if (o.value.kind === 'dir') parts.push("-x -a '(__fish_complete_directories)'");
    else if (o.value.kind === 'free') parts.push('-x');
    parts.push(`-d '${fishText(o.description)}'`);
    return parts.join(' ');
  };
  lines.push(`complete -c ${c} -f`);
  for (const o of spec.options) lines.push(optLine(`${p}_needs_command`, o));
  for (const cmd of spec.commands) lines.push(`complete -c ${c} -n '${p}_needs_command' -a ${word(cmd.name)} -d '${fishText(cmd.description)}'`);
  for (const cmd of spec.commands) {
    const cond = `${p}_using_command ${word(cmd.name)}`;
    for (const o of cmd.options) lines.push(optLine(cond, o));
    const choices = cmd.args[0]?.choices;
    if (choices) lines.push(`complete -c ${c} -n '${cond}' -a '${choices.map(word).join(' ')}'`);
  }
  for (const alias of spec.aliases) lines.push(`complete -c ${word(alias)} -w ${c}`);
  return `# fish completion for ${spec.name} (generated by \`${spec.name} completion fish\`; regenerate after upgrading).
# Install: ${spec.name} completion fish > ~/.config/fish/completions/${spec.name}.fish

# True while no command has been typed yet (only options so far).
function ${p}_needs_command
    set -l words (commandline -opc)
    set -e words[1]
    for w in $words
        switch $w
            case '-*'
                continue
            case '*'
                return 1
        end
    end
    return 0
end

# True when the first non-option word is $argv[1].
function ${p}_using_command
    set -l words (commandline -opc)
    set -e words[1]
    for w in $words
        switch $w
            case '-*'
                continue
            case '*'
                test "$w" = "$argv[1]"
                return $status
        end
    end
    return 1
end

${lines.join('\n')}
`;
}

export function completionScript(shell: Shell, spec: ProgramSpec): string {
  if (shell === 'bash') return bashScript(spec);
  if (shell === 'zsh') return zshScript(spec);
  return fishScript(spec);
}

const EXAMPLES = `
Install:
  bash   source <(casdoor-kubeconfig completion bash)              # now, in this shell
         casdoor-kubeconfig completion bash > ~/.local/share/bash-completion/completions/casdoor-kubeconfig
  zsh    casdoor-kubeconfig completion zsh > "\${fpath[1]}/_casdoor-kubeconfig"   # then restart zsh
  fish   casdoor-kubeconfig completion fish > ~/.config/fish/completions/casdoor-kubeconfig.fish

The script covers every command and option of this version (also under the name kubectl-casdoor);
regenerate it after an upgrade.`;

export function registerCompletion(program: Command, ctx: CommandContext): void {
  program
    .command(COMPLETION_COMMAND.name)
    .description(COMPLETION_COMMAND.description)
    .addArgument(new Argument('<shell>', 'the shell').choices([...SHELLS]))
    .addHelpText('after', EXAMPLES)
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) throw usageError(`unknown shell "${shell}" (bash, zsh or fish).`);
      // The whole tree: main() registered only the commands named on this command line.
      ctx.output().data(completionScript(shell as Shell, describeProgram(ctx.program(), ['kubectl-casdoor'])));
    });
}
