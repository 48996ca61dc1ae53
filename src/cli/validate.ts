/**
 * The checks of values the user types live in src/validate.ts, where use cases and the wizard import
 * them without reaching into cli/; re-exported here for the commands. Also the API server's claim
 * mapping flags, which six commands declare.
 */
import { Option, type Command } from 'commander';
import { usageError } from '../errors.js';

export * from '../validate.js';

/** The API server's claim mapping flags (--username-claim, --groups-claim, --username-prefix, --groups-prefix). */
export interface ClaimFlags {
  usernameClaim: string;
  groupsClaim?: string;
  usernamePrefix: string;
  groupsPrefix?: string;
}

/** Each command's help text of the claim flags it declares; a flag without one is not declared. */
export interface ClaimHelps {
  usernameClaim?: string;
  groupsClaim?: string;
  usernamePrefix?: string;
  groupsPrefix?: string;
}

/**
 * setup's --groups-prefix has no default (`groupsPrefixDefault: false`): there a given '' is a value and
 * is kept (its --json summary shows it); everywhere else '' is the default and means the flag unset.
 */
export interface ClaimOptions {
  groupsPrefixDefault?: boolean;
}

/** Declares the claim flags `helps` names, in the order above, with their defaults (name, groups, '-', ''). */
export function addClaimOptions(cmd: Command, helps: ClaimHelps, opts: ClaimOptions = {}): Command {
  if (helps.usernameClaim !== undefined) cmd.addOption(new Option('--username-claim <claim>', helps.usernameClaim).default('name'));
  if (helps.groupsClaim !== undefined) cmd.addOption(new Option('--groups-claim <claim>', helps.groupsClaim).default('groups'));
  if (helps.usernamePrefix !== undefined) cmd.addOption(new Option('--username-prefix <prefix>', helps.usernamePrefix).default('-'));
  if (helps.groupsPrefix !== undefined) {
    const option = new Option('--groups-prefix <prefix>', helps.groupsPrefix);
    cmd.addOption(opts.groupsPrefixDefault === false ? option : option.default(''));
  }
  return cmd;
}

/** A claim flag given as '' (or blanks) is a usage error. */
export function checkClaimFlags(flags: Pick<ClaimFlags, 'usernameClaim' | 'groupsClaim'>): void {
  for (const [flag, v] of [['--username-claim', flags.usernameClaim], ['--groups-claim', flags.groupsClaim]] as const) {
    if (v !== undefined && v.trim() === '') throw usageError(`${flag} must not be empty.`);
  }
}

export interface ClaimValues {
  usernameClaim: string;
  groupsClaim?: string;
  /** undefined = the API server's flag unset ("<issuer>#"), '-' = none. */
  usernamePrefix?: string;
  groupsPrefix?: string;
}

/** The flags as settings, unchecked: a prefix of '' (the API server's flag left unset) is left out. */
export function claimSettings(flags: ClaimFlags & { groupsClaim: string }, opts?: ClaimOptions): ClaimValues & { groupsClaim: string };
export function claimSettings(flags: ClaimFlags, opts?: ClaimOptions): ClaimValues;
export function claimSettings(flags: ClaimFlags, opts: ClaimOptions = {}): ClaimValues {
  const keepEmptyGroupsPrefix = opts.groupsPrefixDefault === false;
  return {
    usernameClaim: flags.usernameClaim,
    ...(flags.groupsClaim !== undefined ? { groupsClaim: flags.groupsClaim } : {}),
    ...(flags.usernamePrefix !== '' ? { usernamePrefix: flags.usernamePrefix } : {}),
    ...(flags.groupsPrefix !== undefined && (flags.groupsPrefix !== '' || keepEmptyGroupsPrefix) ? { groupsPrefix: flags.groupsPrefix } : {}),
  };
}

/** checkClaimFlags, then claimSettings. */
export function claimsFromFlags(flags: ClaimFlags & { groupsClaim: string }): ClaimValues & { groupsClaim: string };
export function claimsFromFlags(flags: ClaimFlags): ClaimValues;
export function claimsFromFlags(flags: ClaimFlags): ClaimValues {
  checkClaimFlags(flags);
  return claimSettings(flags);
}
