/**
 * A kubeconfig as kubelogin's setup leaves it: one cluster, one context, and a user whose exec entry runs
 * `kubectl oidc-login get-token …` (int128/kubelogin), the input of `from-kubelogin`.
 */
import yaml from 'js-yaml';

export interface KubeloginKubeconfigOptions {
  /** The cluster's server URL. */
  server: string;
  /** The cluster's certificate-authority file, when given. */
  ca?: string;
  /** get-token's flags (after `oidc-login get-token`). */
  args: string[];
}

/** The YAML text: cluster `k`, user `oidc`, context `oidc@k` (current). */
export function kubeloginKubeconfig(options: KubeloginKubeconfigOptions): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'k', cluster: { server: options.server, ...(options.ca !== undefined ? { 'certificate-authority': options.ca } : {}) } }],
    users: [
      {
        name: 'oidc',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: 'kubectl',
            args: ['oidc-login', 'get-token', ...options.args],
            interactiveMode: 'IfAvailable',
          },
        },
      },
    ],
    contexts: [{ name: 'oidc@k', context: { cluster: 'k', user: 'oidc' } }],
    'current-context': 'oidc@k',
  };
  return yaml.dump(doc);
}
