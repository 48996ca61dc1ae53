/**
 * A pinned-port browser login under the real kubectl: `setup --mode exec --grant browser
 * --listen-address A --listen-address B` writes both into the exec args; when A is taken, the login that
 * kubectl triggers listens on B, the scripted browser (BROWSER) follows Casdoor's redirect to B, and the
 * command succeeds. With SSH_CONNECTION set, the plugin's stderr (passed through by kubectl) carries the
 * exact `ssh -L` command for B.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:net';
import yaml from 'js-yaml';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { DIST_BIN, runCli } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { setupArgs, useDemoEnvironmentWithScripts } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;
let env: DemoEnvironment;
let home: TempHome;
let wrapper: string;
let browserScript: string;
let visited: string;
let squatter: Server;
useDemoEnvironmentWithScripts({ provider: { autoLoginAs: 'alice' } }, (e, h, scripts) => {
  env = e;
  home = h;
  ({ wrapper, browser: browserScript, visited } = scripts);
});

/** A port nobody listens on right now (the OS picked it, then it was released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  squatter = createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise((r) => squatter?.close(r));
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
