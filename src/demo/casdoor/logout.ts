/**
 * `GET|POST /api/logout`: controllers/account.go Logout (Casdoor v3.158). The emulator keeps no
 * browser session, so `GetSessionUsername()` is always "" here.
 */
import { expireTokenByAccessToken, isRedirectUriValid } from './oauth.js';
import type { RouteContext, Router } from './router.js';
import type { EmulatorState } from './server.js';

export const LOGOUT_PATH = '/api/logout';

function logout(state: EmulatorState, ctx: RouteContext): void {
  const { req, model } = ctx;
  state.stats.logouts += 1;
  // c.GetString: form body or query string.
  const accessToken = req.input('id_token_hint');
  const redirectUri = req.input('post_logout_redirect_uri');
  const st = req.input('state');

  const redirectToPostLogout = (appName: string | undefined): void => {
    const app = appName === undefined ? undefined : model.getApplication(appName);
    if (app === undefined || !isRedirectUriValid(app, redirectUri)) {
      ctx.responseError(`Redirect URI: ${redirectUri} doesn't exist in the allowed Redirect URI list`);
      return;
    }
    let target = redirectUri;
    if (st !== '') target = `${redirectUri.replace(/\/$/, '')}${redirectUri.includes('?') ? '&' : '?'}state=${st}`;
    ctx.redirect(target, 302);
  };

  if (accessToken === '') {
    if (!model.behaviour.logoutHintOptional && redirectUri !== '') {
      // Before v3.99: id_token_hint was required whenever a redirect was asked for.
      ctx.responseError('Missing parameter: id_token_hint');
      return;
    }
    // No session user: nothing to end (ResponseOk()); a client_id hint changes nothing.
    ctx.responseOk();
    return;
  }
  // object.ExpireTokenByAccessToken: ExpiresIn = 0, which also makes the refresh token "expired".
  const { token, app } = expireTokenByAccessToken(model, accessToken);
  if (token === undefined) {
    ctx.responseError('Token not found, invalid accessToken');
    return;
  }
  if (app === undefined) {
    ctx.responseError(`The application: ${token.application} does not exist`);
    return;
  }
  // Back-channel logout to the applications of that session: none are registered in the emulator.
  if (redirectUri === '') {
    ctx.responseOk();
    return;
  }
  redirectToPostLogout(`${app.owner}/${app.name}`);
}

export function registerLogoutRoutes(router: Router, state: EmulatorState): void {
  router.add(['GET', 'POST'], LOGOUT_PATH, (ctx) => logout(state, ctx));
}
