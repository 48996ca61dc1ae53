/**
 * No silent re-pointing, checked before the login (issue 10, point 3): a setup that the write would
 * refuse (a cluster or user entry other contexts use, given another server, CA, issuer or client id;
 * kubeconfig/replace.ts) fails before Casdoor is asked for anything, so it spends no login attempt
 * (Casdoor counts failed ones) and rotates no token. The Casdoor user of the new entry is not known
 * before the login: that part is left to the check the write makes again under the lock.
 */
import { previewRepointConflicts, RepointError } from '../kubeconfig/store.js';
import type { RepointConflict } from '../kubeconfig/replace.js';
import type { VerifiedLogin } from './login.js';
import { buildSetupEntries, type SetupDeps, type SetupInput } from './setup.js';

/** The entries the setup will write, as far as they are known before the login (no tokens). */
function entriesBeforeLogin(input: SetupInput): ReturnType<typeof buildSetupEntries>['entries'] {
  // No tokens yet: an oidc entry without an id_token, compared without its Casdoor user (subjectUnknown).
  const noLogin = { tokens: { idToken: '' }, verified: { claims: {}, header: {}, warnings: [] } } as unknown as VerifiedLogin;
  return buildSetupEntries(input, input.mode === 'exec' ? undefined : noLogin).entries;
}

/**
 * The conflicts a setup would meet, or [] when it is forced, writes a standalone file, or cannot know
 * its own context's name before the login (no --username and no --context: the login names the user).
 */
export async function repointConflictsBeforeLogin(input: SetupInput, deps: Pick<SetupDeps, 'env' | 'homeDir'>): Promise<RepointConflict[]> {
  if (input.force || input.output !== undefined || !(input.username || input.names.context)) return [];
  const userKnown = Boolean(input.username || input.names.user);
  const conflicts = await previewRepointConflicts(
    { ...(input.kubeconfig !== undefined ? { kubeconfigFlag: input.kubeconfig } : {}), env: deps.env, homeDir: deps.homeDir, entries: entriesBeforeLogin(input) },
    { subjectUnknown: true },
  );
  return conflicts.filter((c) => c.kind === 'cluster' || userKnown);
}

/** Non-interactive setup: refuse before the login, with the message the write would give. */
export async function refuseRepointBeforeLogin(input: SetupInput, deps: Pick<SetupDeps, 'env' | 'homeDir'>): Promise<void> {
  const conflicts = await repointConflictsBeforeLogin(input, deps);
  if (conflicts.length) throw new RepointError(conflicts);
}
