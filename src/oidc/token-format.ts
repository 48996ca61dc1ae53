/**
 * Which of Casdoor's token formats an id_token was minted in, read from its claims (pure), and what
 * that means for kube-apiserver: which claim holds the username, whether groups are there, and for
 * JWT-Custom whether the claims the API server is told to read exist at all.
 *
 * Casdoor picks the claims by the application's "Token format" (object/token_jwt.go
 * generateJwtTokenInternal, by application.TokenFormat):
 * - "JWT" (the default, also for an empty setting): getClaimsWithoutThirdIdp → UserWithoutThirdIdp:
 *   nearly the whole user; `name` is the username, `displayName` the display name, `groups` is always
 *   there (refineUser turns nil into []), `email_verified`, `tag`, `isAdmin`, `createdTime` always
 *   present; no `preferred_username`.
 * - "JWT-Empty": getShortClaims → UserShort: `owner`, `name` (username), `id`, `displayName`,
 *   `avatar`, `email`, `email_verified` (omitted when false), `phone`; no groups.
 * - "JWT-Standard": getStandardClaims (object/token_standard_jwt.go). Newer Casdoor (UserStandard in
 *   object/token_jwt.go) writes the username as `preferred_username` and the DISPLAY name as `name`;
 *   older releases embedded UserShort (username in `name`). Both add an OIDC `address` object
 *   (OIDCAddress: a struct, so never omitted) and carry no groups.
 * - "JWT-Custom": getClaimsCustom: the registered claims, `tokenType`, `nonce` and `scope` (always,
 *   even empty), `azp`, plus only the fields the admin picked in "Token fields" (camelCased through
 *   util.SnakeToCamel(util.CamelToSnakeCase(field)): Name → `name`, EmailVerified → `emailVerified`)
 *   and "Token attributes" under their own names.
 *
 * Used by setup and the wizard (summary: which claim is the username and why), generate, and the
 * Kubernetes side (preflight, whoami, apiserver-config) through `analyzeTokenFormat`.
 */

export type TokenFormat = 'JWT' | 'JWT-Standard' | 'JWT-Empty' | 'JWT-Custom';

export interface DetectedFormat {
  format: TokenFormat;
  /** JWT-Standard only: the newer layout (username in `preferred_username`, display name in `name`). */
  preferredUsername?: boolean;
  /** Which claims gave it away, for messages ("has preferred_username and an address object"). */
  evidence: string;
}

const has = (claims: Record<string, unknown>, key: string): boolean => Object.prototype.hasOwnProperty.call(claims, key);
const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Recognizes the token format from an id_token's claims (see the module comment for each shape). */
export function detectTokenFormat(claims: Record<string, unknown>): DetectedFormat {
  // JWT-Standard, newer layout: UserStandard's `preferred_username` next to `owner` and `id`.
  if (typeof claims.preferred_username === 'string' && has(claims, 'owner') && has(claims, 'id') && !has(claims, 'displayName')) {
    return { format: 'JWT-Standard', preferredUsername: true, evidence: 'it has "preferred_username" and no "displayName"' };
  }
  // JWT-Standard, older layout: UserShort plus the OIDCAddress object (JWT's address is a list).
  if (isObject(claims.address) && has(claims, 'owner') && has(claims, 'id')) {
    return { format: 'JWT-Standard', preferredUsername: false, evidence: 'it has an OIDC "address" object' };
  }
  // JWT: the whole user, with fields no other format carries (always present: no omitempty).
  if (Array.isArray(claims.groups) && has(claims, 'owner') && has(claims, 'displayName') && (has(claims, 'isAdmin') || has(claims, 'createdTime'))) {
    return { format: 'JWT', evidence: 'it carries the whole user (groups, isAdmin, createdTime …)' };
  }
  // JWT-Empty: exactly UserShort's user fields.
  if (has(claims, 'owner') && typeof claims.name === 'string' && has(claims, 'id') && has(claims, 'displayName') && !has(claims, 'groups') && !has(claims, 'createdTime')) {
    return { format: 'JWT-Empty', evidence: 'it carries only owner, name, id, displayName, email and phone' };
  }
  return { format: 'JWT-Custom', evidence: "its claims match none of Casdoor's fixed formats (the application's Token fields decide them)" };
}

/**
 * The username claim that fits the format when the user named none: Casdoor's username is `name` in
 * JWT, JWT-Empty and the older JWT-Standard, `preferred_username` in the newer JWT-Standard (where `name`
 * is the display name, which is neither unique nor stable). JWT-Custom: `name` when the admin picked
 * it, else `preferred_username` when a token attribute of that name exists, else `name` all the same
 * (the analysis then says it is missing).
 */
export function defaultUsernameClaim(detected: DetectedFormat, claims: Record<string, unknown>): string {
  if (detected.format === 'JWT-Standard' && detected.preferredUsername) return 'preferred_username';
  if (detected.format === 'JWT-Custom' && typeof claims.name !== 'string' && typeof claims.preferred_username === 'string') return 'preferred_username';
  return 'name';
}

