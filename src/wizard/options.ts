/**
 * What the wizard takes and gives back: the answers (from flags, or suggested), the settings that have
 * no question, the dependencies it is run with, and the outcome of a run.
 */
import type { ContextCheck, ContextCheckInput } from '../usecases/context-check.js';
import type { EntryNames } from '../usecases/entries.js';
import type { SetupDeps, SetupInput, SetupMode, SetupResult } from '../usecases/setup.js';
import type { Spin } from './spinner.js';
import type { Prompts } from './types.js';

/** Everything the wizard can ask for. In `given` (flags) a value skips its question; in `suggested` it is the default. */
export interface Answers {
  casdoorUrl?: string;
  casdoorCaPem?: string;
  casdoorCaFile?: string;
  organization?: string;
  application?: string;
  clientId?: string;
  clientSecret?: string;
  grant?: 'password' | 'browser' | 'device';
  username?: string;
  password?: string;
  usernameClaim?: string;
  groupsClaim?: string;
  server?: string;
  certificateAuthorityData?: string;
  /** Only a suggestion: the path offered for the API server's CA. */
  certificateAuthorityFile?: string;
  insecureSkipTlsVerify?: boolean;
  cluster?: string;
  user?: string;
  context?: string;
  namespace?: string;
  kubeconfig?: string;
  output?: string;
  mode?: SetupMode;
}

/** Settings that have no question: flags, or their defaults. They go into the setup input as they are (inputOf). */
export type WizardSettings = Pick<
  SetupInput,
  'setCurrentContext' | 'dryRun' | 'usernameClaim' | 'groupsClaim' | 'usernamePrefix' | 'groupsPrefix' | 'execCommand' | 'browserCommand' | 'noBrowser' | 'force' | 'scope' | 'listenAddresses' | 'resource' | 'tokenCacheStorage'
>;

export interface WizardOptions {
  given: Answers;
  suggested?: Answers;
  settings: WizardSettings;
  /** Offer to renew contexts found in the target kubeconfig (default true). */
  offerRenew?: boolean;
  /** Why browser and device logins are disabled when deps.grantLogin is absent (default "coming soon"). */
  grantsUnavailable?: string;
  /** After writing, ask the API server who it sees with the new context (default true; the demo checks on its own). */
  checkWithCluster?: boolean;
  /** At the end of a new setup, offer to show the API server configuration (default true). */
  offerApiserverConfig?: boolean;
}

export interface WizardDeps extends SetupDeps {
  prompts: Prompts;
  spin: Spin;
  /**
   * The check of the new context with the API server (default: usecases/context-check with the real
   * SelfSubjectReview, loaded on use). `token`: exec mode's freshly cached id_token, which is exactly
   * what the plugin would print (the plugin command itself may not be on PATH yet).
   */
  checkContext?: (input: ContextCheckInput, token: string | undefined) => Promise<ContextCheck>;
}

export interface WizardResult {
  outcome: 'written' | 'dry-run' | 'declined';
  input: SetupInput;
  names: EntryNames;
  /** Set when written, and for a dry run (with no files). */
  result?: SetupResult;
  renewed?: boolean;
  /** What the API server said of the new context ('skipped' when it was not asked). */
  check?: ContextCheck['outcome'] | 'skipped';
}
