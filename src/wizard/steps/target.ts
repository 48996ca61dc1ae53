/**
 * Where the kubeconfig goes (kubectl's default file, another one, or a standalone file) and in which
 * mode (auth-provider or the exec plugin).
 */
import path from 'node:path';
import { resolveKubeconfigChain } from '../../kubeconfig/target.js';
import type { EntryNames } from '../../usecases/entries.js';
import type { SetupMode } from '../../usecases/setup.js';
import { Q } from '../questions.js';
import type { Run } from '../run.js';
import type { Choice } from '../types.js';

type TargetChoice = 'merge' | 'other' | 'standalone';

/** Where to write, unless --kubeconfig or --output said it: kubectl's default file, another file, or a standalone one. */
export async function targetStep(run: Run, names: EntryNames): Promise<void> {
  const { ask, deps, a, given } = run;
  if (given.kubeconfig !== undefined || given.output !== undefined) return;
  const chain = resolveKubeconfigChain({ envValue: deps.env.KUBECONFIG, home: deps.homeDir });
  const where =
    chain.source === 'env'
      ? `${chain.files.join(', ')} (from $KUBECONFIG)`
      : `${tildify(chain.files[0] ?? '~/.kube/config', deps.homeDir)} (kubectl's default: KUBECONFIG is not set)`;
  const choices: Array<Choice<TargetChoice>> = [
    { value: 'merge', name: `Merge into ${where}`, description: 'The file kubectl reads by default. Other contexts are kept; the previous version is backed up.' },
    { value: 'other', name: 'Merge into another kubeconfig file…', description: 'Use it later with --kubeconfig FILE or KUBECONFIG=FILE.' },
    {
      value: 'standalone',
      name: 'Write a separate file with only this context (e.g. for a teammate)…',
      description: 'In auth-provider mode it holds the tokens of whoever logged in: hand it over privately.',
    },
  ];
  const choice = await ask.select(Q.target(choices));
  a.kubeconfig = undefined;
  a.output = undefined;
  if (choice === 'other') a.kubeconfig = (await ask.input(Q.kubeconfig(run.suggested.kubeconfig))).trim();
  if (choice === 'standalone') a.output = (await ask.input(Q.output(`${names.context.replace(/[^A-Za-z0-9._-]+/g, '_')}.kubeconfig`))).trim();
}

function tildify(file: string, home: string): string {
  return home && file.startsWith(`${home}${path.sep}`) ? `~${file.slice(home.length)}` : file;
}

/** auth-provider or the exec plugin, unless --mode said it (exec only where tokens can be cached). */
export async function modeStep(run: Run): Promise<void> {
  const { ask, deps, a, given } = run;
  if (given.mode !== undefined) return;
  const choices: Array<Choice<SetupMode>> = [
    {
      value: 'auth-provider',
      name: "auth-provider: the tokens live in the kubeconfig and kubectl refreshes them itself",
      description: 'Works with any kubectl and needs nothing else installed later.',
    },
    {
      value: 'exec',
      name: 'exec plugin: kubectl runs `casdoor-kubeconfig token` for each command',
      description: 'No token or secret in the file (they stay in a private cache); needs this tool wherever the file is used.',
      ...(deps.storeTokens ? {} : { disabled: 'not available in this build' }),
    },
  ];
  a.mode = await ask.select(Q.mode(choices, a.mode ?? 'auth-provider'));
}
