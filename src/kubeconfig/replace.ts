/**
 * Replacing an entry that exists (pure). Two rules:
 *
 * 1. What we do not own is kept. `kubectl config set-cluster/set-credentials/set-context` start from
 *    the existing stanza (kubectl/pkg/cmd/config/create_cluster.go modifyCluster, create_authinfo.go
 *    modifyAuthInfo, create_context.go modifyContext: `modified := existing`) and change only the
 *    fields given, so `extensions`, `proxy-url`, `tls-server-name`, impersonation and keys kubectl
 *    does not know survive. We replace the fields that make up the connection or the credential as a
 *    set (a stale `token` or `client-key` next to our `auth-provider` would be a second credential),
 *    and keep everything else.
 *
 * 2. No silent re-pointing. A cluster or user entry that *other* contexts use is theirs too: giving it
 *    another server, CA, issuer, client id or Casdoor user would change, unannounced, where those
 *    contexts connect or who they act as. Such a replacement is reported as a conflict; the caller
 *    refuses it without --force (or asks).
 */
import type { EntryKind, KubeconfigDoc, NamedContext } from './model.js';
import { LIST_KEY } from './model.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of each payload replaced as a set; any other key of the existing entry is kept. */
const OWNED: Record<EntryKind, readonly string[]> = {
  cluster: ['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify'],
  user: ['token', 'tokenFile', 'username', 'password', 'auth-provider', 'exec', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data'],
  context: ['cluster', 'user', 'namespace'],
};
/** Inside an `oidc` auth-provider's config: what setup writes (others, like extra-scopes, are kept). */
const OIDC_OWNED = ['client-id', 'client-secret', 'id-token', 'refresh-token', 'idp-issuer-url', 'idp-certificate-authority', 'idp-certificate-authority-data'];
/** The exec fields client-go knows (clientcmd/api/v1 ExecConfig); others are kept. */
const EXEC_KNOWN = ['command', 'args', 'env', 'apiVersion', 'installHint', 'provideClusterInfo', 'interactiveMode'];

/** `fresh` over `old`: keys of `old` that are neither owned nor in `fresh` keep their place and value. */
function overlay(old: Obj, fresh: Obj, owned: readonly string[]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(old)) {
    if (k in fresh) out[k] = fresh[k];
    else if (!owned.includes(k)) out[k] = v;
  }
  for (const [k, v] of Object.entries(fresh)) if (!(k in out)) out[k] = v;
  return out;
}

function payloadOverlay(kind: EntryKind, old: Obj, fresh: Obj): Obj {
  const out = overlay(old, fresh, OWNED[kind]);
  if (kind !== 'user') return out;
  // Inside the credential: an oidc provider keeps config keys we do not write, an exec entry its unknown fields.
  const oldAp = old['auth-provider'];
  const newAp = fresh['auth-provider'];
  if (isObj(oldAp) && isObj(newAp) && oldAp.name === newAp.name && isObj(oldAp.config) && isObj(newAp.config)) {
    out['auth-provider'] = { ...overlay(oldAp, newAp, ['name', 'config']), config: overlay(oldAp.config, newAp.config, OIDC_OWNED) };
  }
  const oldExec = old.exec;
  const newExec = fresh.exec;
  if (isObj(oldExec) && isObj(newExec)) out.exec = overlay(oldExec, newExec, EXEC_KNOWN);
  return out;
}

/** The entry that replaces `old`: `fresh`, plus what of `old` we do not own (see rule 1). */
export function carryOver<T extends Obj>(kind: EntryKind, old: Obj, fresh: T): T {
  const out = overlay(old, fresh, ['name', kind]);
  const oldPayload = old[kind];
  const newPayload = fresh[kind];
  if (isObj(oldPayload) && isObj(newPayload)) out[kind] = payloadOverlay(kind, oldPayload, newPayload);
  return out as T;
}