export type FormatNoteCode =
  | 'username-claim-chosen' // the default username claim follows the format (JWT-Standard → preferred_username)
  | 'name-is-display-name' // JWT-Standard with --username-claim name: that is the display name
  | 'groups-not-in-format' // JWT-Standard / JWT-Empty carry no groups at all
  | 'custom-claim-missing' // JWT-Custom without a claim the API server is told to read
  | 'custom-groups-missing'; // JWT-Custom without the groups claim

export interface FormatNote {
  code: FormatNoteCode;
  message: string;
}

export interface TokenFormatReport extends DetectedFormat {
  /** The username claim to use: the one given, else defaultUsernameClaim. */
  usernameClaim: string;
  /** Why that claim, in a few words, for the summary ("JWT-Standard puts the username in preferred_username"). */
  usernameClaimReason: string;
  /** Whether the groups claim is in the token. */
  groupsPresent: boolean;
  notes: FormatNote[];
}

export interface FormatSettings {
  /** The username claim the user gave (flag or wizard answer); undefined = follow the format. */
  usernameClaim?: string | undefined;
  groupsClaim: string;
}

/** User fields whose JWT-Custom claim is the camelCased field name (getClaimsCustom, safeCustomTokenUserFields). */
const CUSTOM_FIELDS = ['Owner', 'Name', 'Id', 'DisplayName', 'Email', 'EmailVerified', 'Phone', 'Groups', 'Roles', 'Permissions', 'Tag', 'Type'];

/** What to add in Casdoor for a claim: a "Token fields" entry (Name → name), else a "Token attributes" entry of that name. */
function tokenFieldFor(claim: string): string {
  const field = CUSTOM_FIELDS.find((f) => f.charAt(0).toLowerCase() + f.slice(1) === claim);
  return field ? `${field} to the application's "Token fields"` : `a "Token attributes" entry named "${claim}"`;
}

/**
 * The format, the username claim to use and why, and what will not work (pure). `settings.usernameClaim`
 * undefined means "not chosen": the claim then follows the format.
 */
export function analyzeTokenFormat(claims: Record<string, unknown>, settings: FormatSettings): TokenFormatReport {
  const detected = detectTokenFormat(claims);
  const given = settings.usernameClaim;
  const usernameClaim = given ?? defaultUsernameClaim(detected, claims);
  const notes: FormatNote[] = [];
  let usernameClaimReason: string;
  if (given !== undefined) {
    usernameClaimReason = 'as given';
  } else if (usernameClaim === 'preferred_username' && detected.format === 'JWT-Standard') {
    usernameClaimReason = 'Casdoor\'s JWT-Standard format puts the username in "preferred_username" and the display name in "name"';
    notes.push({
      code: 'username-claim-chosen',
      message: `The application's token format is JWT-Standard: the username is in "preferred_username" ("name" is the display name), so the API server must use --oidc-username-claim=preferred_username.`,
    });
  } else {
    usernameClaimReason = `Casdoor's ${detected.format} format puts the username in "${usernameClaim}"`;
  }
  if (detected.format === 'JWT-Standard' && detected.preferredUsername && given === 'name') {
    notes.push({
      code: 'name-is-display-name',
      message: 'In Casdoor\'s JWT-Standard format "name" is the display name, which users can change and need not be unique: use --username-claim preferred_username.',
    });
  }
  const groupsPresent = has(claims, settings.groupsClaim);
  if (!groupsPresent && (detected.format === 'JWT-Standard' || detected.format === 'JWT-Empty')) {
    notes.push({
      code: 'groups-not-in-format',
      message: `Casdoor's ${detected.format} token format carries no groups, so RBAC bindings on groups will not match anyone: set the application's "Token format" to JWT (groups as "<organization>/<group>"), or to JWT-Custom with Groups among its "Token fields".`,
    });
  }
  if (detected.format === 'JWT-Custom') {
    if (!has(claims, usernameClaim)) {
      const strings = Object.keys(claims).filter((k) => typeof claims[k] === 'string' && !['iss', 'sub', 'jti', 'nonce', 'scope', 'azp', 'tokenType'].includes(k));
      notes.push({
        code: 'custom-claim-missing',
        message: `The application's token format is JWT-Custom and its tokens have no "${usernameClaim}" claim, so the API server will reject them: add ${tokenFieldFor(usernameClaim)} in Casdoor${strings.length ? `, or use one of the claims it has: ${strings.join(', ')}` : ''}.`,
      });
    }
    if (!groupsPresent) {
      notes.push({
        code: 'custom-groups-missing',
        message: `The application's token format is JWT-Custom and its tokens have no "${settings.groupsClaim}" claim, so RBAC bindings on groups will not match anyone: add ${tokenFieldFor(settings.groupsClaim)} in Casdoor.`,
      });
    }
  }
  return { ...detected, usernameClaim, usernameClaimReason, groupsPresent, notes };
}
