/**
 * Casdoor answers token-endpoint errors in two shapes: the OAuth one (HTTP 400/401 with
 * `error`/`error_description`) and older Casdoor's HTTP 200 `{"status":"error","msg":…}`.
 * This module recognises both (pure) and turns them into messages that quote Casdoor's own words.
 */
import { CliError } from '../errors.js';
import { redact } from '../redact.js';

export interface OAuthErrorBody {
  error: string;
  description: string;
  legacy: boolean;
}

/** Returns the error carried by a token-endpoint answer, or undefined when it is not an error. */
export function extractOAuthError(status: number, body: unknown): OAuthErrorBody | undefined {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    if (typeof b.error === 'string' && b.error !== '') {
      return { error: b.error, description: typeof b.error_description === 'string' ? b.error_description : '', legacy: false };
    }
    if (b.status === 'error') {
      return { error: 'casdoor_error', description: typeof b.msg === 'string' ? b.msg : '', legacy: true };
    }
  }
  if (status >= 400) return { error: `http_${status}`, description: '', legacy: false };
  return undefined;
}

export type GrantName = 'password' | 'refresh_token' | 'authorization_code' | 'device_code';

const GRANT_LABEL: Record<GrantName, string> = {
  password: 'Password',
  refresh_token: 'Refresh Token',
  authorization_code: 'Authorization Code',
  device_code: 'Device Code',
};

/** What the user should do about an error, from its code and Casdoor's description. */
function hintFor(e: OAuthErrorBody, grant: GrantName, ctx: { clientId: string; application?: string }): string | undefined {
  const d = e.description.toLowerCase();
  if (e.error === 'invalid_client' || d.includes('client_id is invalid')) {
    const nameHint = ctx.application && ctx.application === ctx.clientId
      ? ` You passed the application name "${ctx.application}" as the client ID.`
      : '';
    return `--client-id must be the application's Client ID (shown on its page in Casdoor), not its name.${nameHint}`;
  }
  if (e.error === 'unsupported_grant_type' || e.error === 'unauthorized_client' || d.includes('is not supported in this application')) {
    return `Enable the "${GRANT_LABEL[grant]}" grant type in the Casdoor application's settings (Grant types).`;
  }
  if (d.includes('user does not exist')) {
    return 'Use the bare username (not org/username) of a user in the application\'s organization.';
  }
  if (d.includes('password or code is incorrect') || d.includes('password cannot be empty')) {
    return 'Check the password (pass it with --password-stdin or CASDOOR_PASSWORD).';
  }
  if (d.includes('please wait')) return 'Casdoor locked the account after too many failed attempts; wait and try again.';
  if (d.includes('oauth users cannot use password grant')) return 'This account signs in through another provider: use --grant browser or --grant device.';
  if (d.includes('forbidden to sign in')) return 'Ask a Casdoor administrator to unblock the account.';
  if (grant === 'refresh_token') return 'Log in again (re-run casdoor-kubeconfig setup).';
  return undefined;
}

export function loginError(e: OAuthErrorBody, grant: GrantName, ctx: { clientId: string; application?: string }): CliError {
  const quoted = e.description ? `: "${redact(e.description)}"` : '';
  const what = e.legacy ? 'Casdoor refused the request' : `Casdoor refused the request (${e.error})`;
  const hint = hintFor(e, grant, ctx);
  return new CliError('login', `${what}${quoted}.`, hint === undefined ? {} : { hint });
}
