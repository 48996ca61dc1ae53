/**
 * `rbac`: a ClusterRoleBinding or RoleBinding for Casdoor users and groups, with every subject named
 * exactly as kube-apiserver will see it (pure apart from reading templates/rbac-binding.yaml).
 *
 * The names are where Casdoor and Kubernetes most often disagree: Casdoor puts "<org>/<group>" in
 * the groups claim, and the API server prepends --oidc-username-prefix / --oidc-groups-prefix (the
 * username prefix defaulting to "<issuer>#" when the flag is unset). A binding that names the bare
 * group or user silently grants nothing, so the mapping is computed with the same functions the
 * login preflight uses (mapUsername/mapGroups) and explained in the output's header.
 */
import { createHash } from 'node:crypto';
import { usageError } from '../errors.js';
import { mapGroups, mapUsername } from '../oidc/preflight.js';
import { readTemplate, renderYaml } from '../templates.js';
import { isNamespace, NAMESPACE_RULE } from '../validate.js';

export const RBAC_API_GROUP = 'rbac.authorization.k8s.io';

export interface RbacInput {
  users: string[];
  groups: string[];
  /**
   * Casdoor applications whose client-credentials identity to bind (`--grant client-credentials`): the
   * token's user is the application (Casdoor object/token_oauth.go GetClientCredentialsToken: name =
   * application name, owner = its owner, type "application"), so the API server sees a user named after it.
   */
  applications?: string[];
  /** Casdoor organization: prepended as "<org>/" to groups given without one. */
  organization?: string;
  roleRef: { kind: 'ClusterRole' | 'Role'; name: string };
  /** Set: a RoleBinding in this namespace; absent: a ClusterRoleBinding. */
  namespace?: string;
  /** Binding name; derived from the first subject and the role when absent. */
  name?: string;
  usernameClaim: string;
  /** undefined = --oidc-username-prefix unset, '-' = none. */
  usernamePrefix?: string;
  groupsPrefix?: string;
  /** Only needed when the username prefix is unset (kube-apiserver then prefixes "<issuer>#"). */
  issuer?: string;
}

export interface RbacSubject {
  kind: 'User' | 'Group';
  apiGroup: typeof RBAC_API_GROUP;
  name: string;
}

export interface MappedSubject {
  subject: RbacSubject;
  /** What was given on the command line. */
  given: string;
  /** The claim value Casdoor puts in the token for it. */
  claimValue: string;
  /** One line: how `given` became `subject.name`. */
  explanation: string;
}

export interface RbacBinding {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  metadata: { name: string; namespace?: string };
  roleRef: { apiGroup: typeof RBAC_API_GROUP; kind: 'ClusterRole' | 'Role'; name: string };
  subjects: RbacSubject[];
}

/** Line breaks and other control characters would break the comment lines and YAML printed. */
const CONTROL = { test: (s: string): boolean => [...s].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\u007f') };

/** kube-apiserver's rule for RBAC object names (path segment names): not empty, not . or .., no / or %. */
export function rbacNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (name === '.' || name === '..') return `may not be "${name}"`;
  if (/[/%]/.test(name)) return 'may not contain "/" or "%"';
  if (CONTROL.test(name)) return 'may not contain control characters';
  return undefined;
}

/**
 * A valid DNS-1123 subdomain from arbitrary text (pure): lowercase, runs of other characters become
 * "-", at most 63 characters; when shortened, a hash of the full text keeps names distinct.
 */
export function toDnsName(text: string): string {
  const clean = text
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  const max = 63;
  if (clean.length <= max && clean !== '') return clean;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  const head = clean.slice(0, max - hash.length - 1).replace(/[^a-z0-9]+$/, '');
  return head ? `${head}-${hash}` : hash;
}

/**
 * `casdoor-<subject>-<role>`, sanitized (pure). Two different bindings must never get one name (the
 * second `kubectl apply` would silently replace the first one's subjects): when the readable name loses
 * anything (case, characters such as '/' or '_', the other subjects behind "-and-N-more", or length),
 * a hash of every subject (kind and exact name) and the role is appended.
 */
