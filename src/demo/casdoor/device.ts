/**
 * The device flow's non-token endpoints (controllers/auth.go, Casdoor v3.158):
 * - `POST /api/device-auth` DeviceAuth: errors are HTTP **200** (no SetTokenErrorHttpStatus);
 * - `POST /api/cancel-device-auth` CancelDeviceAuth: what the device page's Cancel button calls;
 * - the frontend page `/login/oauth/device/<user code>` where the person signs in, which ends in
 *   HandleLoggedIn's device branch (controllers/auth.go) marking the device code approved.
 */
import { escapeHtml, page } from '../pages.js';
import { DEVICE_LOGIN_METHOD, generateId, type CasdoorModel, type CasdoorUser } from './model.js';
import { checkPassword, UNAUTHORIZED_CLIENT } from './oauth.js';
import type { RouteContext, Router } from './router.js';
import { originsOf, type EmulatorState } from './server.js';

export const DEVICE_AUTH_PATH = '/api/device-auth';
export const CANCEL_DEVICE_AUTH_PATH = '/api/cancel-device-auth';
export const DEVICE_PAGE_PREFIX = '/login/oauth/device';

/** util.GetRandomName: 6 characters of [0-9a-z]. */
function randomName(): string {
  const charset = '0123456789abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (const b of generateId().replace(/-/g, '').slice(0, 12).match(/../g) ?? []) s += charset[Number.parseInt(b, 16) % 36];
  return s.slice(0, 6);
}

function deviceAuth(state: EmulatorState, ctx: RouteContext): void {
  const { req, model } = ctx;
  const clientId = req.input('client_id');
  const scope = req.input('scope');
  const app = model.getApplicationByClientId(clientId);
  if (app === undefined) {
    // The translated "token:Invalid client_id" as both error and description, HTTP 200.
    ctx.json(200, { error: 'Invalid client_id', error_description: 'Invalid client_id' });
    return;
  }
  const { behaviour } = model;
  // v3.27+: only applications with the "Device login" sign-in method (HasSigninMethod: rule not "Hide password").
  if (behaviour.deviceLoginMethodRequired && !app.signinMethods.some((m) => m.name === DEVICE_LOGIN_METHOD && m.rule !== 'Hide password')) {
    ctx.json(200, { error: UNAUTHORIZED_CLIENT, error_description: 'device login is not enabled for this application' });
    return;
  }
  const deviceCode = generateId();
  let userCode = randomName();
  while (model.deviceAuth.has(userCode)) userCode = randomName();
  const cancelToken = generateId();
  // v3.27+: the application's code resend timeout, else 120 (object.DeviceAuthExpiresIn); before: always 120.
  const expiresIn = behaviour.deviceCancelToken && app.codeResendTimeout !== 0 ? app.codeResendTimeout : 120;
  const now = Date.now();
  const common = { applicationId: `${app.owner}/${app.name}`, scope, requestAt: now, status: 'pending' as const, expiresIn, userSignIn: false };
  model.deviceAuth.set(deviceCode, { ...common, userName: '', clientId: behaviour.deviceCancelToken ? app.clientId : '', cancelToken: '' });
  model.deviceAuth.set(userCode, { ...common, userName: deviceCode, clientId: '', cancelToken: behaviour.deviceCancelToken ? cancelToken : '' });
  state.stats.deviceAuthorizations += 1;
  // object/wellknown_oidc_discovery.go GetDeviceAuthResponse: the user code is in verification_uri;
  // there is no verification_uri_complete.
  const { frontend } = originsOf(model, req.host);
  const verificationUri = behaviour.deviceCancelToken
    ? `${frontend}${DEVICE_PAGE_PREFIX}/${userCode}?cancelToken=${encodeURIComponent(cancelToken)}`
    : `${frontend}${DEVICE_PAGE_PREFIX}/${userCode}`;
  ctx.json(200, {
    device_code: deviceCode,
    user_code: userCode,
    verification_uri: verificationUri,
    expires_in: expiresIn,
    interval: behaviour.deviceInterval,
  });
}

/** controllers/auth.go CancelDeviceAuth: both entries deleted, so polling then answers `expired_token`. */
export function cancelDeviceAuth(model: CasdoorModel, userCode: string, cancelToken: string): string | undefined {
  const cache = model.deviceAuth.get(userCode);
  if (cache === undefined || cache.cancelToken === '' || cache.cancelToken !== cancelToken) return 'UserCode Invalid';
  model.deviceAuth.delete(userCode);
  if (cache.userName !== '') model.deviceAuth.delete(cache.userName);
  return undefined;
}

