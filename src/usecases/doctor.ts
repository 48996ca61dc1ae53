/**
 * `doctor`: one checklist of what Kubernetes needs from the Casdoor application, read from what
 * Casdoor tells anyone (no admin rights needed, no Bearer token on the anonymous probes: a stale one
 * would fail every request in routers/auto_signin_filter.go AutoSigninFilter):
 *
 * 1. discovery, with the issuer compared to the URL given;
 * 2. the application, found by client id through /api/get-app-login (object/token_oauth_util.go
 *    CheckOAuthLogin, no side effect) or by name through /api/get-application (masked for non-admins:
 *    object/application_util.go GetMaskedApplication leaves signinMethods, isShared and scopes visible);
 * 3. grant probes at the token endpoint with dummy values: object/token_oauth.go GetOAuthToken checks
 *    IsGrantTypeValid before anything else, so `unsupported_grant_type` = the grant is off, and
 *    `invalid_grant` = it is on (a dummy refresh token / unknown user refused);
 * 4. /api/device-auth (controllers/auth.go DeviceAuth): `unauthorized_client` = no "Device login";
 * 5. from a token (a login with the usual grant flags, or a kubeconfig entry's): format, claims,
 *    signing method vs the JWKS key, expiry, refresh expiry, clock offset;
 * 6. with a cluster: the API server's answer to the token, explained as `whoami` does.
 *
 * Exit: 0 when nothing blocks Kubernetes (warnings included), 8 when a setting does.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { CasdoorApi } from '../casdoor/api.js';
import {
  blocking,
  deviceGrantCheck,
  deviceLoginCheck,
  maskedAppChecks,
  passwordGrantCheck,
  refreshGrantCheck,
  renderChecks,
  tokenChecks,
  type Check,
} from '../casdoor/checks.js';
import type { CasdoorApplication } from '../casdoor/model.js';
import type { Output } from '../ports/output.js';
import type { ReviewOutcome, ReviewTarget } from '../cluster/review.js';
import { CliError } from '../errors.js';
import { extractOAuthError, type OAuthErrorBody } from '../oidc/casdoor-errors.js';
import type { ProviderMetadata } from '../oidc/discovery.js';
import { sendGrant } from '../oidc/grants.js';
import type { HttpClient } from '../oidc/http.js';
import { fetchJwks } from '../oidc/verify.js';
import { diagnoseUnauthorized, type ClaimMapping } from './whoami.js';
import { openSession, type Session, type VerifiedLogin } from './login.js';

/** Exit status of `doctor` when a Casdoor setting blocks Kubernetes (errors.ts 'blocked'). */
export const DOCTOR_BLOCKED_EXIT = 8;
/** What this tool's logins request (grants.ts passwordGrant, browser-login.ts LOGIN_SCOPE). */
export const PROBE_SCOPE = 'openid profile email';
/** The redirect URI a browser login uses (a loopback one: always valid, util/validation.go IsValidOrigin). */
export const PROBE_REDIRECT_URI = 'http://127.0.0.1/callback';
/** The dummy values of the probes: no such refresh token or user exists. */
export const PROBE_REFRESH_TOKEN = 'casdoor-kubeconfig-doctor-probe';
export const PROBE_USERNAME = 'casdoor-kubeconfig-doctor-probe';

export interface DoctorTokens {
  idToken: string;
  refreshToken?: string;
  /** Where they came from, for the report ("login as alice", "context alice@k8s"). */
  source: string;
}

export interface DoctorInput {
  casdoorUrl: string;
  clientId?: string;
  application?: string;
  claims: ClaimMapping;
  /** Skip the /api/device-auth probe (it leaves a pending, expiring device code in Casdoor's memory). */
  skipDeviceProbe?: boolean;
  output: 'text' | 'json';
}

export interface DoctorDeps {
  out: Output;
  http: HttpClient;
  now: () => Date;
  /** A login (usual grant flags) or a kubeconfig entry's tokens; undefined = no token checks. */
  tokens?: (session: Session, clientId: string) => Promise<DoctorTokens | undefined>;
  /** The cluster side: the API server's answer to a token (SelfSubjectReview). */
  cluster?: { target: Omit<ReviewTarget, 'token'>; review: (target: ReviewTarget) => Promise<ReviewOutcome> };
}

