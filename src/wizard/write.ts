/**
 * The end of a run: the change previewed as a coloured diff with secrets redacted, the confirmation,
 * the write, and what to do next.
 */
import { CliError } from '../errors.js';
import { renderKubeconfigDiff } from '../kubeconfig/diff.js';
import { mergeEntries, type KubeconfigEntries } from '../kubeconfig/merge.js';
import { newKubeconfig } from '../kubeconfig/model.js';
import { applyKubeconfigChange, RepointError } from '../kubeconfig/store.js';
import type { PreflightResult } from '../oidc/preflight.js';
import type { EntryNames, SetupEntries } from '../usecases/entries.js';
import type { VerifiedLogin } from '../usecases/login.js';
import { describeExpiry } from '../describe-expiry.js';
import { printNextSteps, writeEntries, type SetupInput, type SetupResult, type WrittenFile } from '../usecases/setup.js';
import { clusterCheck } from './check.js';
import type { WizardResult } from './options.js';
import { Q } from './questions.js';
import type { Run } from './run.js';
import { targetStep } from './steps/target.js';

/** Long base64 values (CA certificates) shortened: a preview is for reading, the file gets them whole. */
function shortenData(line: string): string {
  return line.replace(/^([-+ ]\s*[\w-]+-data: )([A-Za-z0-9+/=]{48,})$/, (_m, key: string, value: string) => `${key}${value.slice(0, 24)}… (${value.length} characters)`);
}

function colorDiff(run: Run, diff: string): string {
  const c = run.out.c;
  return diff
    .trimEnd()
    .split('\n')
    .map(shortenData)
    .map((l) => (l.startsWith('+++') || l.startsWith('---') ? c.bold(l) : l.startsWith('@@') ? c.cyan(l) : l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l))
    .join('\n');
}

/**
 * Shows the change, asks before writing (a dry run stops after the preview), writes, says what is next
 * and checks the new context with the API server. An unreadable target not fixed by a flag is asked again.
 */
export async function previewAndWrite(
  run: Run,
  input: SetupInput,
  names: EntryNames,
  entries: SetupEntries,
  login: VerifiedLogin,
  report: PreflightResult,
  o: {
    fixedTarget: boolean;
    alreadyCurrent?: boolean;
    /** Writes the change instead of merging `entries` into the target (a renewal: the tokens only); prints like writeEntries. */
    write?: () => Promise<WrittenFile[]>;
  },
): Promise<WizardResult> {
  const { ask, out, deps } = run;
  const c = out.c;
  let shown: { where: string; changed: boolean };
  for (;;) {
    try {
      shown = await preview(run, input, entries);
      break;
    } catch (err) {
      // Shared entries given other content: ask, naming the other contexts (setup without a terminal needs --force).
      if (err instanceof RepointError && !input.force) {
        if (await ask.confirm(Q.repoint(err.conflicts))) {
          input = { ...input, force: true };
          continue;
        }
        out.info('Nothing was written. To keep those contexts as they are, run setup again and give this one its own cluster/user names.');
        return { outcome: 'declined', input, names };
      }
      // An unreadable or malformed target: say so and let the user pick another one.
      if (!(err instanceof CliError) || err.code !== 'kubeconfig' || o.fixedTarget) throw err;
      out.error(err.message, err.hint);
      await targetStep(run, names);
      input = { ...input, ...(run.a.kubeconfig ? { kubeconfig: run.a.kubeconfig } : { kubeconfig: undefined }), ...(run.a.output ? { output: run.a.output } : { output: undefined }) };
      if (input.kubeconfig === undefined) delete input.kubeconfig;
      if (input.output === undefined) delete input.output;
    }
  }
  if (input.dryRun) {
    out.info('Dry run: nothing was written.');
    return { outcome: 'dry-run', input, names, result: { login, report, ...resultExtras(run), names, written: [] } };
  }
  // Nothing to change in the file (an exec entry being renewed: its tokens go to the cache): no question.
  if (shown.changed && !(await ask.confirm(Q.write(shown.where)))) {
    out.info('Nothing was written.');
    return { outcome: 'declined', input, names };
  }
  // Exec mode: the tokens go into the plugin's cache first, so that a cache that cannot take them (an OS
  // keyring that does not answer) fails the run with the kubeconfig as it was (as runSetup does).
  if (input.mode === 'exec') {
    if (!deps.storeTokens) throw new CliError('internal', 'exec mode needs a token store');
    await deps.storeTokens(input, login);
  }
  const written = o.write ? await o.write() : await writeEntries(input, entries, deps);
  if (input.mode === 'exec') out.step('Stored the tokens in the plugin cache: the first kubectl command needs no login.');
  const who = report.username ?? input.username;
  const expiry = report.expiresAt ? `; the token expires ${describeExpiry(report.expiresAt, deps.now())}` : '';
  out.info('');
  out.info(`${c.green.bold('Done.')} Context ${c.cyan(names.context)} logs in to ${input.server} as ${c.cyan(who)}${expiry}.`);
  // A renewed context that is already the current one needs no use-context.
  printNextSteps(out, o.alreadyCurrent ? { ...input, setCurrentContext: true } : input, names, written);
  if (input.mode === 'auth-provider' && login.tokens.refreshToken && run.proof?.refresh !== 'grant-disabled') {
    out.info(c.dim('  kubectl refreshes the token by itself (without the client secret, which is not stored); when the refresh token expires too, run casdoor-kubeconfig again.'));
  }
  const check = await clusterCheck(run, input, names, login);
  return { outcome: 'written', input, names, result: { login, report, ...resultExtras(run), names, written }, check };
}

/** The refresh proof and the token format of the run, for the summary (setup --json). */
function resultExtras(run: Run): Pick<SetupResult, 'proof' | 'format'> {
  return { ...(run.proof ? { proof: run.proof } : {}), ...(run.format ? { format: run.format } : {}) };
}

/** Prints the redacted change; says where it goes and whether anything changes. */
async function preview(run: Run, input: SetupInput, entries: SetupEntries): Promise<{ where: string; changed: boolean }> {
  const { out, deps } = run;
  const c = out.c;
  if (input.output !== undefined) {
    const target = input.output === '-' ? 'standard output' : input.output;
    const { doc, changes } = mergeEntries(newKubeconfig(), entries as KubeconfigEntries);
    out.info(c.bold(`Preview of ${target} (a new, standalone kubeconfig; secrets redacted):`));
    out.info(colorDiff(run, renderKubeconfigDiff(input.output, newKubeconfig(), doc, changes)));
    return { where: target, changed: true };
  }
  const result = await applyKubeconfigChange({
    ...(input.kubeconfig !== undefined ? { kubeconfigFlag: input.kubeconfig } : {}),
    env: deps.env,
    homeDir: deps.homeDir,
    entries,
    dryRun: true,
    ...(input.force ? { force: true } : {}),
  });
  for (const f of result.files) {
    if (f.diff === '') {
      out.info(`${f.file} already holds these entries.`);
      continue;
    }
    out.info(c.bold(`Changes to ${f.file}${f.created ? ' (a new file)' : ''} — secrets redacted:`));
    out.info(colorDiff(run, f.diff));
  }
  return { where: result.files.map((f) => f.file).join(', '), changed: result.files.some((f) => f.diff !== '') };
}