/** The payload of a JWT without checking it: only used to tell one Casdoor user from another. */
function jwtSubject(token: unknown): string | undefined {
  if (typeof token !== 'string') return undefined;
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return isObj(claims) && typeof claims.sub === 'string' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

/** The value of `flag` in an exec args list (`--flag value` or `--flag=value`). */
function argOf(args: unknown, flag: string): string | undefined {
  if (!Array.isArray(args)) return undefined;
  const joined = args.find((a): a is string => typeof a === 'string' && a.startsWith(`${flag}=`));
  if (joined !== undefined) return joined.slice(flag.length + 1);
  const i = args.indexOf(flag);
  const v = i >= 0 ? args[i + 1] : undefined;
  return typeof v === 'string' ? v : undefined;
}

export interface IdentityOptions {
  /**
   * Before a login the Casdoor user of the new oidc entry is not known yet (its id_token is missing):
   * compare issuer and client id only; the write after the login checks the user as well.
   */
  subjectUnknown?: boolean;
}

/**
 * What an entry points at: a change of it re-points the contexts that use the entry. Tokens are not
 * part of it (a re-login changes them and points at the same identity).
 */
function identityOf(kind: 'cluster' | 'user', payload: unknown, opts: IdentityOptions): readonly unknown[] {
  const p = isObj(payload) ? payload : {};
  // The connection: the fields a cluster entry's replacement owns.
  if (kind === 'cluster') return OWNED.cluster.map((k) => p[k] ?? null);
  const ap = p['auth-provider'];
  if (isObj(ap) && ap.name === 'oidc') {
    const config = isObj(ap.config) ? ap.config : {};
    return ['oidc', config['idp-issuer-url'] ?? null, config['client-id'] ?? null, opts.subjectUnknown ? null : (jwtSubject(config['id-token']) ?? null)];
  }
  const exec = p.exec;
  if (isObj(exec) && Array.isArray(exec.args) && exec.args[0] === 'token' && argOf(exec.args, '--casdoor-url')) {
    return ['casdoor-exec', argOf(exec.args, '--casdoor-url'), argOf(exec.args, '--client-id') ?? null, argOf(exec.args, '--username') ?? null];
  }
  // Anything else (a static token, a client certificate, another plugin): every credential field counts.
  return ['fields', ...OWNED.user.map((k) => p[k] ?? null)];
}

/** Deep equality of identities or their parts (YAML scalars, lists and maps). */
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const sameIdentity = (a: readonly unknown[], b: readonly unknown[]): boolean => same(a, b);
/** What each position of an oidc or casdoor-exec identity is, for the message. */
const IDENTITY_LABELS = ['', 'issuer', 'client id', 'Casdoor user'];

/** Why an existing identity differs, in words (for the message). */
function describeChange(kind: 'cluster' | 'user', b: readonly unknown[], a: readonly unknown[]): string {
  if (kind === 'cluster') {
    if (b[0] !== a[0]) return `server ${String(b[0] ?? '(none)')} → ${String(a[0] ?? '(none)')}`;
    return 'another certificate authority or TLS setting';
  }
  if (b[0] !== a[0]) return 'another kind of credential';
  const i = b.findIndex((v, n) => n > 0 && !same(v, a[n]));
  if (i <= 0) return 'another credential';
  // A static token, a client certificate, another plugin: the field's own name.
  return `another ${b[0] === 'fields' ? OWNED.user[i - 1] : IDENTITY_LABELS[i]}`;
}

export interface RepointConflict {
  kind: 'cluster' | 'user';
  name: string;
  /** The other contexts that use the entry (sorted). */
  contexts: string[];
  /** What would change, e.g. "server https://a → https://b". */
  change: string;
}

/**
 * The replacements that would re-point contexts other than `ownContext`. `existing(kind, name)` is the
 * entry as the file that defines it holds it now; `contexts` are all contexts kubectl sees (every file).
 */
export function repointConflicts(
  entries: { cluster?: { name: string; cluster: unknown }; user?: { name: string; user: unknown }; context?: { name: string } },
  existing: (kind: 'cluster' | 'user', name: string) => Obj | undefined,
  contexts: readonly NamedContext[],
  opts: IdentityOptions = {},
): RepointConflict[] {
  const own = entries.context?.name;
  const out: RepointConflict[] = [];
  const check = (kind: 'cluster' | 'user', name: string, payload: unknown): void => {
    const old = existing(kind, name);
    if (!old) return;
    const before = identityOf(kind, old[kind], opts);
    const after = identityOf(kind, payload, opts);
    if (sameIdentity(before, after)) return;
    const users = [...new Set(contexts.filter((c) => c.name !== own && isObj(c.context) && c.context[kind] === name).map((c) => c.name))].sort();
    if (users.length) out.push({ kind, name, contexts: users, change: describeChange(kind, before, after) });
  };
  if (entries.cluster) check('cluster', entries.cluster.name, entries.cluster.cluster);
  if (entries.user) check('user', entries.user.name, entries.user.user);
  return out;
}

/** All contexts of some documents (for repointConflicts). */
export function contextsOf(docs: readonly KubeconfigDoc[]): NamedContext[] {
  return docs.flatMap((d) => (Array.isArray(d[LIST_KEY.context]) ? (d[LIST_KEY.context] as NamedContext[]) : []));
}
