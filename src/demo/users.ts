/**
 * The demo provider's accounts, in a short form; `toCasdoorUser` turns them into Casdoor users for the
 * emulator's model (src/demo/casdoor/model.ts), whose tokens carry what Casdoor's token format puts there.
 */
import { makeUser, stableUserId, type CasdoorRole, type CasdoorUser } from './casdoor/model.js';

export type DemoRole = CasdoorRole;

export interface DemoUser {
  /** Casdoor's `name`: the username, unique inside the organization. */
  username: string;
  password: string;
  /** Casdoor's `owner`. Default 'k8s-org'. */
  organization?: string;
  /** The user's id, sent as `sub`. Default: a UUID derived from organization and username. */
  id?: string;
  displayName?: string;
  email?: string;
  /** Default false. */
  emailVerified?: boolean;
  /** `<org>/<group>` names, as Casdoor sends them. Default none (`[]`). */
  groups?: string[];
  /** Role objects, as Casdoor sends them (objects, so never usable as a groups claim). */
  roles?: DemoRole[];
  phone?: string;
  /** Extra claims merged last into the JWT format's tokens (undefined removes one); not a Casdoor field. */
  extraClaims?: Record<string, unknown>;
}

export const DEFAULT_ORGANIZATION = 'k8s-org';

export const DEFAULT_USERS: readonly DemoUser[] = Object.freeze([
  {
    username: 'alice',
    password: 'correct-horse',
    organization: DEFAULT_ORGANIZATION,
    displayName: 'Alice Admin',
    email: 'alice@example.com',
    emailVerified: true,
    groups: [`${DEFAULT_ORGANIZATION}/admins`],
    roles: [{ owner: DEFAULT_ORGANIZATION, name: 'cluster-admin', displayName: 'Cluster Admin', isEnabled: true }],
  },
  {
    username: 'bob',
    password: 'battery-staple',
    organization: DEFAULT_ORGANIZATION,
    displayName: 'Bob Builder',
    email: 'bob@example.com',
    emailVerified: false,
    groups: [],
    roles: [],
  },
]);

/** A stable UUID-shaped id, so `sub` is the same in every run and every test (Casdoor's ids are UUIDs). */
export function userId(user: DemoUser): string {
  if (user.id !== undefined) return user.id;
  // Version 5-style layout: recognisably a UUID without claiming to be a random one.
  return stableUserId(user.organization ?? DEFAULT_ORGANIZATION, user.username);
}

/** Finds a user the way Casdoor's password grant does: by name, or by email. */
export function findUser(users: readonly DemoUser[], login: string): DemoUser | undefined {
  return users.find((u) => u.username === login) ?? users.find((u) => u.email !== undefined && u.email === login);
}

/** The demo account as a Casdoor `object.User` (plain-text password, as the emulator keeps it). */
export function toCasdoorUser(user: DemoUser): CasdoorUser {
  const owner = user.organization ?? DEFAULT_ORGANIZATION;
  return makeUser({
    owner,
    name: user.username,
    id: userId(user),
    password: user.password,
    displayName: user.displayName ?? user.username,
    email: user.email ?? '',
    emailVerified: user.emailVerified ?? false,
    phone: user.phone ?? '',
    groups: [...(user.groups ?? [])],
    roles: [...(user.roles ?? [])],
    ...(user.extraClaims === undefined ? {} : { extraClaims: { ...user.extraClaims } }),
  });
}