export function defaultBindingName(firstSubject: string, roleName: string, extraSubjects = 0, allSubjects: readonly string[] = [firstSubject]): string {
  const more = extraSubjects > 0 ? `-and-${extraSubjects}-more` : '';
  const readable = `casdoor-${firstSubject}${more}-${roleName}`;
  const clean = toDnsName(readable);
  if (clean === readable && extraSubjects === 0) return clean;
  const hash = createHash('sha256').update(JSON.stringify([...allSubjects, roleName])).digest('hex').slice(0, 8);
  if (clean.endsWith(hash)) return clean;
  const head = clean.slice(0, 63 - hash.length - 1).replace(/[^a-z0-9]+$/, '');
  return head ? `${head}-${hash}` : hash;
}

function describePrefix(prefix: string): string {
  return prefix === '' ? 'no prefix' : `prefix "${prefix}"`;
}

/** Maps the users and groups given to RBAC subjects (pure). Returns warnings about likely mistakes. */
export function rbacSubjects(input: RbacInput): { mapped: MappedSubject[]; warnings: string[] } {
  const warnings: string[] = [];
  const mapped: MappedSubject[] = [];
  const apps = new Set(input.applications ?? []);
  for (const user of [...input.users, ...(input.applications ?? []).filter((a) => !input.users.includes(a))]) {
    const isApp = apps.has(user) && !input.users.includes(user);
    if (isApp && input.usernameClaim !== 'name' && input.usernameClaim !== 'preferred_username') {
      // refineUser/getStandardClaims (object/token_jwt.go): the application's name is in "name" (JWT format)
      // and "preferred_username" (JWT-Standard); an application has no email, display name or groups.
      warnings.push(`--application ${user}: a client-credentials token names the application only in "name" (JWT format) or "preferred_username" (JWT-Standard); with the username claim "${input.usernameClaim}" the API server finds no username in it.`);
    }
    if (input.usernamePrefix === undefined && input.usernameClaim !== 'email' && !input.issuer) {
      throw usageError(
        'Without --username-prefix the API server names users "<issuer>#<claim value>": give --casdoor-url (the issuer) so the user subjects can be named.',
        "Or pass the API server's actual --username-prefix (the default '-' means none).",
      );
    }
    if (!isApp && user.includes('/')) {
      warnings.push(`--user ${user}: Casdoor's "${input.usernameClaim}" claim is the bare username, without "<organization>/"; the binding will only match a username that really contains "/".`);
    }
    const name = mapUsername(user, {
      issuer: input.issuer ?? '',
      usernameClaim: input.usernameClaim,
      ...(input.usernamePrefix !== undefined ? { usernamePrefix: input.usernamePrefix } : {}),
    });
    const prefix = name.slice(0, name.length - user.length);
    const how =
      input.usernamePrefix === undefined
        ? `--oidc-username-prefix unset: ${input.usernameClaim === 'email' ? 'no prefix for the email claim' : `"<issuer>#" = ${describePrefix(prefix)}`}`
        : input.usernamePrefix === '-'
          ? "--oidc-username-prefix '-': no prefix"
          : `--oidc-username-prefix ${describePrefix(prefix)}`;
    mapped.push({
      subject: { kind: 'User', apiGroup: RBAC_API_GROUP, name },
      given: user,
      claimValue: user,
      explanation: isApp
        ? `User "${name}" ← Casdoor application "${user}" (its client-credentials identity, claim "${input.usernameClaim}"), ${how}`
        : `User "${name}" ← Casdoor user "${user}" (claim "${input.usernameClaim}"), ${how}`,
    });
  }
  const groupsPrefix = input.groupsPrefix ?? '';
  for (const group of input.groups) {
    let claimValue = group;
    let origin: string;
    if (group.includes('/')) {
      origin = `Casdoor group "${group}"`;
      if (input.organization && !group.startsWith(`${input.organization}/`)) {
        warnings.push(`--group ${group} already names an organization, so --organization ${input.organization} was not applied to it.`);
      }
    } else if (input.organization) {
      claimValue = `${input.organization}/${group}`;
      origin = `Casdoor group "${group}" of organization "${input.organization}" (claim value "${claimValue}")`;
    } else {
      origin = `Casdoor group "${group}"`;
      warnings.push(`--group ${group}: Casdoor puts "<organization>/<group>" in the groups claim; without --organization (or --group <org>/${group}) this binding will not match Casdoor's groups.`);
    }
    if (groupsPrefix !== '' && claimValue.startsWith(groupsPrefix)) {
      warnings.push(`--group ${group} already starts with the groups prefix "${groupsPrefix}", which is prepended again: give the group as Casdoor names it.`);
    }
    const name = mapGroups([claimValue], groupsPrefix)[0] as string;
    mapped.push({
      subject: { kind: 'Group', apiGroup: RBAC_API_GROUP, name },
      given: group,
      claimValue,
      explanation: `Group "${name}" ← ${origin}, --oidc-groups-prefix: ${describePrefix(groupsPrefix)}`,
    });
  }
  return { mapped, warnings };
}

