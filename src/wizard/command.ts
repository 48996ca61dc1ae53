/**
 * `setup` in a terminal: turns the flags that were given into answers (their questions are skipped)
 * and runs the wizard with terminal prompts. Loaded with a dynamic import by src/cli/setup.ts, so
 * inquirer is never loaded by non-interactive runs.
 */
import path from 'node:path';
import type { Io } from '../ports/io.js';
import { readPasswordFromStdin, readPemFile, secretFrom } from '../cli/inputs.js';
import { settingsFromFlags, type SetupFlags } from '../cli/setup.js';
import { usageError } from '../errors.js';
import type { SetupDeps } from '../usecases/setup.js';
import { namespaceFlag, serverUrlFlag } from '../validate.js';
import type { Answers, WizardOptions, WizardResult } from './options.js';
import { terminalPrompts } from './prompts.js';
import { runWizard } from './run.js';
import { spinnerOn } from './spinner.js';
import type { Prompts } from './types.js';

/**
 * Answers from the flags the user typed. `given` holds the option keys whose value came from the
 * command line (not commander defaults): `--username-claim name` skips the claim question, the
 * default `name` only pre-selects it.
 */
export async function wizardOptionsFromFlags(flags: SetupFlags, given: ReadonlySet<string>, io: Pick<Io, 'env' | 'stdin'>): Promise<WizardOptions> {
  const env = io.env;
  if (flags.skipLogin) throw usageError('--skip-login is for scripted setups: add --non-interactive.');
  // A CI identity is set up by a script, with the secret in its environment: not a wizard question.
  if (flags.grant === 'client-credentials') throw usageError('--grant client-credentials is for scripted setups (CI): add --non-interactive.');
  if (flags.execCommand !== undefined && flags.mode !== 'exec') throw usageError('--exec-command needs --mode exec.');
  if (flags.certificateAuthority && flags.insecureSkipTlsVerify) throw usageError('--certificate-authority and --insecure-skip-tls-verify cannot both be given.');
  if (flags.output !== undefined && flags.kubeconfig !== undefined) {
    throw usageError('--output writes a standalone file and --kubeconfig names a file to merge into: give one of them.');
  }
  if (flags.namespace !== undefined) namespaceFlag(flags.namespace);
  if (flags.server !== undefined) serverUrlFlag(flags.server, '--server', { insecureHttp: Boolean(flags.insecureHttp) });
  const password = flags.passwordStdin ? await readPasswordFromStdin(io.stdin) : secretFrom(undefined, env, 'CASDOOR_PASSWORD');
  const clientSecret = secretFrom(flags.clientSecret, env, 'CASDOOR_CLIENT_SECRET');
  const casdoorCaPem = flags.casdoorCa ? await readPemFile('--casdoor-ca', flags.casdoorCa) : undefined;
  const apiCaPem = flags.certificateAuthority ? await readPemFile('--certificate-authority', flags.certificateAuthority) : undefined;
  const grant = given.has('grant') && flags.grant !== undefined ? flags.grant : undefined;
  const answers: Answers = {
    ...(flags.casdoorUrl !== undefined ? { casdoorUrl: flags.casdoorUrl.trim() } : {}),
    ...(casdoorCaPem ? { casdoorCaPem, casdoorCaFile: path.resolve(flags.casdoorCa as string) } : {}),
    ...(flags.organization !== undefined ? { organization: flags.organization } : {}),
    ...(flags.application !== undefined ? { application: flags.application } : {}),
    ...(flags.clientId !== undefined ? { clientId: flags.clientId } : {}),
    ...(clientSecret ? { clientSecret } : {}),
    ...(grant ? { grant } : {}),
    ...(flags.username !== undefined ? { username: flags.username } : {}),
    ...(password ? { password } : {}),
    ...(given.has('usernameClaim') ? { usernameClaim: flags.usernameClaim } : {}),
    ...(given.has('groupsClaim') ? { groupsClaim: flags.groupsClaim } : {}),
    ...(flags.server !== undefined ? { server: flags.server.trim() } : {}),
    ...(apiCaPem ? { certificateAuthorityData: Buffer.from(apiCaPem).toString('base64') } : {}),
    ...(flags.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    ...(flags.cluster !== undefined ? { cluster: flags.cluster } : {}),
    ...(flags.user !== undefined ? { user: flags.user } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
    ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.output !== undefined ? { output: flags.output } : {}),
    ...(given.has('mode') ? { mode: flags.mode } : {}),
  };
  return {
    given: answers,
    settings: settingsFromFlags(flags),
  };
}

/** Prompts drawn on the terminal: keys from stdin, the questions on stderr (stdout stays for data). */
export function promptsFor(io: Pick<Io, 'stdin' | 'stderr'>): Prompts {
  return terminalPrompts({ input: io.stdin, output: io.stderr });
}

export async function runWizardCommand(
  flags: SetupFlags,
  given: ReadonlySet<string>,
  deps: SetupDeps,
  io: Io,
  prompts: Prompts = promptsFor(io),
): Promise<WizardResult> {
  const options = await wizardOptionsFromFlags(flags, given, io);
  return runWizard(options, { ...deps, prompts, spin: spinnerOn(io.stderr, deps.out.c.cyan) });
}
