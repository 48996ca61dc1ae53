/**
 * The token endpoints: controllers/token.go GetOAuthToken (`POST /api/login/oauth/access_token`) and
 * RefreshToken (`POST /api/login/oauth/refresh_token`), Casdoor v3.158.
 */
import { DEVICE_CODE_GRANT } from './model.js';
import { getOAuthToken, InternalError, refreshToken, type TokenError, type TokenWrapper } from './oauth.js';
import type { RouteContext, Router } from './router.js';
import { oauthEnvOf, sendTokenResult, type EmulatorState, type ProviderStats } from './server.js';

export const TOKEN_PATH = '/api/login/oauth/access_token';
export const REFRESH_PATH = '/api/login/oauth/refresh_token';

/** controllers/token.go TokenRequest: the JSON body Casdoor's own guide posts. */
const JSON_FIELDS = ['client_id', 'client_secret', 'grant_type', 'code', 'code_verifier', 'scope', 'nonce', 'username', 'password', 'refresh_token', 'resource'] as const;

const GRANT_STAT: Record<string, keyof ProviderStats> = {
  password: 'passwordGrants',
  refresh_token: 'refreshGrants',
  authorization_code: 'codeGrants',
  client_credentials: 'clientCredentialsGrants',
  [DEVICE_CODE_GRANT]: 'deviceGrants',
};

async function getOAuthTokenController(state: EmulatorState, ctx: RouteContext): Promise<TokenWrapper | TokenError | undefined> {
  const result = await getOAuthTokenInner(state, ctx);
  if (!('devicePoll' in result)) return result;
  const plain: TokenError = { error: result.error, error_description: result.error_description ?? '' };
  if (ctx.model.behaviour.devicePollErrorsHttp400) return plain;
  // Before v1.914 the polling answers were served without SetTokenErrorHttpStatus: HTTP 200.
  state.stats.failedTokenRequests += 1;
  ctx.json(200, plain);
  return undefined;
}

type DevicePollError = TokenError & { devicePoll: true };
const pollError = (error: string, description: string): DevicePollError => ({ error, error_description: description, devicePoll: true });

async function getOAuthTokenInner(state: EmulatorState, ctx: RouteContext): Promise<TokenWrapper | TokenError | DevicePollError> {
  const { req, model } = ctx;
  // Form (then query) parameters first (c.Ctx.Input.Query).
  const p: Record<string, string> = {};
  for (const name of [...JSON_FIELDS, 'device_code']) p[name] = req.input(name);
  // HTTP Basic only when neither client_id nor client_secret came as parameters.
  if (p['client_id'] === '' && p['client_secret'] === '') {
    const basic = req.basicAuth();
    if (basic !== undefined) {
      p['client_id'] = basic.username;
      p['client_secret'] = basic.password;
    }
  }
  // A JSON body fills whatever is still empty, except for device-code polling (form/query only).
  if (req.body.length !== 0 && p['grant_type'] !== DEVICE_CODE_GRANT) {
    const body = req.json();
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      const b = body as Record<string, unknown>;
      for (const field of JSON_FIELDS) {
        // TokenRequest's JSON names are the same snake_case names; code_verifier is `code_verifier` too.
        if (p[field] === '' && typeof b[field] === 'string') p[field] = b[field] as string;
      }
    }
  }
  const get = (k: string): string => p[k] ?? '';

  let pendingDeviceCode = '';
  const deviceCode = get('device_code');
  if (deviceCode !== '') {
    state.stats.devicePolls += 1;
    const cache = model.deviceAuth.get(deviceCode);
    if (cache === undefined) return pollError('expired_token', 'token is expired');
    const expired = cache.requestAt + 120_000 < Date.now();
    if (model.behaviour.deviceCancelToken) {
      // v3.27+: the 120 s hard expiry (object.DeviceAuthExpiresIn) comes first, whatever expires_in said.
      if (expired) {
        model.deviceAuth.delete(deviceCode);
        return pollError('expired_token', 'token is expired');
      }
      if (cache.status === 'denied') return pollError('access_denied', 'device login was denied');
      if (cache.status === 'token_issued') return pollError('access_denied', 'device_code has already been used');
      if (!cache.userSignIn) return pollError('authorization_pending', 'authorization pending');
      if (cache.clientId !== '' && cache.clientId !== get('client_id')) {
        return { error: 'invalid_client', error_description: 'client_id does not match the device authorization request' };
      }
    } else {
      // v1.901–v3.26: pending first, then the 120 s expiry; the code is deleted once used.
      if (!cache.userSignIn) return pollError('authorization_pending', 'authorization pending');
      if (expired) return pollError('expired_token', 'token is expired');
      model.deviceAuth.delete(deviceCode);
    }
    p['username'] = cache.userName;
    p['scope'] = cache.scope;
    pendingDeviceCode = deviceCode;
  } else if (get('grant_type') === DEVICE_CODE_GRANT) {
    return { error: 'invalid_request', error_description: 'device_code parameter is required for this grant type' };
  }

  const result = await getOAuthToken(oauthEnvOf(state, req.host), {
    grantType: get('grant_type'),
    clientId: get('client_id'),
    clientSecret: get('client_secret'),
    code: get('code'),
    verifier: get('code_verifier'),
    scope: get('scope'),
    nonce: get('nonce'),
    username: get('username'),
    password: get('password'),
    refreshToken: get('refresh_token'),
    resource: get('resource'),
  });
  if (pendingDeviceCode !== '' && !('error' in result) && model.behaviour.deviceCancelToken) {
    const cache = model.deviceAuth.get(pendingDeviceCode);
    if (cache !== undefined) cache.status = 'token_issued';
  }
  if (!('error' in result)) {
    const stat = GRANT_STAT[get('grant_type')];
    if (stat !== undefined) state.stats[stat] += 1;
  }
  return result;
}