export function validateRbacInput(input: RbacInput): void {
  if (input.users.length === 0 && input.groups.length === 0 && (input.applications ?? []).length === 0) {
    throw usageError('give at least one --user, --group or --application to bind.', 'For example: casdoor-kubeconfig rbac --group admins --organization k8s-org');
  }
  for (const [flag, values] of [['--user', input.users], ['--group', input.groups], ['--application', input.applications ?? []]] as const) {
    for (const v of values) {
      if (v.trim() === '' || CONTROL.test(v)) throw usageError(`${flag}: "${v}" is not a valid name (empty or contains control characters).`);
    }
  }
  if (input.organization !== undefined && (input.organization === '' || /[/\s]/.test(input.organization) || CONTROL.test(input.organization))) {
    throw usageError(`--organization: "${input.organization}" is not a Casdoor organization name.`);
  }
  if (input.namespace !== undefined && !isNamespace(input.namespace)) {
    throw usageError(`--namespace: "${input.namespace}" is not a valid namespace name (${NAMESPACE_RULE}).`);
  }
  if (input.roleRef.kind === 'Role' && input.namespace === undefined) {
    throw usageError('--role names a namespaced Role: give --namespace too (or use --cluster-role).');
  }
  const roleProblem = rbacNameProblem(input.roleRef.name);
  if (roleProblem) throw usageError(`--${input.roleRef.kind === 'Role' ? 'role' : 'cluster-role'}: the name ${roleProblem}.`);
  if (input.name !== undefined) {
    const p = rbacNameProblem(input.name);
    if (p) throw usageError(`--name: the binding name ${p}.`);
  }
  for (const [flag, v] of [['--username-prefix', input.usernamePrefix], ['--groups-prefix', input.groupsPrefix], ['--casdoor-url', input.issuer]] as const) {
    if (v !== undefined && CONTROL.test(v)) throw usageError(`${flag} must not contain control characters or line breaks.`);
  }
}

export interface RbacResult {
  object: RbacBinding;
  text: string;
  mapped: MappedSubject[];
  warnings: string[];
}

/** The binding as an object and as commented YAML (pure apart from reading its template file). */
export function buildRbacBinding(input: RbacInput, template = readTemplate('rbac-binding.yaml')): RbacResult {
  validateRbacInput(input);
  const { mapped, warnings } = rbacSubjects(input);
  const kind = input.namespace === undefined ? 'ClusterRoleBinding' : 'RoleBinding';
  const first = mapped[0] as MappedSubject;
  const identities = mapped.map((m) => `${m.subject.kind}:${m.subject.name}`);
  const name = input.name ?? defaultBindingName(first.claimValue, input.roleRef.name, mapped.length - 1, identities);
  const where = input.namespace === undefined ? 'in every namespace' : `in namespace "${input.namespace}"`;
  const { object, text } = renderYaml(template, {
    title: `${kind} "${name}": ${input.roleRef.kind} "${input.roleRef.name}" ${where} for ${mapped.length === 1 ? 'one Casdoor subject' : `${mapped.length} Casdoor subjects`}.`,
    subjectNotes: mapped.map((m) => `#   ${m.explanation}`).join('\n'),
    prefixNote: "The prefixes must be the API server's own (--oidc-*-prefix or claimMappings): regenerate with the same --username-prefix/--groups-prefix.",
    kind,
    name,
    namespace: input.namespace,
    roleKind: input.roleRef.kind,
    roleName: input.roleRef.name,
    subjects: mapped.map((m) => m.subject),
  });
  return { object: object as unknown as RbacBinding, text, mapped, warnings };
}
