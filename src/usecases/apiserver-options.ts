/**
 * `apiserver-config`'s formats and the paths its output names: a leaf module (no imports), because the
 * command's option definitions and help text use them on every start of the CLI, `--help` included,
 * without loading the use case (usecases/apiserver-config.ts re-exports them).
 */
export type ApiserverFormat = 'flags' | 'minikube' | 'authentication-config' | 'all' | 'json';
export const APISERVER_FORMATS: readonly ApiserverFormat[] = ['flags', 'minikube', 'authentication-config', 'all', 'json'];

/** Where the static-pod flags expect the Casdoor CA (kubeadm mounts /etc/kubernetes/pki into the pod). */
export const APISERVER_CA_FILE = '/etc/kubernetes/pki/casdoor-ca.crt';
/** minikube copies ~/.minikube/files/<path> to /<path> in the node at start. */
export const MINIKUBE_CA_FILE = '/var/lib/minikube/certs/oidc-ca.crt';
export const MINIKUBE_CA_HOST_DIR = '~/.minikube/files/var/lib/minikube/certs';

/** kube-apiserver's --oidc-signing-algs accepts these (asymmetric only). */
export const KUBE_SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'];