export interface DoctorReport {
  casdoorUrl: string;
  clientId?: string;
  application?: string;
  organization?: string;
  ok: boolean;
  /** The login failed for a reason of the user's (wrong password, locked account): no token was checked. */
  loginFailed?: boolean;
  checks: Check[];
}

const USER_SIDE_REASONS: ReadonlySet<string> = new Set(['wrong-password', 'unknown-user', 'account-locked', 'account-forbidden', 'external-account']);

/** POSTs one probe grant and returns Casdoor's OAuth refusal (undefined = it issued a token, which a dummy never gets). */
async function probeGrant(session: Session, clientId: string, form: Record<string, string>, grant: 'password' | 'refresh_token'): Promise<OAuthErrorBody | undefined> {
  const res = await sendGrant(session.http, session.meta, grant, { clientId }, form);
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = undefined;
  }
  return extractOAuthError(res.status, body);
}

async function probeDeviceAuth(session: Session, clientId: string): Promise<{ ok: boolean; error?: string; description?: string }> {
  const endpoint = session.meta.device_authorization_endpoint;
  if (!endpoint) return { ok: false, error: 'no device_authorization_endpoint in discovery' };
  // controllers/auth.go DeviceAuth answers its errors with HTTP 200 and the OAuth error shape.
  const res = await session.http.postForm(endpoint, { client_id: clientId, scope: 'openid' }, 'device authorization probe');
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    return { ok: false, error: `HTTP ${res.status}, not JSON` };
  }
  if (typeof body.device_code === 'string') return { ok: true };
  return { ok: false, ...(typeof body.error === 'string' ? { error: body.error } : {}), ...(typeof body.error_description === 'string' ? { description: body.error_description } : {}) };
}

interface Found {
  check: Check;
  app?: CasdoorApplication;
  clientId?: string;
}

async function findApplication(api: CasdoorApi, input: Pick<DoctorInput, 'clientId' | 'application'>): Promise<Found> {
  const title = 'Application';
  if (input.clientId) {
    const answer = await api.getAppLogin(input.clientId, PROBE_REDIRECT_URI, PROBE_SCOPE);
    if (!answer.application) {
      return {
        check: {
          id: 'application',
          status: 'fail',
          blocks: true,
          title,
          detail: `no application has the client id ${input.clientId} (Casdoor: "${answer.msg}").`,
          setting: 'Casdoor → Applications → <the application> → Client ID (use that value, not the application\'s name)',
          why: 'the API server\'s --oidc-client-id and every login name the application by its client id.',
        },
      };
    }
    const app = answer.application;
    if (input.application && input.application !== app.name) {
      return { app, clientId: input.clientId, check: { id: 'application', status: 'fail', blocks: true, title, detail: `the client id ${input.clientId} belongs to "${app.name}", not to "${input.application}".`, setting: `Casdoor → Applications → ${input.application} → Client ID` } };
    }
    if (!answer.ok) {
      const scope = /scope/i.test(answer.msg);
      return {
        app,
        clientId: input.clientId,
        check: {
          id: 'application',
          status: 'fail',
          blocks: true,
          title,
          detail: `"${app.name}" (organization ${app.organization}) refuses a login with scope "${PROBE_SCOPE}": "${answer.msg}".`,
          setting: `Casdoor → Applications → ${app.name} → ${scope ? 'Scopes' : 'Redirect URLs'}`,
          why: 'the browser login asks for these scopes and a loopback redirect URI.',
        },
      };
    }
    return { app, clientId: input.clientId, check: { id: 'application', status: 'pass', title, detail: `"${app.name}" in organization ${app.organization} (found by its client id).` } };
  }
  const name = input.application as string;
  const app = await api.getApplication(name);
  if (!app) {
    return { check: { id: 'application', status: 'fail', blocks: true, title, detail: `Casdoor has no application "${name}" (get-application?id=admin/${name} is null).`, setting: 'Casdoor → Applications → Add (or run casdoor-kubeconfig casdoor-app apply)' } };
  }
  return { app, ...(app.clientId ? { clientId: app.clientId } : {}), check: { id: 'application', status: 'pass', title, detail: `"${app.name}" in organization ${app.organization}, client id ${app.clientId ?? '?'}.` } };
}

