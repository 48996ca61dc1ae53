/**
 * An exec entry kubectl can run (issue 9 point 7). kubectl runs the entry's command with Go's os/exec
 * (client-go plugin/pkg/client/auth/exec/exec.go refreshCredsLocked: `exec.Command(a.cmd, a.args...)`):
 * a name is looked up on PATH, a path must be an executable file. setup checks the same before logging in
 * (exit 2, nothing sent, nothing written), and the build marks dist/bin.js executable so a source checkout
 * works as the command, which the real kubectl then runs.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';

import type { DemoEnvironment } from '../../src/demo/index.js';
import { DIST_BIN, runCli } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { setupArgs, useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;
const PASSWORD = 'correct-horse';
let env: DemoEnvironment;
let home: TempHome;

useDemoEnvironment({}, (e, h) => {
  env = e;
  home = h;
});

const setupExec = (extra: string[], pathValue: string) =>
  runCli(setupArgs(env, home, ['--mode', 'exec', ...extra]), { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD, PATH: pathValue } });

describe('setup --mode exec: the command must be one kubectl can run', () => {
  it('the build leaves dist/bin.js executable (a checkout works as the exec command)', () => {
    expect(statSync(DIST_BIN).mode & 0o111).toBe(0o111);
  });

  it('the default name not on PATH: exit 2 before logging in, naming this tool\'s absolute path; nothing written', async () => {
    // The built tool itself, run as a user runs a checkout: it offers its own dist/bin.js.
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(DIST_BIN, setupArgs(env, home, ['--mode', 'exec']), { env: { HOME: home.home, PATH: path.dirname(process.execPath), CASDOOR_PASSWORD: PASSWORD, NO_COLOR: '1' } }, (err, _out, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stderr }),
      );
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--exec-command (default) casdoor-kubeconfig: not found on PATH, so kubectl would print the install hint');
    expect(run.stderr).toContain(`This tool is at ${DIST_BIN}: --exec-command ${DIST_BIN}`);
    expect(env.provider.stats.tokenRequests).toBe(0);
    expect(existsSync(home.kubeconfig)).toBe(false);
  });

  it('a path without execute permission: exit 2 before logging in', async () => {
    const file = await home.write('bin/casdoor-kubeconfig', '#!/bin/sh\n', 0o644);
    const run = await setupExec(['--exec-command', file], '/usr/bin:/bin');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file} has no execute permission, so kubectl could not run it`);
    expect(env.provider.stats.tokenRequests).toBe(0);
    expect(existsSync(home.kubeconfig)).toBe(false);
  });

  it('a name found on PATH is written as the name (kubectl looks it up the same way)', async () => {
    const dir = home.path('bin');
    await fs.mkdir(dir, { recursive: true });
    await fs.symlink(DIST_BIN, path.join(dir, 'casdoor-kubeconfig'));
    const run = await setupExec([], `${dir}${path.delimiter}${path.dirname(process.execPath)}`);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as { users: Array<{ user: { exec: { command: string } } }> };
    expect(doc.users[0]?.user.exec.command).toBe('casdoor-kubeconfig');
  });

  itKubectl('a relative path is written absolute, and the real kubectl runs the checkout\'s dist/bin.js through the entry', async () => {
    // Relative to the working folder, as a user types it in a checkout: ./dist/bin.js.
    const relative = `.${path.sep}${path.relative(process.cwd(), DIST_BIN)}`;
    const run = await setupExec(['--exec-command', relative], path.dirname(process.execPath));
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as { users: Array<{ user: { exec: { command: string } } }> };
    expect(doc.users[0]?.user.exec.command).toBe(DIST_BIN);
    const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig, env: { HOME: home.home } });
    expect({ code: who.code, stderr: who.stderr }).toMatchObject({ code: 0 });
    expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
  });
});
