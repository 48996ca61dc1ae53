/**
 * A small typed client for the few Casdoor HTTP API endpoints `doctor` and `casdoor-app apply` use,
 * over the tool's one HTTP client (src/oidc/http.ts). Casdoor's own answers decide everything:
 *
 * - Every controller answer is HTTP 200 with `{"status":"ok"|"error","msg",…,"data"}`
 *   (controllers/util.go `ResponseOk`/`ResponseError`; the filter's refusal `routers/base.go`
 *   `responseError` writes no status code, so "Unauthorized operation" is an HTTP 200 too).
 * - Writes answer `data: "Affected"` or `"Unaffected"` (controllers/base.go `wrapActionResponse`);
 *   `object/application.go` `AddApplication`/`UpdateApplication` return `false, nil` (so "Unaffected")
 *   for a duplicate client id or name, a missing application and an insert error: anything but
 *   "Affected" is a failure here.
 * - Messages are translated by Accept-Language (`i18n.Translate`): `Accept-Language: en` is always sent.
 * - The caller is whoever the credentials say (routers/auto_signin_filter.go `AutoSigninFilter`):
 *   an access token as `Authorization: Bearer` (Casdoor's id_token is its access token,
 *   object/token_oauth.go `GetOAuthToken`), or nothing (anonymous). Client id + secret are never
 *   sent: they would make the caller `app/<name>`, a full admin (routers/base.go
 *   `getUsernameByClientIdSecret`, authz/authz.go `IsAllowed`).
 */
import { CliError } from '../errors.js';
import type { HttpClient, HttpResponse } from '../oidc/http.js';
import { redact } from '../redact.js';
import type { CasdoorApplication, CasdoorGroup, CasdoorUser } from './model.js';

export interface CasdoorApiOptions {
  http: HttpClient;
  /** Casdoor's origin (the issuer), without a trailing slash. */
  origin: string;
  /** An access token (= id_token) of the caller; absent = anonymous. */
  bearer?: string;
}

interface Envelope {
  status?: unknown;
  msg?: unknown;
  data?: unknown;
  data2?: unknown;
}

/** Casdoor said `status:"error"` (HTTP 200), or a write was "Unaffected": a refusal, exit 3, Casdoor's words quoted. */
export class CasdoorApiError extends CliError {
  readonly casdoorMessage: string;
  readonly endpoint: string;

  constructor(endpoint: string, casdoorMessage: string, hint?: string) {
    super('login', `Casdoor refused ${endpoint}: "${redact(casdoorMessage)}".`, hint ? { hint } : {});
    this.casdoorMessage = casdoorMessage;
    this.endpoint = endpoint;
  }
}

/** "Unauthorized operation" (authz.IsAllowed said no, or a controller's own check) or no caller: said what it means. */
const UNAUTHORIZED = /unauthorized operation|please login first/i;

const UNAUTHORIZED_HINT =
  'Log in as a global admin (a user of the built-in organization) or as an admin of the application\'s organization ' +
  '(Casdoor authz/authz.go IsAllowed allows an organization admin only on objects of its own organization).';

export function parseEnvelope(res: HttpResponse, endpoint: string): Envelope {
  if (res.status !== 200) {
    throw new CliError('network', `Casdoor answered HTTP ${res.status} to ${endpoint}: check --casdoor-url (it must be Casdoor's origin) and any proxy in front of it.`);
  }
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new CliError('network', `Casdoor's answer to ${endpoint} is not JSON${/^\s*</.test(res.text) ? ' (an HTML page came back)' : ''}.`, {
      hint: 'Use the Casdoor backend origin for --casdoor-url.',
    });
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new CliError('network', `Casdoor's answer to ${endpoint} is not a JSON object.`);
  }
  return body as Envelope;
}

/** `{"status":"ok","data":…}` → data; `{"status":"error","msg":…}` → CasdoorApiError. */
export function unwrap(res: HttpResponse, endpoint: string): unknown {
  const env = parseEnvelope(res, endpoint);
  if (env.status === 'error') {
    const msg = typeof env.msg === 'string' ? env.msg : 'error';
    throw new CasdoorApiError(endpoint, msg, UNAUTHORIZED.test(msg) ? UNAUTHORIZED_HINT : undefined);
  }
  if (env.status !== 'ok') throw new CliError('network', `Casdoor's answer to ${endpoint} has no "status": is --casdoor-url Casdoor?`);
  return env.data;
}