function decodeSafe(token: string): { claims: Record<string, unknown>; alg?: string; kid?: string } | undefined {
  try {
    const claims = decodeJwt(token) as Record<string, unknown>;
    let header: { alg?: string; kid?: string } = {};
    try {
      header = decodeProtectedHeader(token);
    } catch {
      header = {};
    }
    return { claims, ...(header.alg ? { alg: header.alg } : {}), ...(header.kid ? { kid: header.kid } : {}) };
  } catch {
    return undefined;
  }
}

async function jwksAlgOf(http: HttpClient, meta: ProviderMetadata, kid: string | undefined): Promise<string | undefined> {
  if (!kid) return undefined;
  try {
    const jwks = await fetchJwks(http, meta);
    const key = jwks.keys.find((k) => k.kid === kid);
    return typeof key?.alg === 'string' ? key.alg : undefined;
  } catch {
    return undefined;
  }
}

function clusterCheck(outcome: ReviewOutcome, token: string, input: Pick<DoctorInput, 'claims'>, session: Session, clientId: string, now: Date, server: string): Check {
  const title = 'API server';
  if (outcome.ok) {
    return { id: 'cluster', status: 'pass', title, detail: `${server} authenticated the token as ${outcome.userInfo.username}${outcome.userInfo.groups.length ? ` (groups ${outcome.userInfo.groups.join(', ')})` : ''}.` };
  }
  if (outcome.status === 401) {
    const findings = diagnoseUnauthorized({
      token,
      kind: 'token',
      expected: { issuer: session.meta.issuer, clientId, source: 'auth-provider' },
      claims: input.claims,
      now,
      context: '(doctor)',
      hasRefreshToken: false,
    });
    return {
      id: 'cluster',
      status: 'fail',
      blocks: true,
      title,
      detail: `${server} refused the token (401). ${findings.map((f) => `${f.message} Fix: ${f.fix}`).join(' ')}`,
      why: 'this is what kubectl will meet.',
    };
  }
  return { id: 'cluster', status: 'warn', title, detail: `${server} answered ${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}.` };
}

/** Runs every check and prints the checklist (text or JSON on stdout). */
export async function runDoctor(input: DoctorInput, deps: DoctorDeps): Promise<DoctorReport> {
  const report = await diagnose(input, deps);
  if (input.output === 'json') deps.out.data(JSON.stringify(report, null, 2));
  else deps.out.data(renderChecks(report.checks));
  return report;
}

