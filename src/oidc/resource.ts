/**
 * `--resource URI` (RFC 8707 resource indicator): one Casdoor application, one audience per cluster.
 *
 * What Casdoor does with it (read in its source):
 * - object/token_oauth_util.go GetOAuthCode stores the `resource` of the authorization request with the
 *   code (v2.318+), and object/token_oauth.go GetAuthorizationCodeToken refuses a code exchange whose
 *   `resource` differs from it (invalid_grant "resource parameter does not match authorization request");
 * - object/token_jwt.go generateJwtToken then puts `aud = [resource]` instead of the client id;
 * - object/token_oauth_util.go RefreshToken keeps the original grant's resource (v3.156+; a `resource`
 *   sent with the refresh must match it), so the refreshed tokens keep that audience;
 * - the password, device-code and client-credentials grants (GetPasswordToken, GetDeviceCodeToken,
 *   GetClientCredentialsToken) take no resource at all: their tokens always carry the client id.
 */
import { usageError } from '../errors.js';

/** Checks --resource for a command and grant; returns it unchanged (undefined when not given). */
export function checkResource(resource: string | undefined, grant: string, command: string): string | undefined {
  if (resource === undefined) return undefined;
  checkResourceUri(resource, command);
  if (grant !== 'browser') {
    throw usageError(
      `${command}: --resource needs --grant browser: Casdoor honours an RFC 8707 resource only in the authorization-code flow; a ${grant} token would carry the client ID as its audience, which the cluster's API server (expecting ${resource}) refuses.`,
      'Add --grant browser, or leave out --resource.',
    );
  }
  return resource;
}

/**
 * RFC 8707 section 2: "an absolute URI ... MUST NOT include a fragment component". kube-apiserver
 * compares the audience as an exact string, so nothing is normalised here either.
 */
export function checkResourceUri(resource: string, command: string): void {
  let url: URL | undefined;
  try {
    url = /^[a-z][a-z0-9+.-]*:/i.test(resource) ? new URL(resource) : undefined;
  } catch {
    url = undefined;
  }
  if (!url) {
    throw usageError(`${command}: --resource ${JSON.stringify(resource)} is not an absolute URI (RFC 8707).`, 'Name the cluster with an absolute URI, e.g. --resource https://api.prod.example.com:6443.');
  }
  // "api.example.com:6443" parses as the scheme "api.example.com": an absolute URI only by accident.
  if (/^[^:/]+:\d+(\/|$)/.test(resource)) {
    throw usageError(`${command}: --resource ${JSON.stringify(resource)} looks like HOST:PORT without a scheme.`, `Write it as a URI, e.g. --resource https://${resource}.`);
  }
  if (resource.includes('#')) {
    throw usageError(`${command}: --resource ${JSON.stringify(resource)} has a fragment (#…), which RFC 8707 forbids.`, 'Leave out the part from # on.');
  }
}
