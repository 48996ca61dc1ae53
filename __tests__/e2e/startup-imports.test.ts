/**
 * What a start of the CLI loads before any command runs (issue 13: `--help` must cost ≤ 2× `node -e 0`).
 * Every command module loads on every start, so each must load its use case, src/cli/deps.ts and what
 * they pull in (kubeconfig, oidc, js-yaml, undici, jose, inquirer, client-node) inside its action only.
 * Counted, not timed: a module-resolution hook (node:module register) lists every ESM module that
 * `node dist/bin.js …` resolves.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DIST_BIN } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
let dir: { dir: string; cleanup(): Promise<void> };
let register: string;

beforeAll(async () => {
  dir = await makeTempDir('ck-startup-');
  const hooks = path.join(dir.dir, 'hooks.mjs');
  // writeSync on fd 2: the hooks run on their own thread, and an asynchronous write from there may still be
  // queued when the CLI calls process.exit (the last modules it loaded would then go unseen).
  await writeFile(hooks, "import { writeSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); writeSync(2, `LOADED ${r.url}\\n`); return r; }\n");
  register = path.join(dir.dir, 'register.mjs');
  await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
});
afterAll(async () => {
  await dir?.cleanup();
});

/** The dist/ files (relative) and packages a run of dist/bin.js loads. */
async function loaded(args: string[]): Promise<{ ours: string[]; packages: string[]; stdout: string }> {
  const { stdout, stderr } = await run(process.execPath, ['--import', register, DIST_BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } });
  const urls = stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length));
  const dist = pathToFileURL(path.dirname(DIST_BIN)).href + '/';
  const ours = urls.filter((u) => u.startsWith(dist)).map((u) => u.slice(dist.length));
  const packages = urls.filter((u) => u.includes('/node_modules/')).map((u) => (/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u) as RegExpExecArray)[1] as string);
  return { ours: [...new Set(ours)].sort(), packages: [...new Set(packages)].sort(), stdout };
}

/** Modules a start may load: the CLI's frame, the command modules and the small leaf modules their options name. */
const HEAVY_OURS = /^(kubeconfig|wizard|demo|casdoor\/(?!app-defaults)|cluster\/(?!defaults)|oidc\/(?!issuer|loopback|resource)|usecases\/(?!grants|apiserver-options)|token\/(?!fast|cache|exec-credential|storage-kinds)|install-info|self-path)|^cli\/deps\.js$/;
/** How many of our modules `--help` loaded when last counted (lower it when it drops; never raise it). */
const MAX_OURS = 38;
const LIGHT_PACKAGES = ['chalk', 'commander'];

describe('start-up of the CLI', () => {
  for (const args of [['--help'], ['setup', '--help'], ['token', '--help'], ['--version']]) {
    it(`${args.join(' ')} loads no use case, kubeconfig, oidc or heavy package`, async () => {
      const got = await loaded(args);
      // The hook saw the CLI itself (it works), and nothing heavy.
      expect(got.ours).toEqual(expect.arrayContaining(['bin.js', 'cli/main.js', 'cli/setup.js', 'cli/token.js']));
      expect(got.ours.filter((f) => HEAVY_OURS.test(f))).toEqual([]);
      expect(got.ours.length).toBeLessThanOrEqual(MAX_OURS);
      expect(got.packages.filter((p) => !LIGHT_PACKAGES.includes(p))).toEqual([]);
    });
  }

  it('a command loads its use case when it runs (the same hook sees dynamic imports)', async () => {
    const got = await loaded(['rbac', '--user', 'alice']);
    expect(got.stdout).toContain('kind: ClusterRoleBinding');
    expect(got.ours).toContain('usecases/rbac.js');
    expect(got.packages).toContain('js-yaml');
  });
});
