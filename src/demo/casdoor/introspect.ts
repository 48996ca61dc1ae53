/**
 * `POST /api/login/oauth/introspect`: controllers/token.go IntrospectToken with ValidateOAuth(false)
 * (Casdoor v3.158): the client secret is checked (HTTP Basic, or client_id + client_secret parameters).
 */
import { parseJwtToken } from './jwt.js';
import type { RouteContext, Router } from './router.js';
import { sendTokenResult, type EmulatorState } from './server.js';

export const INTROSPECT_PATH = '/api/login/oauth/introspect';

async function introspect(state: EmulatorState, ctx: RouteContext): Promise<void> {
  const { req, model } = ctx;
  state.stats.introspections += 1;
  const tokenValue = req.input('token');
  // ValidateOAuth: parameters, else HTTP Basic; both id and secret are needed.
  let clientId = req.input('client_id');
  let clientSecret = req.input('client_secret');
  if (clientId === '' && clientSecret === '') {
    const basic = req.basicAuth();
    if (basic === undefined) {
      sendTokenResult(state, ctx, { error: 'invalid_request' });
      return;
    }
    clientId = basic.username;
    clientSecret = basic.password;
  }
  const application = model.getApplicationByClientId(clientId);
  if (application === undefined || application.clientSecret !== clientSecret) {
    sendTokenResult(state, ctx, { error: 'invalid_client', error_description: 'Invalid application or wrong clientSecret' });
    return;
  }
  const inactive = (): void => ctx.json(200, { active: false });
  const hint = req.input('token_type_hint');
  const byHint = (h: string) =>
    h === 'access_token' || h === 'access-token'
      ? model.getTokenByAccessToken(tokenValue)
      : h === 'refresh_token' || h === 'refresh-token'
        ? model.getTokenByRefreshToken(tokenValue)
        : undefined;
  let token = hint === '' ? undefined : byHint(hint);
  if (hint !== '' && (token === undefined || token.expiresIn <= 0)) {
    inactive();
    return;
  }
  const cert = model.getCertByApplication(application);
  let claims: Record<string, unknown>;
  try {
    if (cert === undefined) throw new Error('no cert');
    claims = await parseJwtToken(tokenValue, cert);
  } catch {
    inactive();
    return;
  }
  const standard = application.tokenFormat === 'JWT-Standard';
  const str = (k: string): string => (typeof claims[k] === 'string' ? (claims[k] as string) : '');
  const response: Record<string, unknown> = { active: true };
  const scope = str('scope');
  const username = standard ? str('preferred_username') : str('name');
  const tokenType = str('tokenType');
  if (scope !== '') response['scope'] = scope;
  if (username !== '') response['username'] = username;
  if (tokenType !== '') response['token_type'] = tokenType;
  for (const k of ['exp', 'iat', 'nbf', 'sub', 'aud', 'iss', 'jti']) if (claims[k] !== undefined && claims[k] !== '') response[k] = claims[k];
  if (hint === '') {
    // Without a hint the token is looked up by the type its own claim names.
    token = byHint(tokenType);
    if (token === undefined || token.expiresIn <= 0) {
      inactive();
      return;
    }
  }
  if (token !== undefined) {
    // The token's user may have been forbidden or deleted since (Token.IsUserActive).
    const user = model.getUser(token.organization, token.user);
    if (token.grantType !== 'client_credentials' && (user === undefined || user.isForbidden)) {
      inactive();
      return;
    }
    const app = model.getApplication(`${token.owner}/${token.application}`);
    if (app === undefined) {
      ctx.responseError(`The application: ${token.application} does not exist`);
      return;
    }
    response['token_type'] = token.tokenType;
    response['client_id'] = app.clientId;
  }
  // IntrospectionResponse field order.
  const order = ['active', 'scope', 'client_id', 'username', 'token_type', 'exp', 'iat', 'nbf', 'sub', 'aud', 'iss', 'jti'];
  ctx.json(200, Object.fromEntries(order.filter((k) => k in response).map((k) => [k, response[k]])));
}

export function registerIntrospectRoutes(router: Router, state: EmulatorState): void {
  router.add('POST', INTROSPECT_PATH, (ctx) => introspect(state, ctx));
}
