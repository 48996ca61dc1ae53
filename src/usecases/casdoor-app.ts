/**
 * `casdoor-app apply`: create the Casdoor application Kubernetes needs, or fix an existing one, as a
 * Casdoor admin.
 *
 * - The admin's identity is an access token (= id_token, object/token_oauth.go GetOAuthToken) sent as
 *   Bearer: from an authorization-code + PKCE login against Casdoor's built-in application
 *   `app-built-in` (its client id is public in the masked get-application; authorization_code is
 *   always allowed, object/token_oauth_util.go IsGrantTypeValid; PKCE needs no secret,
 *   object/token_oauth.go GetAuthorizationCodeToken; loopback redirect URIs always pass,
 *   util/validation.go IsValidOrigin), or given (`--admin-token`). No client secret is ever used as a
 *   credential: it would make the caller `app/<name>` (routers/base.go getUsernameByClientIdSecret).
 * - Update = read the whole object (unmasked: an admin read), change only what Kubernetes needs, write
 *   it whole (object/application.go UpdateApplication writes every column), read it back and compare.
 * - "Unaffected" and HTTP-200 `status:"error"` are failures with Casdoor's message (api.ts).
 */
import { CasdoorApi, CasdoorApiError } from '../casdoor/api.js';
import { planCreate, planUpdate, renderPlan, verifyStored, type AppPlan, type AppSpec } from '../casdoor/k8s-app.js';
import { BUILT_IN_APPLICATION, isMasked, type CasdoorApplication } from '../casdoor/model.js';
import type { Output } from '../ports/output.js';
import { CliError } from '../errors.js';
import type { HttpClient } from '../oidc/http.js';
import { registerSecret } from '../redact.js';
import { applyUsers, describeUsers, type UsersDeps, type UsersInput, type UsersResult } from './casdoor-users.js';
import { openSession, type Session } from './login.js';

export interface ApplyInput {
  casdoorUrl: string;
  spec: AppSpec;
  dryRun: boolean;
  /** Skip the confirmation (--yes); without it, a change needs a terminal to confirm. */
  yes: boolean;
  showClientSecret: boolean;
  /** Given admin token (--admin-token / CASDOOR_ADMIN_TOKEN); else a browser login against app-built-in. */
  adminToken?: string;
  /** --users: the roster's teammates as users of the organization. */
  users?: UsersInput;
}

export interface ApplyDeps {
  out: Output;
  http: HttpClient;
  /** Logs the admin in (auth code + PKCE, loopback) against the given application's client id; returns the access token. */
  adminLogin: (session: Session, clientId: string) => Promise<string>;
  /** Asks "apply these changes?"; undefined when no person is at a terminal. */
  confirm?: (question: string) => Promise<boolean>;
  savePasswords?: UsersDeps['savePasswords'];
}

export type ApplyAction = 'created' | 'updated' | 'unchanged' | 'planned';

export interface ApplyResult {
  action: ApplyAction;
  application: string;
  organization: string;
  clientId?: string;
  changes: string[];
  /** Only with showClientSecret: for the caller to print on stdout, never part of --json or any file. */
  clientSecret?: string;
  users?: UsersResult;
}

async function adminToken(session: Session, input: ApplyInput, deps: ApplyDeps): Promise<string> {
  if (input.adminToken) {
    registerSecret(input.adminToken);
    return input.adminToken;
  }
  const anon = new CasdoorApi({ http: deps.http, origin: new URL(session.meta.issuer).origin });
  const builtIn = await anon.getApplication(BUILT_IN_APPLICATION);
  if (!builtIn?.clientId) {
    throw new CliError('login', `Casdoor has no "${BUILT_IN_APPLICATION}" application to log the admin in with.`, { hint: 'Pass an admin access token with --admin-token (or CASDOOR_ADMIN_TOKEN).' });
  }
  const token = await deps.adminLogin(session, builtIn.clientId);
  registerSecret(token);
  return token;
}

function refuseMasked(app: CasdoorApplication): void {
  // GetMaskedApplication (object/application_util.go) returns the object unmasked only to a global
  // admin, app/*, or an admin of the application's organization (isApplicationAdmin). Writing a masked
  // read back would store "***" as the cert and -1 as the expiry.
  if (isMasked(app)) {
    throw new CliError('login', `Casdoor showed the application "${app.name}" masked: the account logged in is not an admin of its organization (${app.organization}); nothing was changed.`, {
      hint: 'Log in as a global admin (built-in organization) or an admin of that organization.',
    });
  }
}

