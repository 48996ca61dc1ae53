/**
 * The demo provider's accounts and the Casdoor-shaped claims it puts in their tokens
 * (Casdoor's default "JWT" token format: nearly the whole user object, see docs in shared notes).
 */
import { createHash } from 'node:crypto';

export interface DemoRole {
  owner: string;
  name: string;
  displayName: string;
  [field: string]: unknown;
}

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
  /** Extra claims merged last (they may override the ones above). */
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
  const hex = createHash('sha256')
    .update(`${user.organization ?? DEFAULT_ORGANIZATION}/${user.username}`)
    .digest('hex');
  // Version 5-style layout: recognisably a UUID without claiming to be a random one.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Finds a user the way Casdoor's password grant does: by name, or by email. */
export function findUser(users: readonly DemoUser[], login: string): DemoUser | undefined {
  return users.find((u) => u.username === login) ?? users.find((u) => u.email !== undefined && u.email === login);
}

/**
 * The claims of Casdoor's default "JWT" token format, minus the registered ones (iss, aud, exp, ...)
 * which the provider adds. `email_verified` is always present there, false included.
 */
export function casdoorClaims(user: DemoUser, clientId: string | undefined): Record<string, unknown> {
  const owner = user.organization ?? DEFAULT_ORGANIZATION;
  const claims: Record<string, unknown> = {
    sub: userId(user),
    id: userId(user),
    owner,
    name: user.username,
    preferred_username: user.username,
    displayName: user.displayName ?? user.username,
    email: user.email ?? '',
    email_verified: user.emailVerified ?? false,
    phone: user.phone ?? '',
    groups: user.groups ?? [],
    roles: user.roles ?? [],
    permissions: [],
    tokenType: 'access-token',
  };
  if (clientId !== undefined) claims['azp'] = clientId;
  return { ...claims, ...user.extraClaims };
}

/** Every claim name `casdoorClaims` can produce: oidc-provider drops undeclared claims silently. */
export const CASDOOR_CLAIM_NAMES = [
  'sub', 'id', 'owner', 'name', 'preferred_username', 'displayName', 'email', 'email_verified', 'phone',
  'groups', 'roles', 'permissions', 'tokenType', 'azp',
] as const;
