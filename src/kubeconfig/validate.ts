/**
 * Accepts what kubectl (client-go 1.32) accepts and rejects what it rejects, naming the exact entry
 * ("users[3].user must be a mapping") so the user can fix the file by hand. kubectl rejects a value of
 * the wrong type in a field it knows (a number for `server`), so those fields are checked; keys it does
 * not know are accepted and kept untouched.
 *
 * Two deliberate differences: kubectl tolerates a `null` list item and an entry without `name` (it
 * treats both as the name ""), and turns them into `name: ""` entries on its next write. They are
 * rejected here with a precise message instead, because a nameless entry can be neither looked up
 * nor replaced, and silently rewriting it would change an entry the user did not ask us to touch.
 */
import { CliError } from '../errors.js';
import type { KubeconfigDoc } from './model.js';

type Check = 'string' | 'boolean' | 'mapping' | 'list' | 'strings' | 'stringMap';

/** Known fields and the type kubectl's Go structs give them (k8s.io/client-go/tools/clientcmd/api/v1). */
const TOP: Record<string, Check> = {
  apiVersion: 'string',
  kind: 'string',
  'current-context': 'string',
  preferences: 'mapping',
  extensions: 'list',
  clusters: 'list',
  users: 'list',
  contexts: 'list',
};
const CLUSTER: Record<string, Check> = {
  server: 'string',
  'tls-server-name': 'string',
  'insecure-skip-tls-verify': 'boolean',
  'certificate-authority': 'string',
  'certificate-authority-data': 'string',
  'proxy-url': 'string',
  'disable-compression': 'boolean',
  extensions: 'list',
};
const USER: Record<string, Check> = {
  'client-certificate': 'string',
  'client-certificate-data': 'string',
  'client-key': 'string',
  'client-key-data': 'string',
  token: 'string',
  tokenFile: 'string',
  as: 'string',
  'as-uid': 'string',
  'as-groups': 'strings',
  'as-user-extra': 'mapping',
  username: 'string',
  password: 'string',
  'auth-provider': 'mapping',
  exec: 'mapping',
  extensions: 'list',
};
const AUTH_PROVIDER: Record<string, Check> = { name: 'string', config: 'stringMap' };
const EXEC: Record<string, Check> = {
  command: 'string',
  args: 'strings',
  env: 'list',
  apiVersion: 'string',
  installHint: 'string',
  provideClusterInfo: 'boolean',
  interactiveMode: 'string',
};
const ENV_VAR: Record<string, Check> = { name: 'string', value: 'string' };
const CONTEXT: Record<string, Check> = { cluster: 'string', user: 'string', namespace: 'string', extensions: 'list' };

const LISTS = [
  { key: 'clusters', payload: 'cluster', fields: CLUSTER },
  { key: 'users', payload: 'user', fields: USER },
  { key: 'contexts', payload: 'context', fields: CONTEXT },
] as const;

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function fail(file: string, problem: string): never {
  throw new CliError('kubeconfig', `${file} is not a usable kubeconfig: ${problem}`, {
    hint: 'Fix that entry by hand (kubectl would refuse it too); casdoor-kubeconfig did not change the file.',
  });
}

const DESCRIBE: Record<Check, string> = {
  string: 'a string',
  boolean: 'true or false',
  mapping: 'a mapping',
  list: 'a list',
  strings: 'a list of strings',
  stringMap: 'a mapping of strings',
};

function conforms(value: unknown, check: Check): boolean {
  switch (check) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'mapping':
      return isMapping(value);
    case 'list':
      return Array.isArray(value);
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'stringMap':
      return isMapping(value) && Object.values(value).every((v) => typeof v === 'string' || v === null);
  }
}

/** `null` is what Go decodes as "absent", so it is accepted for every known field. */
function checkFields(file: string, where: string, obj: Record<string, unknown>, fields: Record<string, Check>): void {
  for (const [key, check] of Object.entries(fields)) {
    const value = obj[key];
    if (value === undefined || value === null) continue;
    if (!conforms(value, check)) fail(file, `${where}${key} must be ${DESCRIBE[check]}`);
  }
}

function checkEntry(file: string, where: string, payload: string, item: unknown, fields: Record<string, Check>): string {
  if (!isMapping(item)) fail(file, `${where} must be a mapping`);
  if (typeof item.name !== 'string') fail(file, `${where}.name ${item.name == null ? 'is missing' : 'must be a string'}`);
  const body = item[payload];
  if (!isMapping(body)) fail(file, `${where}.${payload} ${body == null ? 'is missing' : 'must be a mapping'}`);
  checkFields(file, `${where}.${payload}.`, body, fields);
  if (payload === 'user') checkUserPlugins(file, `${where}.user`, body);
  return item.name;
}

function checkUserPlugins(file: string, where: string, user: Record<string, unknown>): void {
  const provider = user['auth-provider'];
  if (isMapping(provider)) checkFields(file, `${where}.auth-provider.`, provider, AUTH_PROVIDER);
  const exec = user.exec;
  if (!isMapping(exec)) return;
  checkFields(file, `${where}.exec.`, exec, EXEC);
  (Array.isArray(exec.env) ? exec.env : []).forEach((env, i) => {
    if (!isMapping(env)) fail(file, `${where}.exec.env[${i}] must be a mapping`);
    checkFields(file, `${where}.exec.env[${i}].`, env, ENV_VAR);
  });
}

/** Returns the value typed as a document, or throws CliError('kubeconfig') naming the bad entry. */
export function validateKubeconfig(value: unknown, file: string): KubeconfigDoc {
  // An empty or comment-only file loads as undefined/null: kubectl treats it as an empty config.
  if (value === undefined || value === null) return {};
  if (!isMapping(value)) fail(file, 'the top level must be a mapping');
  // Absent or empty apiVersion/kind default to v1/Config; anything else is another kind of file.
  const { apiVersion, kind } = value;
  if (apiVersion != null && apiVersion !== '' && apiVersion !== 'v1') {
    fail(file, `apiVersion is ${JSON.stringify(apiVersion)}, expected "v1"`);
  }
  if (kind != null && kind !== '' && kind !== 'Config') fail(file, `kind is ${JSON.stringify(kind)}, expected "Config"`);
  checkFields(file, '', value, TOP);

  for (const { key, payload, fields } of LISTS) {
    const list = value[key];
    if (!Array.isArray(list)) continue;
    // kubectl converts each list into a map and refuses a name that appears twice.
    const seen = new Set<string>();
    list.forEach((item, i) => {
      const name = checkEntry(file, `${key}[${i}]`, payload, item, fields);
      if (seen.has(name)) fail(file, `${key}[${i}] repeats the name ${JSON.stringify(name)}`);
      seen.add(name);
    });
  }
  return value as KubeconfigDoc;
}