/** Runs every check (network through deps) and returns the report, printing nothing. */
export async function diagnose(input: Omit<DoctorInput, 'output'>, deps: Omit<DoctorDeps, 'out'>): Promise<DoctorReport> {
  if (!input.clientId && !input.application) throw new CliError('usage', 'doctor needs --client-id or --application (or --context naming an entry made by setup).');
  const checks: Check[] = [];
  let session: Session;
  try {
    session = await openSession(deps.http, input.casdoorUrl);
    checks.push({ id: 'discovery', status: 'pass', title: 'Issuer and discovery', detail: `${session.meta.issuer} (the issuer equals the URL given).` });
  } catch (err) {
    if (err instanceof CliError && err.reason === 'issuer-mismatch') {
      checks.push({ id: 'discovery', status: 'fail', blocks: true, title: 'Issuer and discovery', detail: err.message, setting: 'Casdoor conf/app.conf → origin (the public https URL, exactly)', why: 'kube-apiserver compares the token\'s iss with --oidc-issuer-url as exact strings.' });
      return finish({ casdoorUrl: input.casdoorUrl, ok: false, checks });
    }
    throw err;
  }
  const api = new CasdoorApi({ http: deps.http, origin: new URL(session.meta.issuer).origin });
  const found = await findApplication(api, input);
  checks.push(found.check);
  const report: DoctorReport = {
    casdoorUrl: session.meta.issuer,
    ...(found.clientId ? { clientId: found.clientId } : {}),
    ...(found.app ? { application: found.app.name, organization: found.app.organization } : {}),
    ok: false,
    checks,
  };
  if (!found.app || !found.clientId) return finish(report);
  const appName = found.app.name;
  const clientId = found.clientId;

  checks.push(passwordGrantCheck(appName, await probeGrant(session, clientId, { grant_type: 'password', username: PROBE_USERNAME, password: '', scope: PROBE_SCOPE }, 'password')));
  checks.push(refreshGrantCheck(appName, await probeGrant(session, clientId, { grant_type: 'refresh_token', refresh_token: PROBE_REFRESH_TOKEN }, 'refresh_token')));
  checks.push(deviceGrantCheck(appName, found.app));
  if (!input.skipDeviceProbe) checks.push(deviceLoginCheck(appName, await probeDeviceAuth(session, clientId)));
  checks.push(...maskedAppChecks(found.app, clientId));

  let tokens: DoctorTokens | undefined;
  if (deps.tokens) {
    try {
      tokens = await deps.tokens(session, clientId);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      if (err.code !== 'login' && err.code !== 'verify') throw err;
      // A wrong password or a locked account is this user's problem, not a setting (exit 3, not 8); a
      // disabled grant, an unknown client or a token that fails verification is what every user would meet.
      const userSide = err.reason !== undefined && USER_SIDE_REASONS.has(err.reason);
      if (userSide) report.loginFailed = true;
      checks.push({ id: 'login', status: 'fail', blocks: !userSide, title: 'Login', detail: `${err.message}${err.hint ? ` ${err.hint}` : ''}` });
    }
  }
  if (tokens) {
    const decoded = decodeSafe(tokens.idToken);
    if (!decoded) {
      checks.push({ id: 'login', status: 'fail', blocks: true, title: 'Login', detail: `the id_token from ${tokens.source} is not a JWT.`, setting: `Casdoor → Applications → ${appName} → Token format: JWT` });
    } else {
      checks.push({ id: 'login', status: 'pass', title: 'Login', detail: `tokens from ${tokens.source}.` });
      const refresh = tokens.refreshToken ? decodeSafe(tokens.refreshToken) : undefined;
      const jwksAlg = await jwksAlgOf(deps.http, session.meta, decoded.kid);
      checks.push(
        ...tokenChecks(
          appName,
          {
            claims: decoded.claims,
            ...(decoded.alg ? { alg: decoded.alg } : {}),
            ...(decoded.kid ? { kid: decoded.kid } : {}),
            ...(jwksAlg ? { jwksAlg } : {}),
            ...(refresh ? { refreshClaims: refresh.claims } : {}),
            hasRefreshToken: Boolean(tokens.refreshToken),
            nowSeconds: Math.floor(deps.now().getTime() / 1000),
            issuer: session.meta.issuer,
          },
          {
            usernameClaim: input.claims.usernameClaim,
            groupsClaim: input.claims.groupsClaim,
            ...(input.claims.usernamePrefix !== undefined ? { usernamePrefix: input.claims.usernamePrefix } : {}),
            ...(input.claims.groupsPrefix !== undefined ? { groupsPrefix: input.claims.groupsPrefix } : {}),
          },
        ),
      );
      if (deps.cluster) {
        const target: ReviewTarget = { ...deps.cluster.target, token: tokens.idToken };
        checks.push(clusterCheck(await deps.cluster.review(target), tokens.idToken, input, session, clientId, deps.now(), target.server));
      }
    }
  } else if (deps.cluster) {
    checks.push({ id: 'cluster', status: 'unknown', title: 'API server', detail: 'not checked: no token (log in with --username/--grant, or name an entry with --context).' });
  }
  return finish(report);
}

function finish(report: DoctorReport): DoctorReport {
  report.ok = blocking(report.checks).length === 0;
  return report;
}

/** The error `doctor` ends with when the login failed for the user's own reason (exit 3): the checklist is incomplete. */
export function loginFailedError(): CliError {
  return new CliError('login', 'The login failed (see the Login line), so no token was checked.', { hint: 'Fix the username or password and run doctor again.' });
}

/** The error `doctor` ends with when a setting blocks Kubernetes (exit 8). */
export function blockedError(report: DoctorReport): CliError {
  const names = blocking(report.checks).map((c) => c.title);
  return new CliError('blocked', `${names.length} Casdoor setting${names.length > 1 ? 's' : ''} keep${names.length > 1 ? '' : 's'} Kubernetes from working: ${names.join(', ')}.`, {
    hint: 'Change them as the lines above say (a Casdoor admin can run casdoor-kubeconfig casdoor-app apply), then run doctor again.',
  });
}

export type { VerifiedLogin };
