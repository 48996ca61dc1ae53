/**
 * "Who does the API server say I am": a SelfSubjectReview (authentication.k8s.io/v1, v1beta1 on 404)
 * through @kubernetes/client-node. This is the only module that loads client-node, and only through a
 * dynamic import: it costs about 450 ms, which no other command should pay.
 *
 * client-node is handed a ready bearer token (or client certificate), never an `oidc` auth-provider
 * or exec block: its oidc provider refreshes an expired id-token by itself, which at Casdoor rotates
 * the refresh token and so kills the one stored in the kubeconfig, without saving the new one.
 * Nothing here writes a file.
 */
import { readFile } from 'node:fs/promises';
import type { ConfigurationOptions } from '@kubernetes/client-node';
import { CliError } from '../errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './defaults.js';
import { classifyNetError, firstErrorCode } from '../oidc/net-errors.js';
import { redact } from '../redact.js';
import { hostOf } from '../validate.js';

export interface ReviewTarget {
  server: string;
  /** base64 PEM. */
  caData?: string;
  /** Absolute path. */
  caFile?: string;
  skipTLSVerify: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  token?: string;
  certData?: string;
  certFile?: string;
  keyData?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  /** Another auth-provider than oidc (left to client-node). */
  authProvider?: { name: string; config?: Record<string, string> };
  impersonateUser?: string;
  /** For messages: which kubeconfig entry the cluster came from. */
  clusterName: string;
}

export interface ReviewedUser {
  username: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export type ReviewOutcome =
  | { ok: true; apiVersion: string; userInfo: ReviewedUser }
  | { ok: false; status: number; apiVersion: string; message: string; /** The API server's clock (its Date header), for clock diagnoses. */ serverDate?: string };

/** Turns what node-fetch/Node throw into one clear line with the fix (exit 7). */
export function clusterNetworkError(err: unknown, target: Pick<ReviewTarget, 'server' | 'clusterName'>, timeoutMs: number): CliError {
  const failure = classifyNetError(err);
  const host = hostOf(target.server);
  switch (failure.kind) {
    case 'tls':
      return new CliError('cluster', `TLS: the API server at ${host} presented a certificate that is not trusted (${failure.code}; kubectl says "x509: …").`, {
        hint:
          failure.problem === 'altname'
            ? `The certificate is not valid for ${host}: use the host name it was issued for in clusters[name=${target.clusterName}].cluster.server (or set tls-server-name).`
            : `clusters[name=${target.clusterName}] needs the API server's CA: re-run setup with --certificate-authority FILE (stored as certificate-authority-data).`,
        cause: err,
        ...(failure.problem === 'untrusted' ? { reason: 'untrusted-ca' as const } : {}),
      });
    case 'timeout':
      return new CliError('cluster', `No answer from the API server at ${host} within ${Math.round(timeoutMs / 1000)} s.`, {
        hint: 'Check that the cluster is running and reachable from here (VPN, firewall, HTTPS_PROXY).',
        cause: err,
      });
    case 'refused':
      return new CliError('cluster', `Connection refused by the API server at ${host}.`, { hint: 'Is the cluster running (minikube status), and is the port right?', cause: err });
    case 'dns':
      return new CliError('cluster', `Cannot resolve the API server's host ${host} (${failure.code}).`, { hint: 'Check the server URL in the kubeconfig, or your DNS/VPN.', cause: err });
    case 'other':
      return new CliError('cluster', `Request to the API server at ${host} failed: ${redact(failure.detail)}${failure.code ? ` (${failure.code})` : ''}.`, { cause: err });
  }
}

async function readData(file: string | undefined, what: string): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    return (await readFile(file)).toString('base64');
  } catch (err) {
    const code = firstErrorCode(err);
    throw new CliError('kubeconfig', `cannot read the ${what} file ${file} named in the kubeconfig (${code === 'ENOENT' ? 'no such file' : code ?? 'error'}).`, { cause: err });
  }
}

/** A Status body's message, or the raw text. */
function statusMessage(body: unknown): string {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.trim().slice(0, 300);
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  return '';
}

type ReviewModel = { status?: { userInfo?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } } };

