/**
 * The kubeconfig document as plain objects. Every interface keeps an index signature so that keys this
 * tool does not know about (newer kubectl fields, vendor additions) survive a read–modify–write: the
 * project rule is "edit the file, never rebuild it" (client-node's exportConfig, for one, drops such keys).
 */
import { DEFAULT_SCHEMA, YAMLException, dump, load, type LoadOptions } from 'js-yaml';
import { CliError } from '../errors.js';
import { MAX_YAML_DEPTH, checkAliasing } from './limits.js';
import { GO_INT_WRITER, GO_NON_STRING, GO_YAML_READ_SCHEMA } from './yaml11.js';
import { validateKubeconfig } from './validate.js';

export { validateKubeconfig } from './validate.js';

export type Unknown = { [key: string]: unknown };

export interface ClusterInfo extends Unknown {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

export interface AuthProvider extends Unknown {
  name: string;
  /** For `oidc`: client-id, idp-issuer-url, client-secret, id-token, refresh-token, idp-certificate-authority(-data). */
  config?: Record<string, string>;
}

export interface ExecConfig extends Unknown {
  apiVersion?: string;
  command?: string;
  args?: string[];
  env?: Array<{ name: string; value: string }> | null;
  interactiveMode?: string;
  provideClusterInfo?: boolean;
  installHint?: string;
}

export interface AuthInfo extends Unknown {
  'auth-provider'?: AuthProvider;
  exec?: ExecConfig;
  token?: string;
}

export interface ContextInfo extends Unknown {
  cluster?: string;
  user?: string;
  namespace?: string;
}

export interface NamedCluster extends Unknown {
  name: string;
  cluster: ClusterInfo;
}

export interface NamedUser extends Unknown {
  name: string;
  user: AuthInfo;
}

export interface NamedContext extends Unknown {
  name: string;
  context: ContextInfo;
}

export interface KubeconfigDoc extends Unknown {
  apiVersion?: string;
  kind?: string;
  clusters?: NamedCluster[] | null;
  users?: NamedUser[] | null;
  contexts?: NamedContext[] | null;
  'current-context'?: string;
  preferences?: Unknown | null;
  extensions?: unknown[] | null;
}

/** The three named lists, and the key of the payload inside each entry. */
export type EntryKind = 'cluster' | 'user' | 'context';
export const LIST_KEY = { cluster: 'clusters', user: 'users', context: 'contexts' } as const;

/**
 * What kubectl writes for a file it creates (keys in its alphabetical order). kubectl writes `null` for
 * the empty lists; `[]` reads the same to every client and is clearer to a person.
 */
export function newKubeconfig(): KubeconfigDoc {
  return {
    apiVersion: 'v1',
    clusters: [],
    contexts: [],
    'current-context': '',
    kind: 'Config',
    preferences: {},
    users: [],
  };
}

/**
 * kubectl reads YAML 1.1 through go-yaml v2 (see yaml11.ts): `yes` is true, `0644` is 420, `1_000` is
 * 1000, while `2024-01-01` stays a string. Reading with the same rules keeps what we leave untouched
 * meaning the same to kubectl after our write.
 */
/** Parses and validates; `file` is only used in messages. An empty or comment-only file is an empty kubeconfig. */
export function parseKubeconfig(text: string, file: string): KubeconfigDoc {
  let value: unknown;
  try {
    // json: true makes a repeated key override the earlier one instead of failing, as kubectl does.
    // (js-yaml 4.3 reads maxDepth; @types/js-yaml does not declare it yet.)
    value = load(text, { schema: GO_YAML_READ_SCHEMA, json: true, filename: file, maxDepth: MAX_YAML_DEPTH } as LoadOptions);
  } catch (err) {
    const where =
      err instanceof YAMLException && err.mark
        ? ` (line ${err.mark.line + 1}, column ${err.mark.column + 1}: ${err.reason})`
        : '';
    const tooDeep = err instanceof YAMLException && /maxDepth/.test(err.reason)
      ? `: it nests deeper than ${MAX_YAML_DEPTH} levels (a limit of casdoor-kubeconfig; no kubeconfig needs that many)`
      : '';
    throw new CliError('kubeconfig', `${file} is not valid YAML${tooDeep}${where}`, {
      hint: 'Fix the file or point --kubeconfig elsewhere; casdoor-kubeconfig did not change it.',
      cause: err,
    });
  }
  // An empty or comment-only file is an empty config to kubectl; start it the way kubectl would write it.
  if (value === undefined || value === null) return newKubeconfig();
  // Before anything walks the document: js-yaml shares aliased objects, the walkers would expand them.
  checkAliasing(value, file);
  return validateKubeconfig(value, file);
}

/**
 * js-yaml quotes a string when some type of its schema would read it as something else; GO_NON_STRING
 * adds everything go-yaml v2 reads as a bool, null or number (`yes`, `off`, `0644`, `1_000`, `0x_1F`),
 * so a string we write stays a string for kubectl (which then rejects a number where it wants a string).
 */
const WRITE_SCHEMA = DEFAULT_SCHEMA.extend({ implicit: [GO_NON_STRING, GO_INT_WRITER] });

/** YAML as kubectl reads it back: no line folding (tokens are long), no anchors, lists not indented. */
export function dumpYaml(value: unknown): string {
  return dump(value, { schema: WRITE_SCHEMA, lineWidth: -1, noRefs: true, noArrayIndent: true });
}

export function serializeKubeconfig(doc: KubeconfigDoc): string {
  return dumpYaml(doc);
}
