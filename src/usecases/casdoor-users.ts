/**
 * `casdoor-app apply --users roster.csv`: the roster's teammates as Casdoor users of the organization.
 *
 * - Missing users are created (POST /api/add-user, controllers/user.go AddUser → object/user.go
 *   AddUser) with their groups (`groups: ["<org>/<group>"]`) and an initial password, sent as plain
 *   text (Casdoor hashes it with the organization's password type). The organization must already have
 *   an application (object/user.go AddUser: "should have one application at least"), so users come
 *   after the application.
 * - Missing groups are created first (POST /api/add-group, controllers/group.go AddGroup) so that the
 *   web UI lists them.
 * - Existing users are left as they are, unless --update-groups: then their `groups` is set to the
 *   roster's and the user is sent back as read with `columns=groups` (POST /api/update-user), so that
 *   only the groups are written: without `columns`, object/user.go UpdateUser writes its default
 *   columns, which include `properties`, where get-users shows the OAuth tokens masked as "***"
 *   (object/user.go GetMaskedUser); only a "***" password is restored from the stored user.
 * - Passwords come from the admin's file (username,password); missing ones are generated and added to
 *   that file (created 0600). A password is never printed, logged or put in a diff.
 */
import { randomBytes } from 'node:crypto';
import type { CasdoorApi } from '../casdoor/api.js';
import type { CasdoorUser } from '../casdoor/model.js';
import type { Output } from '../ports/output.js';
import { CliError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { rowGroups, type RosterEntry } from './roster.js';

export interface UsersInput {
  roster: RosterEntry[];
  /** username → password, from the admin's file. */
  passwords: Map<string, string>;
  passwordFile: string;
  updateGroups: boolean;
}

export interface UsersDeps {
  out: Output;
  /** Appends generated passwords to the password file (0600); never called in a dry run. */
  savePasswords: (generated: Array<[string, string]>) => Promise<void>;
}

export interface UsersResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  skipped: Array<{ where: string; error: string }>;
  groupsCreated: string[];
  generatedPasswords: number;
}

/** 18 random bytes, base64url: 24 characters, no spaces (Casdoor's set-password refuses spaces). */
export const generatePassword = (): string => randomBytes(18).toString('base64url');

export async function applyUsers(api: CasdoorApi, organization: string, application: string, input: UsersInput, deps: UsersDeps, dryRun: boolean): Promise<UsersResult> {
  const result: UsersResult = { created: [], updated: [], unchanged: [], skipped: [], groupsCreated: [], generatedPasswords: 0 };
  const rows = input.roster.filter((e) => {
    if (e.error) result.skipped.push({ where: e.where, error: e.error });
    return !e.error;
  });
  for (const e of rows) {
    const foreign = rowGroups(e.row).filter((g) => !g.startsWith(`${organization}/`) || g.split('/').length !== 2);
    if (foreign.length) {
      throw new CliError('usage', `roster ${e.where}: group${foreign.length > 1 ? 's' : ''} ${foreign.join(', ')} ${foreign.length > 1 ? 'are' : 'is'} not "${organization}/<group>".`, {
        hint: `Users of ${organization} can only be in its groups; write them as ${organization}/<group>.`,
      });
    }
  }
  const existing = new Map((await api.getUsers(organization)).map((u) => [u.name, u]));
  const wantedGroups = new Set(rows.flatMap((e) => rowGroups(e.row)));
  const haveGroups = new Set((await api.getGroups(organization)).map((g) => `${g.owner}/${g.name}`));
  for (const g of [...wantedGroups].filter((x) => !haveGroups.has(x)).sort()) {
    const name = g.slice(organization.length + 1);
    if (!dryRun) await api.addGroup({ owner: organization, name, displayName: name, type: 'Virtual', parentId: organization, isTopGroup: true, isEnabled: true });
    result.groupsCreated.push(g);
  }

  const generated: Array<[string, string]> = [];
  for (const e of rows) {
    const name = e.row.username;
    const groups = rowGroups(e.row);
    const user = existing.get(name);
    if (user) {
      const same = JSON.stringify([...(user.groups ?? [])].sort()) === JSON.stringify([...groups].sort());
      if (!input.updateGroups || same) {
        result.unchanged.push(name);
        continue;
      }
      if (!dryRun) await api.updateUser({ ...user, groups } as CasdoorUser, ['groups']);
      result.updated.push(name);
      continue;
    }
    let password = input.passwords.get(name);
    if (password === undefined) {
      password = generatePassword();
      generated.push([name, password]);
    }
    registerSecret(password);
    if (!dryRun) {
      await api.addUser({ owner: organization, name, displayName: name, type: 'normal-user', password, groups, signupApplication: application });
    }
    result.created.push(name);
  }
  result.generatedPasswords = generated.length;
  // Saved once the users exist (a failed add-user above leaves no password for a user that is not there).
  if (!dryRun && generated.length) await deps.savePasswords(generated);
  return result;
}

export function describeUsers(r: UsersResult, dryRun: boolean, passwordFile: string): string[] {
  const will = dryRun ? 'would be ' : '';
  const lines: string[] = [];
  if (r.groupsCreated.length) lines.push(`Groups ${will}created: ${r.groupsCreated.join(', ')}`);
  if (r.created.length) lines.push(`Users ${will}created: ${r.created.join(', ')}`);
  if (r.updated.length) lines.push(`Users whose groups ${dryRun ? 'would be' : 'were'} updated: ${r.updated.join(', ')}`);
  if (r.unchanged.length) lines.push(`Users left as they are: ${r.unchanged.join(', ')}`);
  for (const s of r.skipped) lines.push(`Skipped roster ${s.where}: ${s.error}`);
  if (r.generatedPasswords) lines.push(`${r.generatedPasswords} initial password(s) ${dryRun ? 'would be generated' : `generated and added to ${passwordFile} (readable only by you)`}; hand them over privately.`);
  return lines;
}