function toUser(review: ReviewModel): ReviewedUser {
  const info = review.status?.userInfo ?? {};
  return {
    username: info.username ?? '',
    ...(info.uid ? { uid: info.uid } : {}),
    groups: info.groups ?? [],
    extra: info.extra ?? {},
  };
}

export async function selfSubjectReview(target: ReviewTarget, opts: { timeoutMs?: number } = {}): Promise<ReviewOutcome> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  // Files are read here so a missing one is a kubeconfig error with its path, not a client-node stack.
  const [caFromFile, certFromFile, keyFromFile] = await Promise.all([
    readData(target.caFile, 'certificate-authority'),
    readData(target.certFile, 'client-certificate'),
    readData(target.keyFile, 'client-key'),
  ]);
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  const caData = caFromFile ?? target.caData;
  const certData = certFromFile ?? target.certData;
  const keyData = keyFromFile ?? target.keyData;
  kc.loadFromOptions({
    clusters: [
      {
        name: 'target',
        server: target.server,
        skipTLSVerify: target.skipTLSVerify,
        ...(caData ? { caData } : {}),
        ...(target.tlsServerName ? { tlsServerName: target.tlsServerName } : {}),
        ...(target.proxyUrl ? { proxyUrl: target.proxyUrl } : {}),
      },
    ],
    users: [
      {
        name: 'target',
        ...(target.token ? { token: target.token } : {}),
        ...(certData ? { certData } : {}),
        ...(keyData ? { keyData } : {}),
        ...(target.username ? { username: target.username, password: target.password ?? '' } : {}),
        ...(target.authProvider ? { authProvider: target.authProvider } : {}),
        ...(target.impersonateUser ? { impersonateUser: target.impersonateUser } : {}),
      },
    ],
    contexts: [{ name: 'target', cluster: 'target', user: 'target' }],
    currentContext: 'target',
  });

  // The object-style clients run "observable" middlewares, which in client-node 1.4 are a small stub:
  // anything with toPromise(). This one attaches the timeout and, for v1beta1 (whose client 1.4 no
  // longer exports), points the v1 request at the v1beta1 path: the body has the same shape.
  type Ctx = { setSignal(s: AbortSignal): void; getUrl(): string; setUrl(u: string): void };
  const options = (apiVersion: 'v1' | 'v1beta1'): ConfigurationOptions =>
    ({
      middleware: [
        {
          pre: (ctx: Ctx) => {
            ctx.setSignal(AbortSignal.timeout(timeoutMs));
            if (apiVersion !== 'v1') ctx.setUrl(ctx.getUrl().replace('/apis/authentication.k8s.io/v1/', `/apis/authentication.k8s.io/${apiVersion}/`));
            return { toPromise: () => Promise.resolve(ctx) };
          },
          post: <T>(res: T) => ({ toPromise: () => Promise.resolve(res) }),
        },
      ],
      middlewareMergeStrategy: 'append',
    }) as unknown as ConfigurationOptions;

  const api = kc.makeApiClient(k8s.AuthenticationV1Api);
  const attempt = async (apiVersion: 'v1' | 'v1beta1'): Promise<ReviewOutcome> => {
    const fullVersion = `authentication.k8s.io/${apiVersion}`;
    try {
      const review: ReviewModel = await api.createSelfSubjectReview({ body: { apiVersion: fullVersion, kind: 'SelfSubjectReview' } }, options(apiVersion));
      return { ok: true, apiVersion: fullVersion, userInfo: toUser(review) };
    } catch (err) {
      if (err instanceof k8s.ApiException) {
        const e = err as InstanceType<typeof k8s.ApiException<unknown>>;
        const date = e.headers?.['date'];
        return { ok: false, status: e.code, apiVersion: fullVersion, message: statusMessage(e.body), ...(date ? { serverDate: date } : {}) };
      }
      throw clusterNetworkError(err, target, timeoutMs);
    }
  };

  const v1 = await attempt('v1');
  // SelfSubjectReview is GA in 1.28; 1.27 serves only v1beta1.
  if (!v1.ok && v1.status === 404) return attempt('v1beta1');
  return v1;
}
