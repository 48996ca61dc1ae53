/**
 * The username and groups claims, picked among those the token really carries, and the preflight
 * check of the token against them.
 */
import { candidateClaims, preflight, type PreflightResult } from '../../oidc/preflight.js';
import { analyzeTokenFormat, type TokenFormatReport } from '../../oidc/token-format.js';
import type { Session, VerifiedLogin } from '../../usecases/login.js';
import { printPreflight } from '../../usecases/setup.js';
import { Q } from '../questions.js';
import type { Run } from '../run.js';
import type { Choice } from '../types.js';

const CLAIM_NOTES: Record<string, string> = {
  name: "Casdoor's username (recommended)",
  preferred_username: "the username (Casdoor's JWT-Standard token format)",
  email: 'the email: refused when email_verified is false, but ACCEPTED when absent (JWT-Standard/JWT-Empty): unverified emails become usernames',
  sub: 'an opaque user ID: RBAC bindings would have to name it',
  id: 'an opaque user ID: RBAC bindings would have to name it',
  displayName: 'a display name: may contain spaces and change',
  owner: 'the organization: the same for every user, never a username',
  groups: 'Casdoor groups, as "<organization>/<group>"',
};
const PREFERRED_ORDER = ['name', 'preferred_username', 'email', 'sub'];

function claimPreview(v: unknown): string {
  const text = Array.isArray(v) ? (v.length ? v.join(', ') : 'empty list') : String(v);
  return text.length > 48 ? `${text.slice(0, 47)}…` : text;
}

/** The notes, adjusted to the token format: in JWT-Standard "name" is the display name (object/token_jwt.go UserStandard). */
function claimNotes(format: TokenFormatReport | undefined): Record<string, string> {
  if (format?.format !== 'JWT-Standard' || !format.preferredUsername) return CLAIM_NOTES;
  return {
    ...CLAIM_NOTES,
    name: "the display name in Casdoor's JWT-Standard format: may contain spaces, change, and is not unique",
    preferred_username: "Casdoor's username (recommended: the JWT-Standard format puts it here)",
  };
}

function claimChoices(keys: string[], claims: Record<string, unknown>, format?: TokenFormatReport): Array<Choice<string>> {
  const notes = claimNotes(format);
  const sorted = [...keys].sort((x, y) => {
    const ix = PREFERRED_ORDER.indexOf(x);
    const iy = PREFERRED_ORDER.indexOf(y);
    return (ix < 0 ? 99 : ix) - (iy < 0 ? 99 : iy);
  });
  const width = Math.max(...sorted.map((k) => k.length));
  return sorted.map((k) => ({
    value: k,
    name: `${k.padEnd(width)}  ${claimPreview(claims[k])}`,
    short: `${k} (${claimPreview(claims[k])})`,
    ...(notes[k] ? { description: notes[k] } : {}),
  }));
}

export function claimSettings(run: Run, issuer: string) {
  const s = run.opts.settings;
  return {
    issuer,
    usernameClaim: run.a.usernameClaim ?? s.usernameClaim,
    groupsClaim: run.a.groupsClaim ?? s.groupsClaim,
    ...(s.usernamePrefix !== undefined ? { usernamePrefix: s.usernamePrefix } : {}),
    ...(s.groupsPrefix !== undefined ? { groupsPrefix: s.groupsPrefix } : {}),
  };
}

export function claimSettingsForPrint(run: Run): { usernameClaim: string; groupsClaim: string; usernamePrefix?: string } {
  const s = run.opts.settings;
  return {
    usernameClaim: run.a.usernameClaim ?? s.usernameClaim,
    groupsClaim: run.a.groupsClaim ?? s.groupsClaim,
    ...(s.usernamePrefix !== undefined ? { usernamePrefix: s.usernamePrefix } : {}),
  };
}

/** Lets the user pick the username and groups claims among those the token really carries. */
export async function claimsStep(run: Run, session: Session, login: VerifiedLogin): Promise<PreflightResult> {
  const { ask, out, deps, a, given, opts } = run;
  const claims = login.verified.claims;
  const candidates = candidateClaims(claims);
  // The format decides the default username claim (JWT-Standard: preferred_username), unless a flag chose it.
  const detected = analyzeTokenFormat(claims, { ...(given.usernameClaim !== undefined ? { usernameClaim: given.usernameClaim } : {}), groupsClaim: a.groupsClaim ?? opts.settings.groupsClaim });
  if (given.usernameClaim === undefined) out.info(out.c.dim(`Casdoor token format ${detected.format} (${detected.evidence}): ${detected.usernameClaimReason}.`));
  for (;;) {
    if (given.usernameClaim === undefined && candidates.username.length > 0) {
      const def = a.usernameClaim ?? detected.usernameClaim;
      a.usernameClaim = await ask.select(Q.usernameClaim(claimChoices(candidates.username, claims, detected), candidates.username.includes(def) ? def : undefined));
    } else if (given.usernameClaim === undefined) {
      a.usernameClaim = detected.usernameClaim;
    }
    if (given.groupsClaim === undefined && candidates.groups.length > 1) {
      const def = a.groupsClaim ?? opts.settings.groupsClaim;
      a.groupsClaim = await ask.select(Q.groupsClaim(claimChoices(candidates.groups, claims), candidates.groups.includes(def) ? def : undefined));
    } else if (given.groupsClaim === undefined && candidates.groups.length === 1) {
      a.groupsClaim = candidates.groups[0];
    }
    const report = preflight(claims, claimSettings(run, session.meta.issuer));
    const settings = claimSettingsForPrint(run);
    run.format = analyzeTokenFormat(claims, { usernameClaim: settings.usernameClaim, groupsClaim: settings.groupsClaim });
    printPreflight(out, report, settings, deps.now(), { format: run.format, proof: run.proof });
    const canChange = given.usernameClaim === undefined || given.groupsClaim === undefined;
    if (report.warnings.some((w) => w.fatal) && canChange && (await ask.confirm(Q.otherClaims()))) continue;
    return report;
  }
}
