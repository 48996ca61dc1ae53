/**
 * Seeded random kubeconfigs for property tests: every run of a seed produces the same document, so a
 * failure names a seed that reproduces it. No dependency: mulberry32 is enough for test data.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { KubeconfigDoc, NamedCluster, NamedContext, NamedUser } from '../../src/kubeconfig/model.js';
import type { KubeconfigEntries } from '../../src/kubeconfig/merge.js';

export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (rng: Rng, max: number): number => Math.floor(rng() * max);
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)] as T;

/** Strings that trip YAML writers and readers (YAML 1.1 booleans, numbers, indicators, unicode). */
const TRICKY = [
  'yes', 'no', 'on', 'off', 'y', 'n', 'true', 'null', '~', '0755', '1e3', '1_000', '0x_1F', '12:30', '.5',
  '', ' leading', 'trailing ', 'a: b', '#hash', '- dash', '[x]', '{y}', '"q"', "'s'", 'multi\nline', 'tab\there',
  'ünïcödé', '日本語', '*star', '&amp', '!bang', '%pct', '@at', '`tick`', '2024-01-01', '<<',
];

export function randomString(rng: Rng): string {
  if (rng() < 0.3) return pick(rng, TRICKY);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-._';
  return Array.from({ length: 1 + int(rng, 24) }, () => pick(rng, [...alphabet])).join('');
}

/** Unknown keys of any YAML shape, to prove they are carried through untouched. */
function randomExtra(rng: Rng, depth = 0): unknown {
  const r = rng();
  if (depth > 2 || r < 0.3) return randomString(rng);
  if (r < 0.4) return int(rng, 1000);
  if (r < 0.5) return rng() < 0.5;
  if (r < 0.55) return null;
  if (r < 0.75) return Array.from({ length: int(rng, 3) }, () => randomExtra(rng, depth + 1));
  return Object.fromEntries(Array.from({ length: int(rng, 3) }, () => [`x-${randomString(rng)}`, randomExtra(rng, depth + 1)]));
}

function maybeExtras(rng: Rng, into: Record<string, unknown>): void {
  if (rng() < 0.3) into[`x-extra-${int(rng, 100)}`] = randomExtra(rng);
}

export function randomCluster(rng: Rng, name: string): NamedCluster {
  const cluster: NamedCluster['cluster'] = { server: `https://${randomString(rng)}.example:${int(rng, 65535)}` };
  if (rng() < 0.5) cluster['certificate-authority-data'] = Buffer.from(randomString(rng)).toString('base64');
  if (rng() < 0.2) cluster['insecure-skip-tls-verify'] = true;
  maybeExtras(rng, cluster);
  const entry: NamedCluster = { name, cluster };
  maybeExtras(rng, entry);
  return entry;
}

export function randomUser(rng: Rng, name: string): NamedUser {
  const kind = int(rng, 3);
  const user: NamedUser['user'] =
    kind === 0
      ? {
          'auth-provider': {
            name: 'oidc',
            config: {
              'client-id': randomString(rng),
              'idp-issuer-url': 'https://casdoor.example',
              'client-secret': `secret-${randomString(rng)}`,
              'id-token': `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ${int(rng, 1e9)}In0.c2ln${int(rng, 1e9)}`,
              'refresh-token': `refresh-${randomString(rng)}`,
            },
          },
        }
      : kind === 1
        ? {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: 'casdoor-kubeconfig',
              args: ['token', '--context', randomString(rng)],
              interactiveMode: 'IfAvailable',
              provideClusterInfo: rng() < 0.5,
            },
          }
        : { token: randomString(rng) };
  maybeExtras(rng, user);
  return { name, user };
}

export function randomContext(rng: Rng, name: string): NamedContext {
  const context: NamedContext['context'] = { cluster: randomString(rng), user: randomString(rng) };
  if (rng() < 0.5) context.namespace = randomString(rng);
  maybeExtras(rng, context);
  return { name, context };
}

/** Distinct names (kubectl refuses duplicates within a list). */
function names(rng: Rng, prefix: string, count: number): string[] {
  const out = new Set<string>();
  while (out.size < count) out.add(rng() < 0.2 ? pick(rng, TRICKY) || `${prefix}-empty` : `${prefix}-${randomString(rng)}`);
  return [...out];
}

export function randomKubeconfig(rng: Rng, maxPerList = 12): KubeconfigDoc {
  const doc: KubeconfigDoc = {};
  if (rng() < 0.8) doc.apiVersion = 'v1';
  if (rng() < 0.8) doc.kind = 'Config';
  if (rng() < 0.7) doc.preferences = rng() < 0.5 ? {} : { colors: true, extensions: [{ name: 'p', extension: randomExtra(rng) }] };
  if (rng() < 0.4) doc.extensions = [{ name: 'ext', extension: randomExtra(rng) }];
  if (rng() < 0.5) doc[`x-top-${int(rng, 10)}`] = randomExtra(rng);
  doc.clusters = names(rng, 'c', int(rng, maxPerList)).map((n) => randomCluster(rng, n));
  doc.users = names(rng, 'u', int(rng, maxPerList)).map((n) => randomUser(rng, n));
  doc.contexts = names(rng, 'x', int(rng, maxPerList)).map((n) => randomContext(rng, n));
  if (rng() < 0.7) doc['current-context'] = doc.contexts.length > 0 && rng() < 0.7 ? pick(rng, doc.contexts).name : '';
  // Lists may also be absent or null, as in files kubectl wrote or people edited.
  if (rng() < 0.1) delete doc.clusters;
  if (rng() < 0.1) doc.users = null;
  return doc;
}

/** Entries to merge: each either reuses an existing name (replace) or is new (append). */
export function randomEntries(rng: Rng, doc: KubeconfigDoc): KubeconfigEntries {
  const nameFor = (list: Array<{ name: string }> | null | undefined, prefix: string): string =>
    list && list.length > 0 && rng() < 0.5 ? pick(rng, list).name : `${prefix}-new-${randomString(rng)}`;
  const entries: KubeconfigEntries = {};
  if (rng() < 0.8) entries.cluster = randomCluster(rng, nameFor(doc.clusters, 'c'));
  if (rng() < 0.8) entries.user = randomUser(rng, nameFor(doc.users, 'u'));
  if (rng() < 0.8) entries.context = randomContext(rng, nameFor(doc.contexts, 'x'));
  if (rng() < 0.6) entries.currentContext = entries.context?.name ?? randomString(rng);
  return entries;
}

// ---- File-system fixtures shared by the kubeconfig tests ------------------------------------------

/** A fresh temp folder; remove it with `fs.rm(dir, { recursive: true, force: true })`. */
export async function tempDir(prefix = 'kubeconfig-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/**
 * The real kubectl: the Cloud SDK's `kubectl` on PATH is a dispatcher that adds its own work, so the
 * version-matched binary beside it is preferred. Undefined when there is no kubectl at all.
 */
export async function findKubectl(): Promise<string | undefined> {
  const real = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
  for (const candidate of [real, 'kubectl']) {
    try {
      await run(candidate, ['version', '--client', '-o', 'json']);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

export const run = promisify(execFile);