/**
 * A write: only `data: "Affected"` is a success (controllers/base.go wrapActionResponse; an error of
 * the object layer, a database error included, is `status:"error"` with its text). `errorHint` goes
 * with such an error when it is not an authorization refusal.
 */
export function unwrapWrite(res: HttpResponse, endpoint: string, unaffectedHint: string, errorHint?: string): void {
  let data: unknown;
  try {
    data = unwrap(res, endpoint);
  } catch (err) {
    if (errorHint && err instanceof CasdoorApiError && !err.hint) throw new CasdoorApiError(endpoint, err.casdoorMessage, errorHint);
    throw err;
  }
  if (data !== 'Affected') {
    throw new CasdoorApiError(endpoint, typeof data === 'string' ? data : JSON.stringify(data), unaffectedHint);
  }
}

export interface AppLoginAnswer {
  ok: boolean;
  /** Casdoor's message when not ok ("Invalid client_id", "Redirect URI: … doesn't exist …", "Invalid scope"). */
  msg: string;
  /** The masked application (absent for an unknown client id). */
  application?: CasdoorApplication;
}

export class CasdoorApi {
  private readonly headers: Record<string, string>;

  constructor(private readonly options: CasdoorApiOptions) {
    this.headers = { 'accept-language': 'en', ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}) };
  }

  private url(path: string, query: Record<string, string>): string {
    const u = new URL(path, `${this.options.origin}/`);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u.href;
  }

  private get(path: string, query: Record<string, string>, what: string): Promise<HttpResponse> {
    return this.options.http.get(this.url(path, query), what, this.headers);
  }

  private post(path: string, query: Record<string, string>, body: unknown, what: string): Promise<HttpResponse> {
    const postJson = this.options.http.postJson;
    if (!postJson) throw new CliError('internal', 'this HTTP client cannot send JSON');
    // Content-Type: application/json always: before v2.399 a body without it could be read as empty
    // and written with AllCols, wiping the application (see the notes on UpdateApplication).
    return postJson.call(this.options.http, this.url(path, query), body, what, this.headers);
  }

  /**
   * GET /api/get-application?id=admin/<name> (controllers/application.go GetApplication): null when
   * there is none; masked (object/application_util.go GetMaskedApplication) unless the caller is a
   * global admin, `app/*` or an admin of the application's organization.
   */
  async getApplication(name: string): Promise<CasdoorApplication | null> {
    const endpoint = '/api/get-application';
    const data = unwrap(await this.get(endpoint, { id: `admin/${name}` }, 'application'), endpoint);
    return data && typeof data === 'object' ? (data as CasdoorApplication) : null;
  }

  /**
   * GET /api/get-app-login?type=code (controllers/auth.go GetApplicationLogin → object/token_oauth_util.go
   * CheckOAuthLogin): finds the application by client id and checks a redirect URI and a scope, with no
   * side effect. Errors come as `status:"error"` with the masked application in `data` (none for an
   * unknown client id: "Invalid client_id").
   */
  async getAppLogin(clientId: string, redirectUri: string, scope: string): Promise<AppLoginAnswer> {
    const endpoint = '/api/get-app-login';
    const res = await this.get(endpoint, { clientId, responseType: 'code', redirectUri, scope, state: 'casdoor-kubeconfig-doctor', type: 'code' }, 'application login check');
    const env = parseEnvelope(res, endpoint);
    const application = env.data && typeof env.data === 'object' && !Array.isArray(env.data) ? (env.data as CasdoorApplication) : undefined;
    if (env.status === 'ok') return { ok: true, msg: '', ...(application ? { application } : {}) };
    if (env.status === 'error') return { ok: false, msg: typeof env.msg === 'string' ? env.msg : '', ...(application ? { application } : {}) };
    throw new CliError('network', `Casdoor's answer to ${endpoint} has no "status": is --casdoor-url Casdoor?`);
  }

  /** POST /api/add-application (controllers/application.go AddApplication → object/application.go AddApplication). */
  async addApplication(app: CasdoorApplication): Promise<void> {
    const endpoint = '/api/add-application';
    unwrapWrite(
      await this.post(endpoint, {}, app, 'new application'),
      endpoint,
      'Casdoor adds nothing and says "Unaffected" when the name or the client id is already taken (object/application.go AddApplication).',
    );
  }

  /**
   * POST /api/update-application?id=admin/<name> with the WHOLE object (object/application.go
   * UpdateApplication writes every column unless `columns` is given, and `columns` works only from
   * v3.95: so the caller always sends what it read, changed).
   */
  async updateApplication(name: string, app: CasdoorApplication): Promise<void> {
    const endpoint = '/api/update-application';
    unwrapWrite(
      await this.post(endpoint, { id: `admin/${name}` }, app, 'application update'),
      endpoint,
      'Casdoor changes nothing and says "Unaffected" when the application is gone, its client id collides with another one, or nothing differed (object/application.go UpdateApplication).',
    );
  }

  /** GET <endpoint>?owner=<org>: a list (anything else: none). */
  private async list<T>(endpoint: string, organization: string, what: string): Promise<T[]> {
    const data = unwrap(await this.get(endpoint, { owner: organization }, what), endpoint);
    return Array.isArray(data) ? (data as T[]) : [];
  }

  /** GET /api/get-users?owner=<org> (controllers/user.go GetUsers): admins of that organization only. */
  getUsers(organization: string): Promise<CasdoorUser[]> {
    return this.list('/api/get-users', organization, 'users');
  }

  /** POST /api/add-user (controllers/user.go AddUser → object/user.go AddUser); `password` is plain text, hashed by Casdoor. */
  async addUser(user: CasdoorUser): Promise<void> {
    const endpoint = '/api/add-user';
    unwrapWrite(await this.post(endpoint, {}, user, 'new user'), endpoint, 'Casdoor added no user (a name, email or phone already taken?).');
  }

  /**
   * POST /api/update-user?id=<org>/<name>&columns=<c1,c2> (controllers/user.go UpdateUser): the user as
   * read, changed, and ONLY the named columns written. Without `columns`, object/user.go UpdateUser
   * writes its default column set, which includes `properties`, and get-users' masking
   * (object/user.go GetMaskedUsers → GetMaskedUser(user, false): `properties` oauth_*_accessToken and
   * oauth_*_refreshToken become "***") would then be written back; only a "***" password is restored.
   * The whole user still goes in the body: the controller checks it against the stored one
   * (object/check.go CheckUpdateUser, object/user_util.go CheckPermissionForUpdateUser) and v3.158
   * merges it onto the stored user when `columns` is given; `columns` is camelCase, turned into
   * column names by util.CamelToSnakeCase.
   */
  async updateUser(user: CasdoorUser, columns: string[]): Promise<void> {
    const endpoint = '/api/update-user';
    unwrapWrite(
      await this.post(endpoint, { id: `${user.owner}/${user.name}`, columns: columns.join(',') }, user, 'user update'),
      endpoint,
      'Casdoor changed nothing for this user.',
    );
  }

  /** GET /api/get-groups?owner=<org> (controllers/group.go GetGroups). */
  getGroups(organization: string): Promise<CasdoorGroup[]> {
    return this.list('/api/get-groups', organization, 'groups');
  }

  /**
   * POST /api/add-group (controllers/group.go AddGroup → object/group.go AddGroup): checkGroupName
   * refuses an empty name, a "/" and an organization's name; a taken name is the database's error
   * (status "error"): `name` is unique across ALL organizations (object/group.go Group: `pk unique index`).
   */
  async addGroup(group: CasdoorGroup): Promise<void> {
    const endpoint = '/api/add-group';
    unwrapWrite(
      await this.post(endpoint, {}, group, 'new group'),
      endpoint,
      'Casdoor added no group.',
      'A group name must not contain "/", must differ from every organization\'s name, and must not be taken by a group of any organization (Casdoor keeps group names unique across organizations).',
    );
  }
}