export async function runApply(input: ApplyInput, deps: ApplyDeps): Promise<ApplyResult> {
  const session = await openSession(deps.http, input.casdoorUrl);
  const token = await adminToken(session, input, deps);
  const api = new CasdoorApi({ http: deps.http, origin: new URL(session.meta.issuer).origin, bearer: token });
  const result = await applyApplication(api, input, deps);
  if (!input.users) return result;
  const usersDeps: UsersDeps = { out: deps.out, savePasswords: deps.savePasswords ?? (async () => undefined) };
  const plan = await applyUsers(api, input.spec.organization, input.spec.name, input.users, usersDeps, true);
  const changes = plan.created.length + plan.updated.length + plan.groupsCreated.length;
  if (input.dryRun || changes === 0) {
    for (const line of describeUsers(plan, true, input.users.passwordFile)) deps.out.info(line);
    return { ...result, users: plan };
  }
  for (const line of describeUsers(plan, true, input.users.passwordFile)) deps.out.info(line);
  if (!input.yes) {
    if (!deps.confirm) throw new CliError('usage', `Changing the users of ${input.spec.organization} needs a confirmation: run in a terminal, or pass --yes (check first with --dry-run).`);
    if (!(await deps.confirm(`Create / update these users in ${input.spec.organization}?`))) throw new CliError('interrupted', 'No user was changed in Casdoor.');
  }
  const users = await applyUsers(api, input.spec.organization, input.spec.name, input.users, usersDeps, false);
  for (const line of describeUsers(users, false, input.users.passwordFile)) deps.out.step(line);
  return { ...result, users };
}

async function applyApplication(api: CasdoorApi, input: ApplyInput, deps: ApplyDeps): Promise<ApplyResult> {
  const { spec } = input;
  const id = `admin/${spec.name}`;

  const current = await api.getApplication(spec.name);
  // An unmasked read carries the client secret: never let it reach a line of output.
  if (current?.clientSecret && current.clientSecret !== '***') registerSecret(current.clientSecret);
  if (current) refuseMasked(current);
  if (current && current.organization !== spec.organization) {
    throw new CliError('usage', `The application "${spec.name}" exists in organization ${current.organization}, not ${spec.organization}; nothing was changed.`, {
      hint: `Use --organization ${current.organization}, or another --name for a new application.`,
    });
  }
  const plan: AppPlan = current ? planUpdate(current, spec) : planCreate(spec);
  const base: Omit<ApplyResult, 'action'> = {
    application: spec.name,
    organization: spec.organization,
    ...(current?.clientId ? { clientId: current.clientId } : {}),
    changes: plan.changes.map((c) => c.field),
  };
  if (current && plan.changes.length === 0) {
    deps.out.step(`The application ${id} (organization ${spec.organization}) already has everything Kubernetes needs; nothing was written.`);
    const secret = input.showClientSecret && current.clientSecret && current.clientSecret !== '***' ? current.clientSecret : undefined;
    return { ...base, action: 'unchanged', ...(secret ? { clientSecret: secret } : {}) };
  }
  const diff = renderPlan(plan, { before: current ? `${id} in Casdoor` : '(no application)', after: current ? `${id} after apply` : `${id} to create` });
  if (input.dryRun) {
    deps.out.data(diff);
    deps.out.info(`Dry run: nothing was written to Casdoor (${current ? `${plan.changes.length} field(s) to change` : 'the application would be created'}).`);
    return { ...base, action: 'planned' };
  }
  deps.out.info(diff);
  if (!input.yes) {
    if (!deps.confirm) {
      throw new CliError('usage', `${current ? 'Changing' : 'Creating'} ${id} needs a confirmation: run in a terminal, or pass --yes (check the change first with --dry-run).`);
    }
    if (!(await deps.confirm(`${current ? 'Write these changes to' : 'Create'} ${id} in Casdoor?`))) {
      throw new CliError('interrupted', 'Nothing was changed in Casdoor.');
    }
  }
  if (current) await api.updateApplication(spec.name, plan.next);
  else await api.addApplication(plan.next);

  const stored = await api.getApplication(spec.name);
  if (!stored) throw new CasdoorApiError('/api/get-application', `the application ${id} is not there after Casdoor said "Affected"`);
  const missing = verifyStored(stored, spec);
  if (missing.length) {
    throw new CliError('login', `Casdoor stored ${id}, but reading it back shows ${missing.join(', ')} still not as Kubernetes needs them.`, {
      hint: 'Check the application in Casdoor\'s web UI; an older Casdoor may ignore some fields.',
    });
  }
  const secret = stored.clientSecret && stored.clientSecret !== '***' ? stored.clientSecret : undefined;
  registerSecret(secret);
  const action: ApplyAction = current ? 'updated' : 'created';
  deps.out.step(`${action === 'created' ? 'Created' : 'Updated'} ${id} in organization ${stored.organization}; read back: it has what Kubernetes needs.`);
  return { ...base, action, ...(stored.clientId ? { clientId: stored.clientId } : {}), ...(input.showClientSecret && secret ? { clientSecret: secret } : {}) };
}

/** What the admin runs next, with the real values. */
export function nextSteps(casdoorUrl: string, result: ApplyResult): string {
  const clientId = result.clientId ?? '<client id>';
  return [
    `Client ID: ${clientId}`,
    'Next steps:',
    `  casdoor-kubeconfig doctor --casdoor-url ${casdoorUrl} --client-id ${clientId}`,
    `  casdoor-kubeconfig apiserver-config --casdoor-url ${casdoorUrl} --client-id ${clientId}    # the API server's OIDC settings`,
    `  casdoor-kubeconfig rbac --group ${result.organization}/<group> --cluster-role view                # RBAC for a Casdoor group`,
    `  casdoor-kubeconfig generate --casdoor-url ${casdoorUrl} --client-id ${clientId} --roster team.csv --server https://<api server>:6443 --out-dir kubeconfigs`,
  ].join('\n');
}
