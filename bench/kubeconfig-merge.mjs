// Merging one user/cluster/context into a 5,000-cluster/user/context kubeconfig: this tool (a fresh
// `node` process importing dist/kubeconfig/store.js, so start-up counts as it will for the CLI) versus
// `kubectl config set-credentials` on an identical copy. Median of 5 alternating runs each, after one
// warm-up of each. Target: ours/kubectl <= 0.7.
//
//   npm run build && node bench/kubeconfig-merge.mjs
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import yaml from 'js-yaml';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const store = path.resolve(here, '../dist/kubeconfig/store.js');
const ENTRIES = 5000;
const RUNS = 5;

if (!existsSync(store)) {
  console.error(`bench/kubeconfig-merge: ${store} is missing. Run \`npm run build\` first.`);
  process.exit(1);
}
// The `kubectl` on PATH may be the Cloud SDK dispatcher, which adds its own work; use the real binary.
const REAL_KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
const kubectl = existsSync(REAL_KUBECTL) ? REAL_KUBECTL : 'kubectl';

// A plausible CA bundle size (base64 of a ~1 KB certificate); identical in every entry does not matter to a parser.
const caData = Buffer.alloc(1100, 7).toString('base64');

function bigKubeconfig() {
  const clusters = [];
  const users = [];
  const contexts = [];
  for (let i = 0; i < ENTRIES; i++) {
    clusters.push({ name: `cluster-${i}`, cluster: { server: `https://c${i}.example.com:6443`, 'certificate-authority-data': caData } });
    users.push(
      i % 2 === 0
        ? { name: `user-${i}`, user: { token: `token-${i}-${'x'.repeat(40)}` } }
        : {
            name: `user-${i}`,
            user: {
              'auth-provider': {
                name: 'oidc',
                config: {
                  'client-id': 'kubernetes',
                  'idp-issuer-url': 'https://casdoor.example.com',
                  'id-token': `eyJhbGciOiJSUzI1NiJ9.${'a'.repeat(300)}.${'b'.repeat(340)}`,
                  'refresh-token': `r-${i}-${'y'.repeat(30)}`,
                },
              },
            },
          },
    );
    contexts.push({ name: `ctx-${i}`, context: { cluster: `cluster-${i}`, user: `user-${i}`, namespace: 'default' } });
  }
  const doc = { apiVersion: 'v1', kind: 'Config', preferences: {}, clusters, users, contexts, 'current-context': 'ctx-0' };
  return yaml.dump(doc, { lineWidth: -1, noRefs: true, noArrayIndent: true });
}

const workerSource = `
import { applyKubeconfigChange } from ${JSON.stringify(pathToFileURL(store).href)};
const file = process.argv[2];
await applyKubeconfigChange({
  kubeconfigFlag: file,
  env: {},
  homeDir: process.env.HOME ?? '/',
  entries: {
    cluster: { name: 'bench-cluster', cluster: { server: 'https://bench.example.com:6443' } },
    user: { name: 'bench-user', user: { token: 'x' } },
    context: { name: 'bench', context: { cluster: 'bench-cluster', user: 'bench-user' } },
  },
});
`;

async function timed(file, args) {
  const start = performance.now();
  await run(file, args, { maxBuffer: 1 << 20 });
  return performance.now() - start;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kubeconfig-bench-'));
try {
  const base = path.join(dir, 'base.yaml');
  const text = bigKubeconfig();
  await fs.writeFile(base, text, { mode: 0o600 });
  const worker = path.join(dir, 'worker.mjs');
  await fs.writeFile(worker, workerSource);

  // Each run gets a fresh copy of the same file (and its own folder, so our backups do not pile up).
  let n = 0;
  const freshCopy = async () => {
    const sub = path.join(dir, `run-${n++}`);
    await fs.mkdir(sub);
    const file = path.join(sub, 'config');
    await fs.copyFile(base, file);
    return file;
  };
  const ours = async () => timed(process.execPath, [worker, await freshCopy()]);
  // The whole CLI, as a user runs it: `setup --mode exec --skip-login` merges without any network.
  const bin = path.resolve(here, '../dist/bin.js');
  const cli = async () =>
    timed(process.execPath, [
      bin, 'setup', '--non-interactive', '--mode', 'exec', '--skip-login', '--exec-command', bin,
      '--casdoor-url', 'https://casdoor.example.com', '--client-id', 'bench-client', '--username', 'bench',
      '--server', 'https://bench.example.com:6443', '--kubeconfig', await freshCopy(),
    ]);
  const theirs = async () =>
    timed(kubectl, ['config', 'set-credentials', 'bench-user', '--token=x', '--kubeconfig', await freshCopy()]);

  await ours();
  await cli();
  await theirs();
  const oursMs = [];
  const cliMs = [];
  const kubectlMs = [];
  for (let i = 0; i < RUNS; i++) {
    oursMs.push(await ours());
    cliMs.push(await cli());
    kubectlMs.push(await theirs());
  }
  const result = {
    bench: 'kubeconfig-merge',
    entries: ENTRIES,
    file_bytes: Buffer.byteLength(text),
    kubectl: kubectl,
    ours_ms: Math.round(median(oursMs)),
    kubectl_ms: Math.round(median(kubectlMs)),
  };
  result.ratio = Number((median(oursMs) / median(kubectlMs)).toFixed(3));
  result.cli_ms = Math.round(median(cliMs));
  result.cli_ratio = Number((median(cliMs) / median(kubectlMs)).toFixed(3));
  console.log(`kubeconfig with ${ENTRIES} clusters, users and contexts (${(result.file_bytes / 1e6).toFixed(1)} MB)`);
  console.log(`ours    median ${result.ours_ms} ms  runs ${oursMs.map(Math.round).join(' ')}`);
  console.log(`cli     median ${result.cli_ms} ms  runs ${cliMs.map(Math.round).join(' ')}  (casdoor-kubeconfig setup --mode exec --skip-login)`);
  console.log(`kubectl median ${result.kubectl_ms} ms  runs ${kubectlMs.map(Math.round).join(' ')}  (${kubectl})`);
  console.log(`ratio store ${result.ratio}, whole CLI ${result.cli_ratio} (target <= 0.7)`);
  console.log(JSON.stringify({ bench: result.bench, ours_ms: result.ours_ms, cli_ms: result.cli_ms, kubectl_ms: result.kubectl_ms, ratio: result.ratio, cli_ratio: result.cli_ratio }));
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
