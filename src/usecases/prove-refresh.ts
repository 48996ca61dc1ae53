/**
 * Before setup writes anything: prove what kubectl (or the `token` plugin) will need later, because
 * Casdoor does not check it at login.
 *
 * - Casdoor never checks the client secret on the password or device grant (object/token_oauth.go
 *   GetOAuthToken: GetPasswordToken and GetDeviceCodeToken are not even given it), so a mistyped secret
 *   would go unnoticed. The refresh grant checks it when it is sent (object/token_oauth_util.go
 *   RefreshToken: `clientSecret != "" && application.ClientSecret != clientSecret` → invalid_client),
 *   and introspection always does (controllers/token.go IntrospectToken).
 * - The Refresh Token grant must be among the application's grant types (GetOAuthToken →
 *   IsGrantTypeValid), or Casdoor refuses every renewal; a refresh token comes back all the same.
 * - The refresh token is a JWT whose `exp` is the application's "Refresh token expire"; with 0 it is the
 *   access token's expiry (object/token_jwt.go generateJwtTokenInternal: `if
 *   application.RefreshExpireInHours == 0 { refreshExpireTime = expireTime }`): nothing can renew it.
 *
 * One refresh grant proves the first two. Casdoor rotates on refresh (RefreshToken adds a new token and
 * DeleteToken's the old one), so the tokens it returns replace the login's from here on.
 * The secret itself is only used for this check: it is a Casdoor admin credential and is never stored.
 */
import { CliError } from '../errors.js';
import { redact } from '../redact.js';
import { CasdoorRefusal } from '../oidc/casdoor-errors.js';
import { introspect, type ClientCredentials } from '../oidc/grants.js';
import { jwtExp } from '../token/cache.js';
import { refreshLogin, type Session, type VerifiedLogin } from './login.js';

export type RefreshStatus =
  | 'proven' // a refresh grant succeeded (the tokens were rotated)
  | 'grant-disabled' // Casdoor refused the grant type: nothing will renew the token
  | 'no-refresh-token' // the login returned none
  | 'client-credentials'; // the application's own identity: a new grant, never a refresh (GetClientCredentialsToken)

export interface ProofWarning {
  code: 'refresh-grant-disabled' | 'no-refresh-token' | 'refresh-expires-with-token' | 'client-secret-unchecked';
  message: string;
}

export interface RefreshProof {
  /** The login to use from now on: the rotated tokens when a refresh happened. */
  login: VerifiedLogin;
  refresh: RefreshStatus;
  /** The client secret given was checked by Casdoor (false when none was given or nothing could check it). */
  secretChecked: boolean;
  /** The refresh token's `exp` (seconds), when it is a JWT that has one. */
  refreshExpiresAt?: number;
  warnings: ProofWarning[];
}

export interface ProofDeps {
  now: () => Date;
}

/** The refusal of a wrong client secret: exit 3, naming the secret and the fact that it is never stored. */
export function wrongClientSecretError(cause: CasdoorRefusal): CliError {
  const { error, description, legacy } = cause.oauth;
  const said = [legacy ? '' : error, description ? `"${redact(description)}"` : ''].filter(Boolean).join(': ');
  return new CliError('login', `Casdoor refused the client secret${said ? ` (${said})` : ''}; nothing was written.`, {
    hint: "Check --client-secret / CASDOOR_CLIENT_SECRET against the application's Client Secret in Casdoor, or leave it out: nothing here needs it (it is only checked, never stored).",
    reason: 'wrong-client-secret',
    cause,
  });
}

/** Seconds within which a refresh token's exp counts as "the id_token's". */
const SAME_EXPIRY_SLACK_SECONDS = 60;

export function refreshExpiryWarning(refreshExp: number | undefined, idExp: unknown): ProofWarning | undefined {
  if (refreshExp === undefined || typeof idExp !== 'number' || refreshExp - idExp > SAME_EXPIRY_SLACK_SECONDS) return undefined;
  return {
    code: 'refresh-expires-with-token',
    message:
      'The refresh token expires together with the id_token: the application\'s "Refresh token expire" in Casdoor is 0, which gives the refresh token the access token\'s lifetime. ' +
      'Nothing can renew the token once it expires, so you will have to log in again every time (casdoor-kubeconfig refresh). Set "Refresh token expire" (hours) in the application to allow renewal.',
  };
}

/**
 * Proves the refresh and the client secret (see the module comment). Throws a 'login' CliError (exit 3)
 * for a wrong secret or any other refusal of the refresh, so that nothing gets written.
 */
export async function proveRefresh(session: Session, client: ClientCredentials, login: VerifiedLogin, deps: ProofDeps): Promise<RefreshProof> {
  const warnings: ProofWarning[] = [];
  let current = login;
  let refresh: RefreshStatus = 'no-refresh-token';
  let secretChecked = false;
  const refreshToken = login.tokens.refreshToken;
  if (refreshToken) {
    try {
      current = await refreshLogin(session, client, refreshToken, deps.now());
      refresh = 'proven';
      secretChecked = Boolean(client.clientSecret);
    } catch (err) {
      if (err instanceof CasdoorRefusal && err.reason === 'wrong-client-secret') throw wrongClientSecretError(err);
      if (!(err instanceof CasdoorRefusal && err.reason === 'grant-disabled')) throw err;
      refresh = 'grant-disabled';
      warnings.push({
        code: 'refresh-grant-disabled',
        message: `Casdoor refused to renew the token (${err.oauth.description || err.oauth.error}): enable the "Refresh Token" grant type in the application, or you will have to log in again every time the token expires.`,
      });
    }
  } else {
    warnings.push({
      code: 'no-refresh-token',
      message: 'Casdoor returned no refresh token: the token cannot be renewed without logging in again; enable the "Refresh Token" grant in the application.',
    });
  }
  if (client.clientSecret && !secretChecked) secretChecked = await checkSecretByIntrospection(session, client, current, warnings);
  // A JWT's payload, unverified: only its `exp` is read, to tell the user how long renewal works.
  const refreshExpiresAt = current.tokens.refreshToken === undefined ? undefined : jwtExp(current.tokens.refreshToken);
  if (refresh !== 'grant-disabled') {
    const w = refreshExpiryWarning(refreshExpiresAt, current.verified.claims.exp);
    if (w) warnings.push(w);
  }
  return { login: current, refresh, secretChecked, ...(refreshExpiresAt !== undefined ? { refreshExpiresAt } : {}), warnings };
}

async function checkSecretByIntrospection(session: Session, client: ClientCredentials, login: VerifiedLogin, warnings: ProofWarning[]): Promise<boolean> {
  const endpoint = session.meta.introspection_endpoint;
  if (!endpoint) {
    warnings.push({ code: 'client-secret-unchecked', message: "The client secret could not be checked (Casdoor's discovery names no introspection_endpoint); it is not stored anyway." });
    return false;
  }
  try {
    // Casdoor's access token is the id_token itself; either identifies the token to introspect.
    await introspect(session.http, endpoint, client, login.tokens.accessToken ?? login.tokens.idToken);
    return true;
  } catch (err) {
    // The login just proved the client id, so a refusal here is about the secret.
    if (err instanceof CasdoorRefusal) throw wrongClientSecretError(err);
    throw err;
  }
}
