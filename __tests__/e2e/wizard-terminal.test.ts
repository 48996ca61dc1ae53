/**
 * The built CLI (dist/bin.js) in a real pseudo-terminal: tmux runs it, `send-keys` types, and
 * `capture-pane` reads the screen, exactly what a person sees. Needs `npm run build` first (CI's
 * `npm ci` does it) and tmux; without tmux these tests say so loudly and are skipped.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startDemoEnvironment, type DemoEnvironment } from '../../src/demo/index.js';
import { kubectlBinary, runKubectl } from '../helpers/kubectl.js';
import { DIST_BIN, ROOT } from '../helpers/cli.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

// Decided when the file loads, so that without tmux the tests are reported as skipped, not as passed.
const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
if (!hasTmux) console.warn('\n#### NO tmux FOUND: the real-terminal tests of the wizard are SKIPPED (install tmux to run them). ####\n');
beforeAll(() => {
  if (hasTmux && !existsSync(DIST_BIN)) throw new Error('dist/bin.js is missing: run `npm run build` before these tests.');
});

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** One CLI run in a detached tmux session on a private tmux server. */
class Tmux {
  private readonly socket = `ck-wizard-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly session = 'run';
  private consumed = 0;

  async start(args: string[], env: Record<string, string>): Promise<void> {
    const envPart = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
    // The pane stays after the CLI exits so its last screen and exit code can be read.
    const command = `cd ${shellQuote(ROOT)} && env ${envPart} ${shellQuote(process.execPath)} ${shellQuote(DIST_BIN)} ${args.map(shellQuote).join(' ')}; echo "EXIT=$?"; sleep 600`;
    const r = await run('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-s', this.session, '-x', '140', '-y', '50', command]);
    if (r.code !== 0) throw new Error(`tmux new-session failed: ${r.stderr}`);
  }

  /** The whole scrollback, wrapped lines joined. */
  async screen(): Promise<string> {
    const r = await run('tmux', ['-L', this.socket, 'capture-pane', '-p', '-J', '-S', '-2000', '-t', this.session]);
    return r.stdout;
  }

  async waitFor(text: string | RegExp, timeoutMs = 20_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen();
      const rest = screen.slice(this.consumed);
      const index = typeof text === 'string' ? rest.indexOf(text) : rest.search(text);
      if (index >= 0) {
        this.consumed += index + (typeof text === 'string' ? text.length : (rest.slice(index).match(text)?.[0].length ?? 0));
        return screen;
      }
      if (Date.now() > until) throw new Error(`timed out waiting for ${String(text)} on the terminal:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** `keys` as tmux names them: text is typed literally, 'Enter', 'C-c', 'BSpace' are keys. */
  async send(...keys: string[]): Promise<void> {
    for (const k of keys.filter((key) => key !== '')) {
      const literal = !['Enter', 'C-c', 'BSpace', 'Down', 'Up'].includes(k);
      await run('tmux', ['-L', this.socket, 'send-keys', '-t', this.session, ...(literal ? ['-l', k] : [k])]);
    }
  }

  async answer(prompt: string | RegExp, ...keys: string[]): Promise<void> {
    await this.waitFor(prompt);
    await new Promise((r) => setTimeout(r, 60));
    await this.send(...keys);
  }

  async exitCode(timeoutMs = 30_000): Promise<number> {
    const screen = await this.waitFor(/EXIT=\d+/, timeoutMs);
    return Number(/EXIT=(\d+)/.exec(screen)?.[1]);
  }

  async kill(): Promise<void> {
    await run('tmux', ['-L', this.socket, 'kill-server']);
  }
}

let tmux: Tmux | undefined;
let home: TempHome | undefined;
afterEach(async () => {
  await tmux?.kill();
  tmux = undefined;
  await home?.cleanup();
  home = undefined;
});

const tmuxIt = (name: string, fn: () => Promise<void>, timeout = 60_000): void => (hasTmux ? it : it.skip)(name, fn, timeout);

