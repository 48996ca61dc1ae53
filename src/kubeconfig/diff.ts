/**
 * A readable diff of a kubeconfig change, for --dry-run and for the summary after a write. Only the
 * entries that changed are shown (a 15,000-entry file must not be diffed line by line), each as YAML
 * with '-', '+' and ' ' prefixes. Secrets are redacted on both sides before comparing, so a change of
 * token shows up as a replaced entry without either token appearing.
 */
import { redact, redactObject } from '../redact.js';
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

/** The YAML lines of one entry as it sits in the file (under its list key), redacted; [] when absent. */
function entryLines(doc: KubeconfigDoc, change: Change): string[] {
  let value: Record<string, unknown> | undefined;
  if (change.kind === 'current-context') {
    const current = doc['current-context'];
    value = current === undefined ? undefined : { 'current-context': current };
  } else {
    const entry = FINDERS[change.kind](doc, change.name);
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
