/**
 * Finds the contexts an earlier run of this tool wrote (pure, over a MergedView), so a re-run can
 * offer "Renew the token for <context>" with every answer pre-filled. Ours are:
 * - `oidc` auth-provider users with `idp-issuer-url` (kubectl refuses the user without it anyway);
 * - exec users whose arguments start with `token` (the `casdoor-kubeconfig token` plugin).
 */
import type { NamedCluster, NamedContext, NamedUser } from '../kubeconfig/model.js';
import type { MergedView } from '../kubeconfig/view.js';
import type { SetupMode } from '../usecases/setup.js';

export interface RenewCandidate {
  /** The file that defines the context. */
  file: string;
  context: string;
  cluster: string;
  user: string;
  /** The file that defines the user (with several KUBECONFIG files, maybe not the context's): the renewal writes the tokens there. */
  userFile: string;
  namespace?: string;
  mode: SetupMode;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** PEM of idp-certificate-authority-data, or a path (idp-certificate-authority / --casdoor-ca). */
  casdoorCaPem?: string;
  casdoorCaFile?: string;
  username?: string;
  grant?: string;
  execCommand?: string;
  server?: string;
  certificateAuthorityData?: string;
  /** A CA path in the cluster entry (read when renewing). */
  certificateAuthorityFile?: string;
  insecureSkipTlsVerify: boolean;
  /** `exp` of the id_token stored in the file (auth-provider only). */
  expiresAt?: Date;
  /** It is the current context (of the merged kubeconfig). */
  isCurrent: boolean;
  /** The entries as they are: a renewal changes the user's tokens and keeps everything else. */
  entries: { cluster: NamedCluster; user: NamedUser; context: NamedContext };
}

/** The payload of a JWT, unverified: only to pre-fill answers, never to trust anything. */
export function unverifiedClaims(jwt: string | undefined): Record<string, unknown> | undefined {
  const part = jwt?.split('.')[1];
  if (!part) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function argValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === flag) return args[i + 1];
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function findRenewable(view: Pick<MergedView, 'files' | 'findUser' | 'findCluster' | 'currentContext'>): RenewCandidate[] {
  const out: RenewCandidate[] = [];
  const seen = new Set<string>();
  for (const { file, doc } of view.files) {
    for (const ctx of Array.isArray(doc.contexts) ? doc.contexts : []) {
      // kubectl: the first file that defines a name wins.
      if (!ctx || typeof ctx.name !== 'string' || seen.has(ctx.name)) continue;
      seen.add(ctx.name);
      const userName = str(ctx.context?.user);
      const clusterName = str(ctx.context?.cluster);
      if (!userName || !clusterName) continue;
      const userFound = view.findUser(userName);
      const userEntry = userFound?.entry;
      const clusterEntry = view.findCluster(clusterName)?.entry;
      // A context whose user or cluster is missing cannot work: nothing to renew there.
      if (!userFound || !userEntry?.user || !clusterEntry?.cluster) continue;
      const user = userEntry.user;
      const cluster = clusterEntry.cluster;
      const base = {
        file,
        isCurrent: view.currentContext === ctx.name,
        entries: { cluster: clusterEntry, user: userEntry, context: ctx },
        context: ctx.name,
        cluster: clusterName,
        user: userName,
        userFile: userFound.file,
        ...(str(ctx.context.namespace) ? { namespace: ctx.context.namespace as string } : {}),
        ...(str(cluster.server) ? { server: cluster.server as string } : {}),
        ...(str(cluster['certificate-authority-data']) ? { certificateAuthorityData: cluster['certificate-authority-data'] as string } : {}),
        ...(str(cluster['certificate-authority']) ? { certificateAuthorityFile: cluster['certificate-authority'] as string } : {}),
        insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
      };
      const ap = user['auth-provider'];
      const config = ap?.name === 'oidc' ? ap.config ?? {} : undefined;
      if (config && str(config['idp-issuer-url']) && str(config['client-id'])) {
        const claims = unverifiedClaims(config['id-token']);
        const username = str(claims?.preferred_username) ?? str(claims?.name);
        const caData = str(config['idp-certificate-authority-data']);
        out.push({
          ...base,
          mode: 'auth-provider',
          issuer: config['idp-issuer-url'] as string,
          clientId: config['client-id'] as string,
          ...(str(config['client-secret']) ? { clientSecret: config['client-secret'] } : {}),
          ...(caData ? { casdoorCaPem: Buffer.from(caData, 'base64').toString('utf8') } : {}),
          ...(str(config['idp-certificate-authority']) ? { casdoorCaFile: config['idp-certificate-authority'] } : {}),
          ...(username ? { username } : {}),
          ...(typeof claims?.exp === 'number' ? { expiresAt: new Date(claims.exp * 1000) } : {}),
        });
        continue;
      }
      const exec = user.exec;
      const args = Array.isArray(exec?.args) ? exec.args.filter((a): a is string => typeof a === 'string') : [];
      if (exec && args[0] === 'token') {
        const issuer = argValue(args, '--casdoor-url');
        const clientId = argValue(args, '--client-id');
        if (!issuer || !clientId) continue;
        const username = argValue(args, '--username');
        const grant = argValue(args, '--grant');
        const caFile = argValue(args, '--casdoor-ca');
        out.push({
          ...base,
          mode: 'exec',
          issuer,
          clientId,
          ...(caFile ? { casdoorCaFile: caFile } : {}),
          ...(username ? { username } : {}),
          ...(grant ? { grant } : {}),
          ...(str(exec.command) ? { execCommand: exec.command as string } : {}),
        });
      }
    }
  }
  return out;
}
