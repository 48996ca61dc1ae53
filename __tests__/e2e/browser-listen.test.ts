/**
 * A pinned-port browser login under the real kubectl: `setup --mode exec --grant browser
 * --listen-address A --listen-address B` writes both into the exec args; when A is taken, the login that
 * kubectl triggers listens on B, the scripted browser (BROWSER) follows Casdoor's redirect to B, and the
 * command succeeds. With SSH_CONNECTION set, the plugin's stderr (passed through by kubectl) carries the
 * exact `ssh -L` command for B.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { startDemoEnvironment, type DemoEnvironment } from '../../src/demo/index.js';
import { DIST_BIN, runCli } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { setupArgs } from '../helpers/setup-args.js';
import { makeTempDir, makeTempHome, type TempHome } from '../helpers/tmp.js';
import { writeBinWrapper, writeScriptedBrowser } from '../helpers/scripts.js';

const itKubectl = requireKubectl() ? it : it.skip;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'dist', 'bin.js');

let env: DemoEnvironment;
let home: TempHome;
let scripts: { dir: string; cleanup(): Promise<void> };
let wrapper: string;
let browserScript: string;
let visited: string;
let squatter: Server;

/** A port nobody listens on right now (the OS picked it, then it was released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: the jest globalSetup build did not run');
  env = await startDemoEnvironment({ provider: { autoLoginAs: 'alice' } });
  scripts = await makeTempDir('ck-listen-');
  wrapper = await writeBinWrapper(scripts.dir);
  visited = path.join(scripts.dir, 'visited.txt');
  browserScript = await writeScriptedBrowser(scripts.dir, env.caFile, { visitedFile: visited });
  squatter = createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
}, 120_000);

afterAll(async () => {
  await new Promise((r) => squatter?.close(r));
  await env?.close();
  await scripts?.cleanup();
  await home?.cleanup();
});

beforeEach(async () => {
  await home?.cleanup();
  home = await makeTempHome();
  env.provider.resetStats();
  await fs.rm(visited, { force: true });
});

describe('--listen-address', () => {
  itKubectl('the first free address wins, the scripted browser completes the login there, and an SSH session gets the forward command', async () => {
    const taken = (squatter.address() as { port: number }).port;
    const free = await freePort();
    const setup = await runCli(
      setupArgs(env, home, ['--mode', 'exec', '--exec-command', wrapper, '--skip-login', '--grant', 'browser', '--listen-address', `127.0.0.1:${taken}`, '--listen-address', `127.0.0.1:${free}`]),
      { home: home.home },
    );
    expect(setup.code).toBe(0);
    const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as { users: Array<{ user: { exec: { args: string[] } } }> };
    expect(doc.users[0]?.user.exec.args.slice(-4)).toEqual(['--listen-address', `127.0.0.1:${taken}`, '--listen-address', `127.0.0.1:${free}`]);

    const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], {
      kubeconfig: home.kubeconfig,
      env: { HOME: home.home, BROWSER: browserScript, SSH_CONNECTION: '192.168.1.20 50122 10.0.0.5 22', USER: 'alice' },
    });
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
    const urls = (await fs.readFile(visited, 'utf8')).trim().split('\n');
    expect(urls).toHaveLength(1);
    expect(new URL(urls[0] as string).searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${free}/callback`);
    expect(who.stderr).toContain(`ssh -N -L ${free}:127.0.0.1:${free} alice@10.0.0.5`);
    expect(env.provider.stats.codeGrants).toBe(1);
  }, 120_000);

  it('a malformed address is a usage error, and nothing is written', async () => {
    const run = await runCli(setupArgs(env, home, ['--mode', 'exec', '--exec-command', DIST_BIN, '--skip-login', '--grant', 'browser', '--listen-address', '8000']), { home: home.home });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--listen-address 8000: expected HOST:PORT');
    expect(existsSync(home.kubeconfig)).toBe(false);
  });
});
