/**
 * Casdoor's admin and application API for the emulator (what `doctor` and `casdoor-app apply` call),
 * as Casdoor v3.158 decides it. Registered on the emulator's router with `registerAdminApiRoutes`.
 *
 * Who is calling: server.ts autoSigninFilter (routers/auto_signin_filter.go AutoSigninFilter): an
 * access token's user (unknown, expired, forbidden → refused, even on public endpoints), client id +
 * secret = `app/<name>`, else anonymous.
 * Whether it may (routers/authz_filter.go ApiFilter → authz/authz.go IsAllowed): `app` → yes; a user of
 * the built-in organization → yes (User.IsGlobalAdmin); an `isAdmin` user when the object's owner
 * (getObject: the body's `organization` for applications, the body's `owner` for users and groups,
 * the `owner`/`organization` query for GET lists) is the user's own organization → yes; else only the
 * public policies of authz.InitApi (GET get-application, get-app-login, …). A refusal is HTTP 200
 * `{"status":"error","msg":"Unauthorized operation"}` (routers/base.go denyRequest → responseError).
 */
import type { CasdoorApplication, CasdoorGroup, CasdoorModel, CasdoorUser } from './model.js';
import { applicationFromJson, applicationToJson, casdoorTime, generateClientId, makeUser, stableUserId } from './model.js';
import { checkOAuthLogin } from './oauth.js';
import type { RouteContext, Router } from './router.js';
import { autoSigninFilter, type Subject } from './server.js';

/** Counts of admin API calls, for tests that assert "no write happened". */
export interface AdminApiStats {
  reads: number;
  writes: number;
  refused: number;
}

export interface AdminApiState {
  model: CasdoorModel;
  stats?: AdminApiStats;
}

export const newAdminApiStats = (): AdminApiStats => ({ reads: 0, writes: 0, refused: 0 });

const UNAUTHORIZED = 'Unauthorized operation';

/** authz/authz.go IsAllowed for a non-public endpoint (the public ones never call this). */
function isAllowed(model: CasdoorModel, sub: Subject, objOwner: string): boolean {
  if (!('owner' in sub)) return false;
  if (sub.owner === 'app') return true;
  const user = model.getUser(sub.owner, sub.name);
  if (!user || user.isDeleted) return false;
  if (user.owner === 'built-in') return true; // User.IsGlobalAdmin
  return user.isAdmin && sub.owner === objOwner;
}

/** controllers/base.go isGlobalAdmin: app/* or a built-in user. */
function isGlobalAdmin(model: CasdoorModel, sub: Subject): boolean {
  if (!('owner' in sub)) return false;
  return sub.owner === 'app' || (sub.owner === 'built-in' && Boolean(model.getUser(sub.owner, sub.name)));
}

/** object/application_util.go GetMaskedApplication. */
export function maskedApplicationJson(model: CasdoorModel, app: CasdoorApplication, userId: string): Record<string, unknown> {
  const json = applicationToJson(app);
  if (userId !== '') {
    const [owner = '', name = ''] = userId.split('/');
    if (owner === 'app') return json; // isUserIdGlobalAdmin
    const user = model.getUser(owner, name);
    if (user && (user.owner === 'built-in' || (user.isAdmin && user.owner === app.organization))) return json; // IsGlobalAdmin / isApplicationAdmin
  }
  return {
    ...json,
    clientSecret: '***',
    cert: '***',
    enablePassword: false,
    grantTypes: [],
    redirectUris: [],
    tokenFormat: '***',
    tokenFields: [],
    tokenAttributes: [],
    tokenSigningMethod: '***',
    expireInHours: -1,
    refreshExpireInHours: -1,
    cookieExpireInHours: -1,
    failedSigninLimit: -1,
    failedSigninFrozenTime: -1,
  };
}

const bodyObject = (ctx: RouteContext): Record<string, unknown> | undefined => {
  const b = ctx.req.json();
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : undefined;
};

/**
 * object/user.go GetMaskedUser(user, isAdminOrSelf) as get-users calls it (GetMaskedUsers: false): a
 * set password is "***"; for others than admins and the user, the `properties` OAuth tokens
 * (oauth_*_accessToken, oauth_*_refreshToken) are "***" too. (Its ManagedAccounts/MfaAccounts loops
 * change copies of the slice elements, so nothing; the emulator models neither.)
 */
