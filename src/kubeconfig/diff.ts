/**
 * A readable diff of a kubeconfig change, for --dry-run and for the summary after a write. Only the
 * entries that changed are shown (a 15,000-entry file must not be diffed line by line), each as YAML
 * with '-', '+' and ' ' prefixes. Secrets are redacted on both sides before comparing, so a change of
 * token shows up as a replaced entry without either token appearing.
 *
 * Under a user entry's `user:` the rule is inverted: every value is redacted except an allowlist of keys
 * known to be harmless. A user entry can hold credentials under many keys (client-key-data, token,
 * password, exec env values, a secret passed as a plugin argument, vendor extensions), and a list of
 * secret keys would always miss one; `setup --dry-run` over an existing user must not print any of them.
 */
import { REDACTED, redact, redactObject } from '../redact.js';
import type { Change } from './merge.js';
import { findCluster, findContext, findUser } from './merge.js';
import type { KubeconfigDoc } from './model.js';
import { LIST_KEY, dumpYaml } from './model.js';

/** Plain LCS line diff after trimming the common head and tail; inputs here are a few dozen lines. */
export function lineDiff(before: readonly string[], after: readonly string[]): string[] {
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (
    tail < before.length - head &&
    tail < after.length - head &&
    before[before.length - 1 - tail] === after[after.length - 1 - tail]
  ) {
    tail++;
  }
  const a = before.slice(head, before.length - tail);
  const b = after.slice(head, after.length - tail);
  const middle: string[] = [];
  if (a.length * b.length > 4_000_000) {
    // Too big to align cheaply: show it as removed-then-added, still correct.
    middle.push(...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`));
  } else {
    // lcs[i][j] = length of the longest common subsequence of a[i..] and b[j..].
    const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
    for (let i = a.length - 1; i >= 0; i--) {
      for (let j = b.length - 1; j >= 0; j--) {
        const row = lcs[i] as number[];
        row[j] = a[i] === b[j] ? (lcs[i + 1] as number[])[j + 1]! + 1 : Math.max((lcs[i + 1] as number[])[j]!, row[j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (i < a.length && j < b.length && a[i] === b[j]) {
        middle.push(` ${a[i++]}`);
        j++;
      } else if (i < a.length && (j >= b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
        middle.push(`-${a[i++]}`); // removals first, as in `diff -u`
      } else {
        middle.push(`+${b[j++]}`);
      }
    }
  }
  return [
    ...before.slice(0, head).map((l) => ` ${l}`),
    ...middle,
    ...before.slice(before.length - tail).map((l) => ` ${l}`),
  ];
}

const FINDERS = { cluster: findCluster, user: findUser, context: findContext };

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every string and number replaced (booleans and null say nothing secret); keys and structure kept. */
function redactAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactAll);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactAll(v)]));
  if ((typeof value === 'string' && value !== '') || typeof value === 'number') return REDACTED;
  return value;
}

/** auth-provider config keys shown as they are: identifiers and CA material, never credentials. */
const SAFE_PROVIDER_CONFIG = new Set(['client-id', 'idp-issuer-url', 'idp-certificate-authority', 'idp-certificate-authority-data']);
/** exec keys shown as they are (args and env are handled one by one). */
const SAFE_EXEC = new Set(['apiVersion', 'command', 'interactiveMode', 'provideClusterInfo', 'installHint']);
/** A flag whose value is (or may be) a credential: --client-secret X, --password=X, --token X, --api-key X … */
const SECRET_FLAG = /secret|passw|pwd|token|key|credential|cookie|auth/i;

/** Plugin arguments with the values of secret-looking flags replaced, in both `--flag value` and `--flag=value` form. */
export function redactExecArgs(args: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  let valueIsSecret = false;
  for (const arg of args) {
    if (typeof arg !== 'string') {
      out.push(redactAll(arg));
      valueIsSecret = false;
    } else if (valueIsSecret) {
      // Redacted even when it looks like a flag: a secret may start with '-'.
      out.push(REDACTED);
      valueIsSecret = false;
    } else if (arg.startsWith('-') && arg.includes('=')) {
      const flag = arg.slice(0, arg.indexOf('='));
      out.push(SECRET_FLAG.test(flag) ? `${flag}=${REDACTED}` : arg);
    } else {
      out.push(arg);
      valueIsSecret = arg.startsWith('-') && SECRET_FLAG.test(arg);
    }
  }
  return out;
}

function redactAuthProvider(ap: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(ap).map(([k, v]) => {
      if (k === 'name') return [k, v];
      if (k === 'config' && isRecord(v)) return [k, Object.fromEntries(Object.entries(v).map(([ck, cv]) => [ck, SAFE_PROVIDER_CONFIG.has(ck) ? cv : redactAll(cv)]))];
      return [k, redactAll(v)];
    }),
  );
}

function redactExec(exec: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(exec).map(([k, v]) => {
      if (SAFE_EXEC.has(k)) return [k, v];
      if (k === 'args' && Array.isArray(v)) return [k, redactExecArgs(v)];
      // The variable names are shown (they say what changed), their values never.
      if (k === 'env' && Array.isArray(v)) return [k, v.map((e) => (isRecord(e) ? Object.fromEntries(Object.entries(e).map(([ek, ev]) => [ek, ek === 'name' ? ev : redactAll(ev)])) : redactAll(e)))];
      return [k, redactAll(v)];
    }),
  );
}

/** A user entry's `user:` with every value redacted except the allowlisted ones. */
export function redactUserInfo(info: unknown): unknown {
  if (!isRecord(info)) return redactAll(info);
  return Object.fromEntries(
    Object.entries(info).map(([k, v]) => {
      if (k === 'auth-provider' && isRecord(v)) return [k, redactAuthProvider(v)];
      if (k === 'exec' && isRecord(v)) return [k, redactExec(v)];
      return [k, redactAll(v)];
    }),
  );
}

/** The YAML lines of one entry as it sits in the file (under its list key), redacted; [] when absent. */
function entryLines(doc: KubeconfigDoc, change: Change): string[] {
  let value: Record<string, unknown> | undefined;
  if (change.kind === 'current-context') {
    const current = doc['current-context'];
    value = current === undefined ? undefined : { 'current-context': current };
  } else {
    let entry: Record<string, unknown> | undefined = FINDERS[change.kind](doc, change.name);
    if (entry && change.kind === 'user') {
      entry = Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, k === 'user' ? redactUserInfo(v) : v]));
    }
    value = entry && { [LIST_KEY[change.kind]]: [entry] };
  }
  if (value === undefined) return [];
  return dumpYaml(redactObject(value)).trimEnd().split('\n');
}

/** '' when nothing changed; otherwise a `---/+++` header and one `@@` section per changed entry. */
export function renderKubeconfigDiff(file: string, before: KubeconfigDoc, after: KubeconfigDoc, changes: readonly Change[]): string {
  const sections: string[] = [];
  for (const change of changes) {
    if (change.action === 'unchanged') continue;
    const label = change.kind === 'current-context' ? 'current-context' : `${change.kind} "${change.name}"`;
    const lines = lineDiff(entryLines(before, change), entryLines(after, change));
    // When only secrets changed, both redacted sides are equal: say so rather than show a puzzling no-op.
    if (!lines.some((l) => l.startsWith('+') || l.startsWith('-'))) lines.push(' # secret values changed (not shown)');
    sections.push(`@@ ${label}: ${change.action} @@`, ...lines);
  }
  if (sections.length === 0) return '';
  // redact() also catches secrets outside the known keys: registered values and anything shaped like a JWT.
  return redact([`--- ${file}`, `+++ ${file}`, ...sections].join('\n') + '\n');
}
