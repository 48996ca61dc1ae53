/**
 * The authorize page. In Casdoor `/login/oauth/authorize` is the React app: it asks
 * `/api/get-app-login` (object/token_oauth_util.go CheckOAuthLogin) whether the request is acceptable
 * and shows the message when not ("Invalid scope", "Invalid client_id", a redirect URI not allowed),
 * then signs the user in through `/api/login`, which issues the code (GetOAuthCode) and sends the
 * browser to `<redirect_uri>?code=…&state=…`. Here a plain HTML form stands in for the React app; the
 * decisions are Casdoor's.
 */
import { escapeHtml, page } from '../pages.js';
import type { CasdoorUser } from './model.js';
import { checkOAuthLogin, checkPassword, getOAuthCode, type OAuthCodeParams } from './oauth.js';
import type { RouteContext, Router } from './router.js';
import { oauthEnvOf, type EmulatorState } from './server.js';

export const AUTHORIZE_PATH = '/login/oauth/authorize';

const PARAMS = ['client_id', 'response_type', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'resource'] as const;

function codeParams(get: (k: string) => string): OAuthCodeParams {
  return {
    responseType: get('response_type'),
    clientId: get('client_id'),
    redirectUri: get('redirect_uri'),
    scope: get('scope'),
    state: get('state'),
    nonce: get('nonce'),
    challenge: get('code_challenge'),
    resource: get('resource'),
  };
}

function loginForm(values: Record<string, string>, appName: string, error?: string): string {
  const hidden = PARAMS.map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(values[k] ?? '')}">`).join('\n');
  return page(
    'Sign in',
    `<p>Application <code>${escapeHtml(appName)}</code> asks you to sign in.</p>
${error === undefined ? '' : `<p class="error">${escapeHtml(error)}</p>`}
<form method="post" action="${AUTHORIZE_PATH}">
${hidden}
<input name="username" placeholder="username" autofocus autocomplete="username">
<input name="password" type="password" placeholder="password" autocomplete="current-password">
<button type="submit">Sign in</button>
</form>`,
  );
}

async function authorize(state: EmulatorState, ctx: RouteContext): Promise<void> {
  const { req, model } = ctx;
  const values: Record<string, string> = {};
  for (const k of PARAMS) values[k] = req.input(k);
  const p = codeParams((k) => values[k] ?? '');
  const { msg, app } = checkOAuthLogin(model, p);
  if (msg !== '' || app === undefined) {
    ctx.html(200, page('Error', `<p class="error">${escapeHtml(msg)}</p>`));
    return;
  }
  if (p.responseType !== 'code') {
    // Casdoor's frontend would send the tokens in the URL fragment; the emulator only does the code flow.
    ctx.html(200, page('Error', `<p class="error">The Casdoor emulator implements response_type=code only, not ${escapeHtml(p.responseType)}.</p>`));
    return;
  }
  const issue = async (user: CasdoorUser): Promise<void> => {
    // controllers/auth.go HandleLoggedIn (type code), once the user is known: plain PKCE is refused.
    const method = values['code_challenge_method'] ?? '';
    if (method !== 'S256' && method !== 'null' && method !== '') {
      ctx.html(200, page('Error', '<p class="error">Challenge method should be S256</p>'));
      return;
    }
    const { message, code } = await getOAuthCode(oauthEnvOf(state, req.host), user, p);
    if (message !== '') {
      ctx.html(200, page('Error', `<p class="error">${escapeHtml(message)}</p>`));
      return;
    }
    const target = `${p.redirectUri}${p.redirectUri.includes('?') ? '&' : '?'}code=${encodeURIComponent(code)}&state=${encodeURIComponent(p.state)}`;
    ctx.redirect(target, 302);
  };
  if (req.method === 'GET') {
    const auto = state.harness.autoLoginAs;
    const user = auto === undefined ? undefined : model.getUserByFieldsForSharedApp(app, app.organization, auto);
    if (user !== undefined) {
      await issue(user);
      return;
    }
    ctx.html(200, loginForm(values, app.name));
    return;
  }
  // object/check.go CheckUserPassword through /api/login.
  const user = model.getUserByFieldsForSharedApp(app, app.organization, req.input('username'));
  if (user === undefined) {
    ctx.html(401, loginForm(values, app.name, `The user: ${app.organization}/${req.input('username')} doesn't exist`));
    return;
  }
  const wrong = checkPassword(app, user, req.input('password'));
  if (wrong !== undefined) {
    ctx.html(401, loginForm(values, app.name, wrong));
    return;
  }
  await issue(user);
}

export function registerAuthorizeRoutes(router: Router, state: EmulatorState): void {
  router.add(['GET', 'POST'], AUTHORIZE_PATH, (ctx) => authorize(state, ctx));
}