/** controllers/auth.go HandleLoggedIn, device branch: the user code is consumed, the device code approved. */
export function approveDeviceAuth(model: CasdoorModel, userCode: string, user: CasdoorUser): string | undefined {
  const cache = model.deviceAuth.get(userCode);
  model.deviceAuth.delete(userCode);
  if (cache === undefined) return 'UserCode Expired';
  if (cache.status === 'denied') {
    if (cache.userName !== '') model.deviceAuth.delete(cache.userName);
    return 'DeviceCode Invalid';
  }
  if (cache.requestAt + (cache.expiresIn === 0 ? 120 : cache.expiresIn) * 1000 < Date.now()) {
    if (cache.userName !== '') model.deviceAuth.delete(cache.userName);
    return 'UserCode Expired';
  }
  const device = model.deviceAuth.get(cache.userName);
  if (device === undefined) return 'DeviceCode Invalid';
  device.userName = user.name;
  device.userSignIn = true;
  device.status = 'approved';
  return undefined;
}

function devicePage(userCode: string, cancelToken: string, error?: string): string {
  const q = (s: string): string => escapeHtml(s);
  return page(
    'Device sign-in',
    `<p>Sign in to approve the device showing the code <code>${q(userCode)}</code>.</p>
${error === undefined ? '' : `<p class="error">${q(error)}</p>`}
<form method="post" action="${q(`${DEVICE_PAGE_PREFIX}/${userCode}`)}">
<input type="hidden" name="cancelToken" value="${q(cancelToken)}">
<input name="username" placeholder="username" autofocus autocomplete="username">
<input name="password" type="password" placeholder="password" autocomplete="current-password">
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form>`,
  );
}

function devicePageRoute(state: EmulatorState, ctx: RouteContext): void {
  const { req, model } = ctx;
  const userCode = req.params[0] ?? '';
  const cancelToken = req.input('cancelToken');
  const cache = model.deviceAuth.get(userCode);
  if (cache === undefined) {
    ctx.html(400, page('Device sign-in', '<p class="error">UserCode Invalid</p>'));
    return;
  }
  const app = model.getApplication(cache.applicationId);
  const finish = (user: CasdoorUser): void => {
    const problem = approveDeviceAuth(model, userCode, user);
    if (problem !== undefined) ctx.html(400, page('Device sign-in', `<p class="error">${escapeHtml(problem)}</p>`));
    else ctx.html(200, page('Signed in', '<p>You may close this page and return to your terminal.</p>'));
  };
  if (req.method === 'GET') {
    const auto = state.harness.autoLoginAs;
    const user = auto === undefined || app === undefined ? undefined : model.getUserByFieldsForSharedApp(app, app.organization, auto);
    if (user !== undefined) {
      finish(user);
      return;
    }
    ctx.html(200, devicePage(userCode, cancelToken));
    return;
  }
  if (req.input('action') === 'cancel') {
    const problem = cancelDeviceAuth(model, userCode, cancelToken);
    ctx.html(problem === undefined ? 200 : 400, page('Device sign-in', `<p>${escapeHtml(problem ?? 'Canceled')}</p>`));
    return;
  }
  const user = app === undefined ? undefined : model.getUserByFieldsForSharedApp(app, app.organization, req.input('username'));
  const wrong = user === undefined || app === undefined ? 'the user does not exist' : checkPassword(app, user, req.input('password'));
  if (user === undefined || wrong !== undefined) {
    ctx.html(401, devicePage(userCode, cancelToken, wrong));
    return;
  }
  finish(user);
}

export function registerDeviceRoutes(router: Router, state: EmulatorState): void {
  router.add('POST', DEVICE_AUTH_PATH, (ctx) => deviceAuth(state, ctx));
  router.add('POST', CANCEL_DEVICE_AUTH_PATH, (ctx) => {
    const problem = cancelDeviceAuth(ctx.model, ctx.req.input('userCode'), ctx.req.input('cancelToken'));
    if (problem !== undefined) ctx.responseError(problem);
    else ctx.responseOk('Canceled');
  });
  router.add(['GET', 'POST'], new RegExp(`^${DEVICE_PAGE_PREFIX}/([0-9a-z]+)$`), (ctx) => devicePageRoute(state, ctx));
}