describe('npm run demo in a real terminal, answered like a newcomer would', () => {
  tmuxIt('Enter for the suggested values, the password typed (once wrong): a working context, then a clean exit', async () => {
    home = await makeTempHome();
    tmux = new Tmux();
    await tmux.start(['demo'], { HOME: home.home, PATH: process.env.PATH ?? '', TERM: 'xterm-256color' });
    await tmux.waitFor('The values to type');
    await tmux.answer('Casdoor URL (e.g.', 'Enter');
    await tmux.answer("Casdoor's CA certificate file", 'Enter');
    await tmux.waitFor('issuer is'); // discovery done
    await tmux.answer('Organization', 'Enter');
    await tmux.answer('Application name', 'Enter');
    await tmux.answer('Client ID', 'Enter');
    await tmux.answer('Client secret', 'Enter');
    await tmux.answer('How do you want to log in?', 'Enter');
    await tmux.answer('Casdoor username', 'Enter');
    await tmux.answer('Password for alice', 'battery-staple', 'Enter');
    await tmux.waitFor('password or code is incorrect');
    await tmux.answer('Password for alice', 'correct-horse', 'Enter');
    await tmux.answer('Username claim', 'Enter');
    await tmux.answer('Groups claim', 'Enter');
    await tmux.answer('API server URL', 'Enter');
    await tmux.answer("How should kubectl check the API server's certificate?", 'Enter');
    await tmux.answer("API server's CA certificate file", 'Enter');
    await tmux.answer('Use these names?', 'Enter');
    await tmux.answer('Default namespace', 'Enter');
    await tmux.answer('Where should the result go?', 'Enter');
    await tmux.answer('Write these changes to', 'Enter');
    await tmux.answer('Show the API server configuration', 'Enter'); // default: no
    await tmux.waitFor('The API server accepted the token');
    expect(await tmux.exitCode()).toBe(0);
    const screen = await tmux.screen();
    expect(screen).toMatch(/username\s+alice/);
    expect(screen).toContain('Stopped the demo servers and deleted the temporary files.');
    expect(screen).not.toContain('correct-horse\n');
    expect(screen).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  });

  tmuxIt('demo --keep: the kubeconfig stays usable until Ctrl-C, then everything is removed', async () => {
    home = await makeTempHome();
    tmux = new Tmux();
    await tmux.start(['demo', '--keep'], { HOME: home.home, PATH: process.env.PATH ?? '' });
    await tmux.answer('Casdoor URL (e.g.', 'Enter');
    await tmux.answer("Casdoor's CA certificate file", 'Enter');
    for (const p of ['Organization', 'Application name', 'Client ID', 'Client secret', 'How do you want to log in?', 'Casdoor username']) await tmux.answer(p, 'Enter');
    await tmux.answer('Password for alice', 'correct-horse', 'Enter');
    for (const p of ['Username claim', 'Groups claim', 'API server URL', "How should kubectl check", "API server's CA certificate file", 'Use these names?', 'Default namespace', 'Where should the result go?', 'Write these changes to', 'Show the API server configuration']) {
      await tmux.answer(p, 'Enter');
    }
    const screen = await tmux.waitFor('Press Ctrl-C here to stop');
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(screen)?.[1] as string;
    expect(existsSync(kubeconfig)).toBe(true);
    const bin = kubectlBinary();
    if (bin) {
      const who = await runKubectl(bin, ['auth', 'whoami', '-o', 'json'], { kubeconfig });
      expect(who.code).toBe(0);
      expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
    }
    await tmux.send('C-c');
    expect(await tmux.exitCode()).toBe(130);
    expect(existsSync(kubeconfig)).toBe(false);
  });
});

describe('the wizard in a real terminal against the local Casdoor', () => {
  let env: DemoEnvironment;
  beforeAll(async () => {
    if (hasTmux) env = await startDemoEnvironment();
  });
  afterAll(async () => {
    await env?.close();
  });

  tmuxIt('Ctrl-C at the confirmation: exit 130, the file byte for byte unchanged, no lock left', async () => {
    home = await makeTempHome();
    const before = 'apiVersion: v1\nkind: Config\n# kept as is\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: ""\n';
    await writeFile(home.kubeconfig, before, { mode: 0o600 });
    tmux = new Tmux();
    // No command at all: in a terminal that is the wizard.
    await tmux.start([], { HOME: home.home, KUBECONFIG: home.kubeconfig, PATH: process.env.PATH ?? '' });
    await tmux.answer('Casdoor URL (e.g.', env.provider.issuer, 'Enter');
    await tmux.answer("Casdoor's CA certificate file", env.caFile, 'Enter');
    await tmux.answer('Organization', 'Enter');
    await tmux.answer('Application name', 'Enter');
    await tmux.answer('Client ID', env.provider.clientId, 'Enter');
    await tmux.answer('Client secret', 'Enter');
    await tmux.answer('How do you want to log in?', 'Enter');
    await tmux.answer('Casdoor username', 'alice', 'Enter');
    await tmux.answer('Password for alice', 'correct-horse', 'Enter');
    await tmux.answer('Username claim', 'Enter');
    await tmux.answer('Groups claim', 'Enter');
    await tmux.answer('API server URL', env.apiserver.url, 'Enter');
    await tmux.answer("How should kubectl check", 'Enter');
    await tmux.answer("API server's CA certificate file", env.caFile, 'Enter');
    await tmux.answer('Use these names?', 'Enter');
    await tmux.answer('Default namespace', 'Enter');
    await tmux.answer('Where should the result go?', 'Enter');
    await tmux.answer('How should kubectl get your token?', 'Enter');
    await tmux.answer('Write these changes to', 'C-c');
    expect(await tmux.exitCode()).toBe(130);
    expect(await tmux.screen()).toContain('Interrupted; nothing was written.');
    expect(await readFile(home.kubeconfig, 'utf8')).toBe(before);
    expect(existsSync(`${home.kubeconfig}.lock`)).toBe(false);
  });

  tmuxIt('Ctrl-C while the first question waits: exit 130 at once', async () => {
    home = await makeTempHome();
    tmux = new Tmux();
    await tmux.start(['setup'], { HOME: home.home, PATH: process.env.PATH ?? '' });
    await tmux.answer('Casdoor URL (e.g.', 'C-c');
    expect(await tmux.exitCode(15_000)).toBe(130);
    expect(existsSync(home.kubeconfig)).toBe(false);
  });
});
