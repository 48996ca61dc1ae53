/**
 * A re-run that renews an existing context: every answer comes from the entry found in the kubeconfig;
 * only the login is asked again, and only the tokens change.
 */
import { readPemFile } from '../cli/inputs.js';
import { CliError } from '../errors.js';
import { readKubeconfigFile } from '../kubeconfig/io.js';
import { findUser } from '../kubeconfig/merge.js';
import type { NamedUser } from '../kubeconfig/model.js';
import { updateUserEntry } from '../kubeconfig/update.js';
import { preflight } from '../oidc/preflight.js';
import { registerSecret } from '../redact.js';
import { clientSecretAdvice, clientSecretLocation } from '../usecases/client-secret.js';
import { withAuthProviderTokens, type AuthProviderTokens, type SetupEntries } from '../usecases/entries.js';
import { openSession, type Session } from '../usecases/login.js';
import { printPreflight, printWritten, type SetupInput, type WrittenFile } from '../usecases/setup.js';
import type { RenewCandidate } from './existing.js';
import { inputOf } from './input.js';
import type { WizardResult } from './options.js';
import type { Run } from './run.js';
import { claimSettings, claimSettingsForPrint } from './steps/claims.js';
import { loginStep } from './steps/login.js';
import { previewAndWrite } from './write.js';

/** Logs in again for the context `x` and writes the new tokens (auth-provider) or caches them (exec). */
export async function renew(run: Run, x: RenewCandidate): Promise<WizardResult> {
  const { deps, out, a, given } = run;
  Object.assign(a, {
    casdoorUrl: x.issuer,
    clientId: x.clientId,
    ...(x.clientSecret ? { clientSecret: x.clientSecret } : {}),
    ...(x.casdoorCaPem ? { casdoorCaPem: x.casdoorCaPem } : {}),
    ...(x.casdoorCaFile ? { casdoorCaFile: x.casdoorCaFile } : {}),
    // An exec entry's --username is part of its cache key: its tokens must be that user's.
    ...(x.username ? { username: x.mode === 'exec' ? x.username : given.username ?? x.username } : {}),
    ...(x.grant === 'browser' || x.grant === 'device' ? { grant: x.grant } : {}),
    server: x.server ?? '',
  });
  if (x.clientSecret) registerSecret(x.clientSecret);
  if (!a.casdoorCaPem && x.casdoorCaFile) a.casdoorCaPem = await readPemFile('the Casdoor CA', x.casdoorCaFile);
  out.info(`Renewing the token for ${out.c.cyan(x.context)} (Casdoor ${x.issuer}, client ${x.clientId}).`);
  let session: Session;
  try {
    session = await deps.spin(`Contacting ${x.issuer}…`, () => openSession(run.casdoorHttp(), x.issuer));
  } catch (err) {
    if (err instanceof CliError) {
      throw new CliError(err.code, err.message, { hint: err.hint ?? 'Run the wizard again and choose "Set up a new context" to change the Casdoor settings.', cause: err });
    }
    throw err;
  }
  out.step(`Casdoor at ${session.meta.issuer} answered.`);
  // The renewal changes the tokens only: an old entry's client secret stays, so say how to remove it.
  const secretAt = clientSecretLocation(x.entries.user as NamedUser);
  if (secretAt) out.warn(clientSecretAdvice(secretAt, x.userFile, x.context));
  const login = await loginStep(run, session, { askMethod: false });
  const report = preflight(login.verified.claims, claimSettings(run, session.meta.issuer));
  printPreflight(out, report, claimSettingsForPrint(run), deps.now());

  const input: SetupInput = {
    ...inputOf(run, { cluster: x.cluster, user: x.user, context: x.context }),
    // The plugin's cache key is the --username of the exec args ('' without one), whatever name the
    // login (a browser or device login, or a typed username) ended up with: the tokens must be stored
    // where `token` will look for them (keyOf in usecases/token.ts, cacheKeyFromArgs in token/fast.ts).
    ...(x.mode === 'exec' ? { username: x.username ?? '' } : {}),
    mode: x.mode,
    ...(x.execCommand ? { execCommand: x.execCommand } : {}),
    ...(x.namespace ? { namespace: x.namespace } : {}),
    insecureSkipTlsVerify: x.insecureSkipTlsVerify,
    // A renewal changes tokens only: which context is current stays as it was.
    setCurrentContext: false,
    ...(given.kubeconfig !== undefined ? { kubeconfig: given.kubeconfig } : {}),
  };
  const tokens: AuthProviderTokens = { idToken: login.tokens.idToken, refreshToken: login.tokens.refreshToken };
  // The same token change as refresh and logout make (withAuthProviderTokens): everything else kept.
  // Previewed on the entry as its file holds it now, after the login, rather than as read before it.
  const user: NamedUser = x.mode === 'auth-provider' ? withAuthProviderTokens((await currentUserEntry(x)) ?? x.entries.user, tokens) : x.entries.user;
  // Cluster and context exactly as they are (unknown keys included): the merge sees them unchanged.
  const entries: SetupEntries = { cluster: x.entries.cluster as SetupEntries['cluster'], user: user as SetupEntries['user'], context: x.entries.context as SetupEntries['context'] };
  const names = { cluster: x.cluster, user: x.user, context: x.context };
  const result = await previewAndWrite(run, input, names, entries, login, report, {
    fixedTarget: true,
    alreadyCurrent: x.isCurrent,
    // Written as the file holds the entry once confirmed (the question may stay open for minutes), not as
    // previewed: a refresh by kubectl or an edit meanwhile is kept, only the two tokens change.
    ...(x.mode === 'auth-provider' ? { write: () => writeRenewedTokens(run, x, tokens) } : {}),
  });
  return { ...result, renewed: true };
}

/** The renewed user's entry as its file holds it now; undefined when it is gone (the write then says so). */
async function currentUserEntry(x: RenewCandidate): Promise<NamedUser | undefined> {
  return findUser((await readKubeconfigFile(x.userFile)).doc, x.user);
}

/** Puts the new tokens into the user entry under the kubeconfig lock (updateUserEntry), as refresh does. */
async function writeRenewedTokens(run: Run, x: RenewCandidate, tokens: AuthProviderTokens): Promise<WrittenFile[]> {
  const r = await updateUserEntry(x.userFile, x.user, async (current) => current && withAuthProviderTokens(current, tokens), { now: run.deps.now });
  if (!r.found) {
    throw new CliError('kubeconfig', `user "${x.user}" is no longer defined in ${r.file} (it was removed while renewing): nothing was written.`, {
      hint: 'Run the wizard again and choose "Set up a new context".',
    });
  }
  printWritten(run.out, r);
  return [{ file: r.file, ...(r.backup ? { backup: r.backup } : {}), created: false, changes: r.changes }];
}