function userJson(user: CasdoorUser): Record<string, unknown> {
  const isAdminOrSelf = false;
  const { extraClaims: _extraClaims, ...rest } = user;
  const properties = Object.fromEntries(
    Object.entries(user.properties).map(([k, v]) => [k, !isAdminOrSelf && /^oauth_.*_(accessToken|refreshToken)$/.test(k) ? '***' : v]),
  );
  return { ...rest, properties, password: user.password !== '' ? '***' : '' };
}

/** util/string.go CamelToSnakeCase: how update-user's `columns` become column names. */
const snakeCase = (camel: string): string => camel.replace(/[A-Z]/g, (c, i: number) => `${i > 0 ? '_' : ''}${c.toLowerCase()}`);

/**
 * object/user.go UpdateUser's columns when none are given, those the emulator models: the default
 * set, plus the admin set (isAdmin: every caller the filter lets through here is an admin).
 */
const DEFAULT_USER_COLUMNS = [
  'owner', 'display_name', 'avatar', 'first_name', 'last_name', 'location', 'address', 'country_code', 'region', 'language', 'affiliation', 'title',
  'homepage', 'bio', 'tag', 'gender', 'birthday', 'signup_application', 'properties', 'signin_wrong_times', 'last_signin_wrong_time', 'groups',
  'email_verified', 'type',
  'name', 'id', 'email', 'phone', 'is_admin', 'is_forbidden', 'is_deleted',
];

/** Go's zero value of a field like `old` (json.Unmarshal leaves absent fields at zero). */
const zeroLike = (old: unknown): unknown => (typeof old === 'string' ? '' : typeof old === 'number' ? 0 : typeof old === 'boolean' ? false : Array.isArray(old) ? [] : {});

/**
 * object/user.go UpdateUser → updateUser: `Cols(columns...).Update(user)` writes exactly those
 * columns of the sent user, zero values included; a "***" password is the stored one.
 */
function writeUserColumns(user: CasdoorUser, sent: Record<string, unknown>, columns: string[]): void {
  const target = user as unknown as Record<string, unknown>;
  for (const field of Object.keys(user)) {
    if (field === 'extraClaims' || !columns.includes(snakeCase(field))) continue;
    if (field === 'password' && sent.password === '***') continue;
    target[field] = field in sent ? structuredClone(sent[field]) : zeroLike(target[field]);
  }
}

