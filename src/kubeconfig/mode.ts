/**
 * Files others can read (issue 10, point 5). kubectl keeps the mode of a kubeconfig it rewrites (seen;
 * client-go clientcmd/loader.go WriteToFile only sets 0600 on a new file), and so do we; but writing
 * tokens or a client secret into a file group or others can read deserves the exact command that fixes it.
 */
import type { KubeconfigDoc } from './model.js';

const SECRET_USER_KEYS = ['token', 'password', 'client-key-data'];
const SECRET_OIDC_KEYS = ['id-token', 'refresh-token', 'client-secret'];

/** Whether any user entry of the document holds a credential someone else could use. */
export function holdsSecrets(doc: KubeconfigDoc): boolean {
  return (doc.users ?? []).some((u) => {
    const user = u?.user ?? {};
    if (SECRET_USER_KEYS.some((k) => typeof user[k] === 'string' && user[k] !== '')) return true;
    const config = user['auth-provider']?.config ?? {};
    return SECRET_OIDC_KEYS.some((k) => typeof config[k] === 'string' && config[k] !== '');
  });
}

/** Group or others may read the file. */
export const isLooseMode = (mode: number | undefined): mode is number => mode !== undefined && (mode & 0o044) !== 0;

export function looseModeWarning(file: string, mode: number): string {
  const who = [(mode & 0o040) !== 0 && 'its group', (mode & 0o004) !== 0 && 'every user of this machine'].filter(Boolean).join(' and ');
  return `${file} holds tokens and is readable by ${who} (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); kubectl keeps that mode, and so did casdoor-kubeconfig. Make it private: chmod 600 '${file.replace(/'/g, "'\\''")}'`;
}
