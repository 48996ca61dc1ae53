/**
 * The answers of a run, with the settings that have no question, as the input of usecases/setup.
 */
import type { EntryNames } from '../usecases/entries.js';
import type { SetupInput } from '../usecases/setup.js';
import type { Run } from './run.js';

/** The setup input from the answers so far; fields not answered yet are cast, callers use it once they are. */
export function inputOf(run: Run, names: EntryNames): SetupInput {
  const { a, opts } = run;
  const s = opts.settings;
  return {
    casdoorUrl: a.casdoorUrl as string,
    ...(a.organization ? { organization: a.organization } : {}),
    ...(a.application ? { application: a.application } : {}),
    clientId: a.clientId as string,
    ...(a.clientSecret ? { clientSecret: a.clientSecret } : {}),
    username: a.username as string,
    password: a.password ?? '',
    ...(a.casdoorCaPem ? { casdoorCaPem: a.casdoorCaPem } : {}),
    ...(a.casdoorCaFile ? { casdoorCaFile: a.casdoorCaFile } : {}),
    server: a.server as string,
    ...(a.certificateAuthorityData ? { certificateAuthorityData: a.certificateAuthorityData } : {}),
    insecureSkipTlsVerify: Boolean(a.insecureSkipTlsVerify),
    names,
    ...(a.namespace ? { namespace: a.namespace } : {}),
    ...(a.kubeconfig ? { kubeconfig: a.kubeconfig } : {}),
    ...(a.output ? { output: a.output } : {}),
    setCurrentContext: s.setCurrentContext,
    dryRun: s.dryRun,
    usernameClaim: a.usernameClaim ?? s.usernameClaim,
    groupsClaim: a.groupsClaim ?? s.groupsClaim,
    ...(s.usernamePrefix !== undefined ? { usernamePrefix: s.usernamePrefix } : {}),
    ...(s.groupsPrefix !== undefined ? { groupsPrefix: s.groupsPrefix } : {}),
    mode: a.mode ?? 'auth-provider',
    ...(s.execCommand ? { execCommand: s.execCommand } : {}),
    ...(a.grant && a.grant !== 'password' ? { grant: a.grant } : {}),
    ...(s.browserCommand ? { browserCommand: s.browserCommand } : {}),
    ...(s.noBrowser ? { noBrowser: true } : {}),
    ...(s.force ? { force: true } : {}),
    ...(s.scope ? { scope: s.scope } : {}),
    ...(s.listenAddresses?.length ? { listenAddresses: s.listenAddresses } : {}),
    ...(s.tokenCacheStorage ? { tokenCacheStorage: s.tokenCacheStorage } : {}),
  };
}
