/**
 * Exec mode: the entry's command must be one kubectl can run (usecases/exec-command.ts, after client-go's
 * exec.go `exec.Command`). When `casdoor-kubeconfig` is not on PATH (a tool run from a checkout or npx),
 * offer the absolute path of the running tool; otherwise say plainly that kubectl will not find it.
 */
import { absoluteCommand, checkExecCommand, runningToolPath } from '../../usecases/exec-command.js';
import { Q } from '../questions.js';
import type { Run } from '../run.js';

export async function execCommandStep(run: Run, tool = runningToolPath()): Promise<void> {
  if (run.a.mode !== 'exec') return;
  const { deps, opts, ask, out } = run;
  const command = absoluteCommand(opts.settings.execCommand ?? 'casdoor-kubeconfig', process.cwd());
  const check = checkExecCommand(command, deps.env, process.cwd());
  if (check.ok) return;
  const why = check.problem === 'not-found' ? (command.includes('/') ? 'does not exist' : 'is not on PATH') : 'is not executable';
  if (tool && (await ask.confirm(Q.execCommandPath(command, why, tool)))) {
    opts.settings.execCommand = tool;
    return;
  }
  out.warn(`${command} ${why}: kubectl will not be able to run this exec entry (it prints the install hint instead). Re-run with --exec-command PATH.`);
}
