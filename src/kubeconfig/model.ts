/**
 * The kubeconfig document as plain objects. Every interface keeps an index signature so that keys this
 * tool does not know about (newer kubectl fields, vendor additions) survive a read–modify–write: the
 * project rule is "edit the file, never rebuild it" (client-node's exportConfig, for one, drops such keys).
 */
import * as jsYaml from 'js-yaml';
import { CORE_SCHEMA, DEFAULT_SCHEMA, Type, YAMLException, dump, load } from 'js-yaml';
import { CliError } from '../errors.js';
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
 * kubectl reads YAML 1.1 through Go; js-yaml's default schema would turn `2024-01-01` into a Date and
 * write it back as a different string. The core schema keeps such values as strings; `<<` merge keys are
 * the one YAML 1.1 feature kubectl honours that the core schema lacks, so it is added back.
 */
// (@types/js-yaml does not declare `types`, which js-yaml 4 exports.)
const { merge: mergeType } = (jsYaml as unknown as { types: { merge: jsYaml.Type } }).types;
const READ_SCHEMA = CORE_SCHEMA.extend({ implicit: [mergeType] });

/** Parses and validates; `file` is only used in messages. An empty or comment-only file is an empty kubeconfig. */
export function parseKubeconfig(text: string, file: string): KubeconfigDoc {
  let value: unknown;
  try {
    // json: true makes a repeated key override the earlier one instead of failing, as kubectl does.
    value = load(text, { schema: READ_SCHEMA, json: true, filename: file });
  } catch (err) {
    const where =
      err instanceof YAMLException && err.mark
        ? ` (line ${err.mark.line + 1}, column ${err.mark.column + 1}: ${err.reason})`
        : '';
    throw new CliError('kubeconfig', `${file} is not valid YAML${where}`, {
      hint: 'Fix the file or point --kubeconfig elsewhere; casdoor-kubeconfig did not change it.',
      cause: err,
    });
  }
  // An empty or comment-only file is an empty config to kubectl; start it the way kubectl would write it.
  if (value === undefined || value === null) return newKubeconfig();
  return validateKubeconfig(value, file);
}

/**
 * js-yaml quotes a string when some type of its schema would read it as something else. Go's YAML 1.1
 * reader also takes `1_000`, `0x_1F` and the like for numbers (and kubectl then rejects a number where
 * it wants a string), which js-yaml's schema does not know. This type is never used to read: it only
 * makes the writer quote anything number-like. Quoting more than needed is harmless.
 */
const GO_NUMBER_LIKE = new Type('tag:casdoor-kubeconfig,2025:go-number-like', {
  kind: 'scalar',
  resolve: (s: string) => /^[-+]?\.?[0-9][0-9a-zA-Z_.:+-]*$/.test(s),
});
const WRITE_SCHEMA = DEFAULT_SCHEMA.extend({ implicit: [GO_NUMBER_LIKE] });

/** YAML as kubectl reads it back: no line folding (tokens are long), no anchors, lists not indented. */
export function dumpYaml(value: unknown): string {
  return dump(value, { schema: WRITE_SCHEMA, lineWidth: -1, noRefs: true, noArrayIndent: true });
}

export function serializeKubeconfig(doc: KubeconfigDoc): string {
  return dumpYaml(doc);
}