export function registerAdminApiRoutes(router: Router, state: AdminApiState): void {
  const { model } = state;
  const stats = (state.stats ??= newAdminApiStats());

  /** Runs the filter part; returns the subject, or undefined after answering the refusal. */
  const filter = (ctx: RouteContext, objOwner: string | undefined): Subject | undefined => {
    const sub = autoSigninFilter(ctx, model);
    if ('error' in sub) {
      ctx.responseError(sub.error);
      stats.refused++;
      return undefined;
    }
    if (objOwner !== undefined && !isAllowed(model, sub, objOwner)) {
      ctx.responseError(UNAUTHORIZED); // routers/base.go denyRequest
      stats.refused++;
      return undefined;
    }
    return sub;
  };
  const userIdOf = (sub: Subject): string => ('owner' in sub ? `${sub.owner}/${sub.name}` : '');

  // GET /api/get-application: public (authz.InitApi "p, *, *, GET, /api/get-application"); controllers/application.go GetApplication.
  router.add('GET', '/api/get-application', (ctx) => {
    const sub = filter(ctx, undefined);
    if (!sub) return;
    stats.reads++;
    const app = model.getApplication(ctx.req.input('id'));
    ctx.responseOk(app ? maskedApplicationJson(model, app, userIdOf(sub)) : null);
  });

  // GET /api/get-app-login: public; controllers/auth.go GetApplicationLogin → object/token_oauth_util.go
  // CheckOAuthLogin (type=code; the emulator's checkOAuthLogin), answered with the application masked
  // as for an anonymous caller (GetMaskedApplication(application, "")), or null for an unknown client id.
  router.add('GET', '/api/get-app-login', (ctx) => {
    const sub = filter(ctx, undefined);
    if (!sub) return;
    stats.reads++;
    const q = (k: string): string => ctx.req.input(k);
    const { msg, app } = checkOAuthLogin(model, { responseType: q('responseType'), clientId: q('clientId'), redirectUri: q('redirectUri'), scope: q('scope') });
    const masked = app ? maskedApplicationJson(model, app, '') : null;
    if (msg !== '') ctx.responseError(msg, masked);
    else ctx.responseOk(masked);
  });

  // POST /api/add-application: controllers/application.go AddApplication → object/application.go AddApplication.
  router.add('POST', '/api/add-application', (ctx) => {
    const body = bodyObject(ctx) ?? {};
    const organization = typeof body.organization === 'string' ? body.organization : '';
    if (!filter(ctx, organization)) return; // getObject: the body's organization for -application
    const app = applicationFromJson(body);
    if (app.grantTypes.length === 0) app.grantTypes = ['authorization_code'];
    if (app.owner === '') app.owner = 'admin';
    if (app.organization === '') app.organization = 'built-in';
    if (app.clientId === '') app.clientId = generateClientId();
    if (app.clientSecret === '') app.clientSecret = generateClientId() + generateClientId();
    if (app.tokenFormat === '') app.tokenFormat = 'JWT'; // GetDefaultTokenFormat (no org default here)
    if (app.createdTime === '') app.createdTime = casdoorTime();
    // A duplicate client id: return false, nil → "Unaffected".
    if (model.getApplicationByClientId(app.clientId) || model.getApplication(`${app.owner}/${app.name}`)) {
      ctx.responseOk('Unaffected');
      return;
    }
    if (app.isShared && app.organization !== 'built-in') {
      ctx.responseError('only applications belonging to built-in organization can be shared');
      return;
    }
    // extendApplicationWithSigninMethods: an empty list is derived from the enable* flags, plus Face ID.
    if (app.signinMethods.length === 0) {
      if (app.enablePassword) app.signinMethods.push({ name: 'Password', displayName: 'Password', rule: 'All' });
      app.signinMethods.push({ name: 'Face ID', displayName: 'Face ID', rule: 'None' });
    }
    model.addApplication(app);
    stats.writes++;
    ctx.responseOk('Affected');
  });

  // POST /api/update-application?id=admin/<name>: controllers/application.go UpdateApplication → object/application.go UpdateApplication.
  router.add('POST', '/api/update-application', (ctx) => {
    const body = bodyObject(ctx) ?? {};
    const organization = typeof body.organization === 'string' ? body.organization : '';
    const sub = filter(ctx, organization);
    if (!sub) return;
    const id = ctx.req.input('id');
    const old = model.getApplication(id);
    if (!old) {
      ctx.responseOk('Unaffected'); // oldApplication == nil → false, nil
      return;
    }
    const next = applicationFromJson(body);
    if (!isGlobalAdmin(model, sub) && old.organization !== next.organization) {
      ctx.responseError(UNAUTHORIZED);
      stats.refused++;
      return;
    }
    const byClientId = model.getApplicationByClientId(next.clientId);
    if (old.clientId !== next.clientId && byClientId) {
      ctx.responseOk('Unaffected');
      return;
    }
    if (next.isShared && next.organization !== 'built-in') {
      ctx.responseError('only applications belonging to built-in organization can be shared');
      return;
    }
    // AllCols: every field of the body replaces the stored one; "***" keeps the secret (Omit("client_secret")).
    if (next.clientSecret === '***') next.clientSecret = old.clientSecret;
    model.applications.delete(id);
    model.addApplication(next);
    stats.writes++;
    ctx.responseOk('Affected');
  });

  // GET /api/get-users?owner=<org>: controllers/user.go GetUsers; getObject uses the owner query for lists.
  router.add('GET', '/api/get-users', (ctx) => {
    const owner = ctx.req.input('owner');
    if (!filter(ctx, ctx.req.input('organization') || owner)) return;
    stats.reads++;
    const group = ctx.req.input('groupName');
    ctx.responseOk(model.users.filter((u) => u.owner === owner && !u.isDeleted && (group === '' || u.groups.includes(`${owner}/${group}`))).map(userJson));
  });

  // POST /api/add-user: controllers/user.go AddUser → object/user.go AddUser; getObject uses the body's owner.
  router.add('POST', '/api/add-user', (ctx) => {
    const body = bodyObject(ctx) ?? {};
    const owner = typeof body.owner === 'string' ? body.owner : '';
    const name = typeof body.name === 'string' ? body.name : '';
    if (!filter(ctx, owner)) return;
    if (!model.organizations.has(owner)) {
      ctx.responseError(`The organization: ${owner} does not exist`);
      return;
    }
    // object/user.go AddUser: a non-built-in organization needs an application first.
    if (owner !== 'built-in' && ![...model.applications.values()].some((a) => a.organization === owner)) {
      ctx.responseError(`The organization: ${owner} should have one application at least`);
      return;
    }
    if (name === '' || model.getUser(owner, name)) {
      ctx.responseError(name === '' ? 'check:Username cannot be empty' : 'check:Username already exists');
      return;
    }
    const groups = Array.isArray(body.groups) ? (body.groups as unknown[]).filter((g): g is string => typeof g === 'string') : [];
    model.addUser(
      makeUser({
        owner,
        name,
        id: typeof body.id === 'string' && body.id !== '' ? body.id : stableUserId(owner, name),
        displayName: typeof body.displayName === 'string' ? body.displayName : name,
        password: typeof body.password === 'string' ? body.password : '',
        isAdmin: body.isAdmin === true,
        groups,
        signupApplication: typeof body.signupApplication === 'string' ? body.signupApplication : '',
      }),
    );
    stats.writes++;
    ctx.responseOk('Affected');
  });

  // POST /api/update-user?id=<org>/<name>[&columns=a,b][&allowEmpty=1]: controllers/user.go UpdateUser → object/user.go UpdateUser.
  router.add('POST', '/api/update-user', (ctx) => {
    const body = bodyObject(ctx) ?? {};
    const id = ctx.req.input('id');
    const [owner = '', name = ''] = id.split('/');
    const sub = filter(ctx, owner);
    if (!sub) return;
    const user = model.getUser(owner, name);
    if (!user) {
      ctx.responseError(`The user: ${id} doesn't exist`);
      return;
    }
    // With `columns`, the body is unmarshalled onto a copy of the stored user (mergedUser); without, onto an empty one.
    const columnsStr = ctx.req.input('columns');
    const sent: Record<string, unknown> = columnsStr !== '' ? { ...user, ...body } : body;
    if (!isGlobalAdmin(model, sub) && sent.owner !== user.owner) {
      ctx.responseError(UNAUTHORIZED);
      return;
    }
    // object/user_util.go CheckPermissionForUpdateUser: a display name changed to "" needs `allowEmpty`.
    const displayName = typeof sent.displayName === 'string' ? sent.displayName : '';
    if (displayName !== user.displayName && displayName === '' && ctx.req.input('allowEmpty') === '') {
      ctx.responseError('Display name cannot be empty');
      return;
    }
    const columns = columnsStr !== '' ? columnsStr.split(',').map(snakeCase) : DEFAULT_USER_COLUMNS;
    writeUserColumns(user, sent, columns);
    stats.writes++;
    ctx.responseOk('Affected'); // updated_time always changes: one row affected
  });

  // GET /api/get-groups?owner=<org> and POST /api/add-group: controllers/group.go.
  router.add('GET', '/api/get-groups', (ctx) => {
    const owner = ctx.req.input('owner');
    if (!filter(ctx, owner)) return;
    stats.reads++;
    ctx.responseOk(model.groups.filter((g) => g.owner === owner));
  });
  router.add('POST', '/api/add-group', (ctx) => {
    const body = bodyObject(ctx) ?? {};
    const owner = typeof body.owner === 'string' ? body.owner : '';
    if (!filter(ctx, owner)) return;
    const name = typeof body.name === 'string' ? body.name : '';
    // object/group.go AddGroup: checkGroupName, then the insert; `name` is `pk unique index` (object/group.go
    // Group), so a name taken in ANY organization is the database's error. The text is MySQL's (the default
    // driver of conf/app.conf); the emulator's wording of it.
    const nameError =
      name === '' ? "group name can't be empty"
      : name.includes('/') ? 'group name can\'t contain "/"'
      : model.organizations.has(name) ? "group name can't be same as the organization name"
      : model.groups.some((g) => g.name === name) ? `Error 1062 (23000): Duplicate entry '${name}' for key 'group.UQE_group_name'`
      : '';
    if (nameError !== '') {
      ctx.responseError(nameError); // controllers/base.go wrapActionResponse(false, err)
      return;
    }
    const group: CasdoorGroup = {
      owner,
      name,
      createdTime: casdoorTime(),
      displayName: typeof body.displayName === 'string' ? body.displayName : name,
      parentId: typeof body.parentId === 'string' && body.parentId !== '' ? body.parentId : owner,
      // Stored as sent (object/group.go Group.IsTopGroup; Go's zero value when absent): the web UI sends true for a group under the organization.
      isTopGroup: body.isTopGroup === true,
      type: typeof body.type === 'string' ? body.type : 'Virtual',
      isEnabled: body.isEnabled !== false,
    };
    model.groups.push(group);
    stats.writes++;
    ctx.responseOk('Affected');
  });
}
