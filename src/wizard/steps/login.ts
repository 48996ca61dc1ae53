/**
 * The login: the method (password, browser, device), then the login itself. A refused password login
 * is explained and asked again, with the fix Casdoor's reason points to.
 */
import { CliError, type ErrorReason } from '../../errors.js';
import { registerSecret } from '../../redact.js';
import { passwordLogin, type Session, type VerifiedLogin } from '../../usecases/login.js';
import { prove, clientOf } from '../../usecases/setup.js';
import { usernameOf } from '../../usecases/token.js';
import { inputOf } from '../input.js';
import type { Answers } from '../options.js';
import { Q } from '../questions.js';
import type { Run } from '../run.js';
import type { Choice } from '../types.js';
import { explainLoginFailure } from './login-doctor.js';

function loginChoices(run: Run): Array<Choice<NonNullable<Answers['grant']>>> {
  const unavailable = run.deps.grantLogin ? {} : { disabled: run.opts.grantsUnavailable ?? 'coming soon' };
  return [
    { value: 'password', name: 'Username and password', description: 'Typed here and sent to Casdoor only; the password is never stored.' },
    { value: 'browser', name: "Browser (Casdoor's sign-in page)", description: 'Also for accounts that sign in through another provider (GitHub, LDAP …).', ...unavailable },
    { value: 'device', name: 'Device code (sign in on another device)', description: 'For machines without a browser: open a URL elsewhere and type a code.', ...unavailable },
  ];
}

/** The login method, then the login itself; a refused login is explained and re-asked, not a crash. */
export async function loginStep(run: Run, session: Session, o: { askMethod: boolean }): Promise<VerifiedLogin> {
  const { ask, out, deps, a, given } = run;
  const canChoose = o.askMethod && given.grant === undefined;
  for (;;) {
    if (canChoose) a.grant = await ask.select(Q.grant(loginChoices(run), a.grant ?? 'password'));
    const grant = a.grant ?? 'password';
    if (grant === 'password' || !deps.grantLogin) return passwordLoop(run, session);
    try {
      // No spinner: the browser and device flows print their own instructions.
      const login = await deps.grantLogin(session, { ...inputOf(run, { cluster: '', user: '', context: '' }), username: a.username ?? '', server: a.server ?? '' });
      const username = usernameOf(login.verified.claims) ?? String(login.verified.claims.sub ?? '');
      a.username = username;
      out.step(`Logged in as ${username}; the id_token verified (${login.verified.header.alg}).`);
      return await proveStep(run, session, login);
    } catch (err) {
      await explainLoginFailure(run, session, err, grant);
      if (!(err instanceof CliError) || err.code !== 'login' || !canChoose) throw err;
      out.error(err.message, err.hint);
    }
  }
}

/** Username and password, re-asked when Casdoor refuses them. */
async function passwordLoop(run: Run, session: Session): Promise<VerifiedLogin> {
  const { ask, out, deps, a, suggested } = run;
  let username = a.username;
  let password = a.password;
  let retryUser = false;
  for (;;) {
    if (username === undefined) username = (await ask.input(Q.username(a.username ?? suggested.username, retryUser))).trim();
    a.username = username;
    if (password === undefined) password = await ask.password(Q.password(username));
    registerSecret(password);
    const user = username;
    const pass = password;
    try {
      const login = await deps.spin(`Logging in to Casdoor as ${user}…`, () =>
        passwordLogin(session, clientOf({ clientId: a.clientId ?? '', ...(a.clientSecret ? { clientSecret: a.clientSecret } : {}), ...(a.application ? { application: a.application } : {}) }), user, pass, deps.now()),
      );
      const { header } = login.verified;
      out.step(`Logged in as ${user}; the id_token verified (${header.alg}${header.kid ? `, key ${header.kid}` : ''}).`);
      return await proveStep(run, session, login);
    } catch (err) {
      if (!(err instanceof CliError) || err.code !== 'login') throw err;
      // Set on Casdoor's refusals (reasonFor in src/oidc/casdoor-errors.ts); never read from the message text.
      const reason = err.reason;
      // Advice about flags does not help in the wizard: the question comes right back.
      out.error(err.message, err.hint && !err.hint.includes('--password-stdin') ? err.hint : undefined);
      await explainLoginFailure(run, session, err, 'password');
      // Nothing typed here can fix these: the account or the application must change first.
      if (reason !== undefined && FATAL_LOGIN_REASONS.has(reason)) throw err;
      if (reason === 'invalid-client') {
        a.clientId = (await ask.input(Q.clientId(a.clientId, a.application, true))).trim();
        continue;
      }
      // Casdoor does not check the secret on the password grant: this is another server's answer.
      if (reason === 'wrong-client-secret') {
        const secret = await ask.password(Q.clientSecret());
        registerSecret(secret);
        a.clientSecret = secret || undefined;
        continue;
      }
      if (reason === 'unknown-user') {
        username = undefined;
        retryUser = true;
      }
      password = undefined;
    }
  }
}

/**
 * Right after the login, before any write: one refresh (and the client secret, when one was given)
 * proven with Casdoor (usecases/prove-refresh.ts). A refused secret is asked again (Enter drops it: it is
 * never needed); the refresh token is still good then (Casdoor checks the secret before the token).
 * The proof's tokens are the ones to use: the refresh rotated them.
 */
async function proveStep(run: Run, session: Session, login: VerifiedLogin): Promise<VerifiedLogin> {
  const { ask, out, deps, a } = run;
  for (;;) {
    const client = clientOf({ clientId: a.clientId ?? '', ...(a.clientSecret ? { clientSecret: a.clientSecret } : {}), ...(a.application ? { application: a.application } : {}) });
    try {
      run.proof = await deps.spin('Checking that Casdoor renews the token…', () => prove(session, login, { ...inputOf(run, { cluster: '', user: '', context: '' }), clientId: client.clientId, ...(client.clientSecret ? { clientSecret: client.clientSecret } : {}) }, deps));
      return run.proof.login;
    } catch (err) {
      if (!(err instanceof CliError) || err.reason !== 'wrong-client-secret') throw err;
      out.error(err.message, 'Type the Client Secret shown on the application\'s page in Casdoor, or press Enter to go on without it (nothing needs it).');
      const secret = await ask.password(Q.clientSecret());
      registerSecret(secret);
      a.clientSecret = secret || undefined;
    }
  }
}

const FATAL_LOGIN_REASONS: ReadonlySet<ErrorReason> = new Set(['account-locked', 'account-forbidden', 'external-account', 'grant-disabled']);