/** controllers/token.go RefreshToken: the older dedicated refresh endpoint (ValidateOAuth(true): secret not required). */
async function refreshTokenController(state: EmulatorState, ctx: RouteContext): Promise<TokenWrapper | TokenError | undefined> {
  const { req, model } = ctx;
  let grantType = req.input('grant_type');
  let token = req.input('refresh_token');
  let scope = req.input('scope');
  let clientId = req.input('client_id');
  let clientSecret = req.input('client_secret');
  let resource = req.input('resource');
  if (clientId === '') {
    const b = req.json();
    if (b !== null && typeof b === 'object' && !Array.isArray(b)) {
      const s = (k: string): string => (typeof (b as Record<string, unknown>)[k] === 'string' ? ((b as Record<string, unknown>)[k] as string) : '');
      clientId = s('client_id');
      clientSecret = s('client_secret');
      grantType = s('grant_type');
      scope = s('scope');
      token = s('refresh_token');
      if (resource === '') resource = s('resource');
    }
  }
  // ValidateOAuth(ignoreValidSecret = true)
  if (clientId === '' && clientSecret === '') {
    const basic = req.basicAuth();
    if (basic === undefined) return { error: 'invalid_request' };
    clientId = basic.username;
    clientSecret = basic.password;
  }
  const app = model.getApplicationByClientId(clientId);
  if (app === undefined) return { error: 'invalid_client', error_description: 'Invalid application or wrong clientSecret' };
  const result = await refreshToken(oauthEnvOf(state, req.host), app, grantType, token, scope, clientId, clientSecret, resource);
  if (!('error' in result)) state.stats.refreshGrants += 1;
  return result;
}

export function registerTokenRoutes(router: Router, state: EmulatorState): void {
  const handle =
    (controller: (s: EmulatorState, c: RouteContext) => Promise<TokenWrapper | TokenError | undefined>) =>
    async (ctx: RouteContext): Promise<void> => {
      state.stats.tokenRequests += 1;
      let result: TokenWrapper | TokenError | undefined;
      try {
        result = await controller(state, ctx);
      } catch (err) {
        if (!(err instanceof InternalError)) throw err;
        // A Go error from the object layer: c.ResponseError, HTTP 200 {"status":"error"}.
        state.stats.failedTokenRequests += 1;
        ctx.responseError(err.message);
        return;
      }
      if (result === undefined) return;
      if ('error' in result) state.stats.failedTokenRequests += 1;
      sendTokenResult(state, ctx, result);
    };
  router.add('POST', TOKEN_PATH, handle(getOAuthTokenController));
  router.add('POST', REFRESH_PATH, handle(refreshTokenController));
}
