/** `rbac`: flags → RbacInput → usecases/rbac; the YAML on stdout, warnings on stderr. */
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { parseCasdoorUrl } from '../oidc/issuer.js';
import type { RbacInput } from '../usecases/rbac.js';
import type { CommandContext, CommandListing } from './main.js';
import { addClaimOptions, claimsFromFlags } from './validate.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const RBAC_COMMAND: CommandListing = {
  name: 'rbac',
  term: 'rbac [options]',
  description:
    'Print a ClusterRoleBinding (or, with --namespace, a RoleBinding) granting a role to Casdoor users and groups, ' +
        'each subject named exactly as the API server will see it (organization and prefixes applied). YAML on stdout.',
};

export interface RbacFlags {
  user?: string[];
  group?: string[];
  application?: string[];
  organization?: string;
  clusterRole?: string;
  role?: string;
  namespace?: string;
  name?: string;
  usernameClaim: string;
  usernamePrefix: string;
  groupsPrefix: string;
  casdoorUrl?: string;
  issuer?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const EXAMPLES = `
Examples:
  # Read-only access everywhere for the Casdoor group "admins" of organization "k8s-org" (subject "k8s-org/admins"):
  casdoor-kubeconfig rbac --group admins --organization k8s-org | kubectl apply -f -

  # cluster-admin for two users, with the API server's --oidc-username-prefix=oidc: and groups prefix oidc:
  casdoor-kubeconfig rbac --user alice --user bob --cluster-role cluster-admin --username-prefix oidc: --groups-prefix oidc:

  # edit in one namespace (a RoleBinding to the ClusterRole "edit"), or a namespaced Role with --role:
  casdoor-kubeconfig rbac --group k8s-org/devs --namespace team-a --cluster-role edit
  casdoor-kubeconfig rbac --user alice --namespace team-a --role deployer

  # a CI pipeline's identity (--grant client-credentials): the application "ci-deployer" may edit team-a:
  casdoor-kubeconfig rbac --application ci-deployer --namespace team-a --cluster-role edit

Notes:
  Subjects are named as kube-apiserver sees them: users = prefix + claim value, groups = prefix + "<org>/<group>".
  Use the same --username-prefix/--groups-prefix as apiserver-config (defaults: '-' = none and '' = none).
  With --username-prefix '' (the API server's flag unset) users are named "<issuer>#<name>": give --casdoor-url.`;

export function registerRbac(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command(RBAC_COMMAND.name)
    .description(RBAC_COMMAND.description)
    .option('--user <name>', 'Casdoor username to bind (repeatable); the bare name, as in the username claim', collect)
    .option('--application <name>', 'Casdoor application whose client-credentials identity (setup/token --grant client-credentials, for CI) to bind (repeatable): a user named after the application', collect)
    .option('--group <name>', 'Casdoor group to bind (repeatable): "<org>/<group>", or the bare group with --organization', collect)
    .option('--organization <org>', 'Casdoor organization, prepended as "<org>/" to each --group given without one')
    .option('--cluster-role <name>', 'ClusterRole to grant (default: view, the safest built-in role)')
    .option('--role <name>', 'namespaced Role to grant instead (needs --namespace)')
    .option('--namespace <ns>', 'make a RoleBinding in this namespace instead of a ClusterRoleBinding')
    .option('--name <name>', 'binding name (default: casdoor-<subject>-<role>, as a DNS-1123 name)');
  addClaimOptions(cmd, {
    usernameClaim: 'the API server\'s username claim (matters only for "email", which gets no default prefix)',
    usernamePrefix: "the API server's --oidc-username-prefix: '-' = none, '' = unset (\"<issuer>#\"), else prepended",
    groupsPrefix: "the API server's --oidc-groups-prefix ('' = none)",
  });
  cmd
    .option('--casdoor-url <url>', 'the issuer; needed only with --username-prefix \'\' (users become "<issuer>#<name>")')
    .option('--issuer <url>', 'same as --casdoor-url')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: RbacFlags) => {
      const out = ctx.output();
      const input = rbacInputFromFlags(flags);
      const { buildRbacBinding } = await import('../usecases/rbac.js');
      const result = buildRbacBinding(input);
      for (const w of result.warnings) out.warn(w);
      out.data(result.text);
    });
}

/** Turns flags into an RbacInput, or a usage error naming what is wrong (pure). */
export function rbacInputFromFlags(flags: RbacFlags): RbacInput {
  if (flags.role !== undefined && flags.clusterRole !== undefined) {
    throw usageError('give either --cluster-role or --role, not both.', '--role names a namespaced Role; a RoleBinding (--namespace) can also grant a ClusterRole.');
  }
  if (flags.casdoorUrl !== undefined && flags.issuer !== undefined && flags.casdoorUrl !== flags.issuer) {
    throw usageError('--casdoor-url and --issuer name the same thing but differ: give one.');
  }
  const rawIssuer = flags.casdoorUrl ?? flags.issuer;
  const issuer = rawIssuer === undefined ? undefined : parseCasdoorUrl(rawIssuer);
  // A prefix of '' = the API server's flag left unset (see --help).
  const claims = claimsFromFlags(flags);
  return {
    users: flags.user ?? [],
    groups: flags.group ?? [],
    ...(flags.application ? { applications: flags.application } : {}),
    ...(flags.organization !== undefined ? { organization: flags.organization } : {}),
    roleRef: flags.role !== undefined ? { kind: 'Role', name: flags.role } : { kind: 'ClusterRole', name: flags.clusterRole ?? 'view' },
    ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...claims,
    ...(issuer !== undefined ? { issuer } : {}),
  };
}
