/**
 * Kubeconfig entries that still hold the Casdoor client secret (written by hand from Casdoor's guide,
 * or by an earlier version of this tool), and what to say about them (pure).
 *
 * Why it matters: Casdoor turns any application's client id + secret (HTTP Basic, or the `clientId` /
 * `clientSecret` query parameters) into the identity `app/<application name>` (routers/base.go
 * getUsernameByClientIdSecret), and its authorization lets that identity call every API endpoint
 * (authz/authz.go IsAllowed), so whoever reads the kubeconfig can administer the whole Casdoor.
 * Nothing needs it there: kubectl's oidc refresh sends client_secret only when the entry has one, and
 * Casdoor's refresh grant checks it only when it is sent (object/token_oauth_util.go RefreshToken).
 */
import type { NamedUser } from '../kubeconfig/model.js';
import type { MergedView } from '../kubeconfig/view.js';

/** Where the entry keeps a client secret (a path for messages), or undefined when it keeps none. */
export function clientSecretLocation(entry: NamedUser | undefined): string | undefined {
  const user = entry?.user;
  if (!entry || !user) return undefined;
  if (typeof user['auth-provider']?.config?.['client-secret'] === 'string') return `users[${entry.name}].user.auth-provider.config.client-secret`;
  const args = user.exec?.args;
  if (Array.isArray(args) && args.some((a) => a === '--client-secret' || (typeof a === 'string' && a.startsWith('--client-secret=')))) {
    return `users[${entry.name}].user.exec.args --client-secret`;
  }
  return undefined;
}

/** The warning for an entry holding the secret: why it must go, and the command that removes it. */
export function clientSecretAdvice(location: string, file: string, context: string): string {
  return (
    `${location} in ${file} holds the Casdoor application's client secret, which Casdoor accepts as an administrator of every API: anyone who can read this file can run Casdoor. ` +
    `Nothing needs it (kubectl renews the token without it). Remove it with: casdoor-kubeconfig refresh --context ${context} --remove-client-secret`
  );
}

/** Every user of the kubeconfig files that still holds a client secret, with a context that uses it (for setup's advice). */
export function entriesWithClientSecret(view: MergedView): Array<{ location: string; file: string; context: string }> {
  const found: Array<{ location: string; file: string; context: string }> = [];
  for (const { file, doc } of view.files) {
    for (const user of doc.users ?? []) {
      const location = clientSecretLocation(user);
      if (!location || view.findUser(user.name)?.file !== file) continue;
      const context = view.files.flatMap((f) => f.doc.contexts ?? []).find((c) => c.context?.user === user.name)?.name;
      if (context) found.push({ location, file, context });
    }
  }
  return found;
}
