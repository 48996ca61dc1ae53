/**
 * `demo` headless, as CI runs it: the local provider and API server start, the wizard answers itself
 * with the demo values, the context it writes is checked against the API server, and everything is
 * cleaned up afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import { demoDeps } from '../../src/cli/demo.js';
import type { Io } from '../../src/ports/io.js';
import { buildProgram, type CommandContext } from '../../src/cli/main.js';
import { Output } from '../../src/ports/output.js';
import { CliError } from '../../src/errors.js';
import { runDemo, selfCommandOf, whoamiAnswerOf, withLoopbackUnproxied } from '../../src/usecases/demo.js';
import { runCli, stopChild } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;

let home: TempHome | undefined;
/** The real process a test started: stopped here if the test failed or timed out before it exited. */
let child: ChildProcess | undefined;
afterEach(async () => {
  await stopChild(child);
  child = undefined;
  await home?.cleanup();
  home = undefined;
});

/** The temporary kubeconfig the demo announced (it is gone after the run). */
const announcedKubeconfig = (text: string): string | undefined => /kubeconfig\s+(\S+\/kubeconfig)\s/.exec(text)?.[1];

describe('demo, headless', () => {
  it('demo --non-interactive: scripted answers, a working context, then everything removed', async () => {
    home = await makeTempHome();
    const started = Date.now();
    const run = await runCli(['demo', '--non-interactive'], { home: home.home });
    expect(run.stderr).toContain('No terminal: the answers are scripted.');
    expect(run.code).toBe(0);
    // The transcript shows every question and answer, passwords masked.
    expect(run.stderr).toMatch(/\? Casdoor URL \(e\.g\. https:\/\/door\.example\.com\): https:\/\/127\.0\.0\.1:\d+/);
    expect(run.stderr).toMatch(/\? Password for alice: \*+/);
    expect(run.stderr).toContain('The API server accepted the token');
    expect(run.stderr).toMatch(/username\s+alice/);
    expect(run.stderr).toMatch(/groups\s+k8s-org\/admins, system:authenticated/);
    expect(run.stderr).toContain('Stopped the demo servers and deleted the temporary files.');
    const kubeconfig = announcedKubeconfig(run.stderr);
    expect(kubeconfig).toBeDefined();
    expect(existsSync(kubeconfig as string)).toBe(false);
    // The user's own kubeconfig is not touched.
    expect(existsSync(home.kubeconfig)).toBe(false);
    expect(run.stderr).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  itKubectl("the demo's context authenticates with the real kubectl", async () => {
    home = await makeTempHome();
    let stderr = '';
    const io: Io = {
      env: { HOME: home.home, NO_COLOR: '1', PATH: process.env.PATH ?? '' },
      stdin: Object.assign(new PassThrough(), { isTTY: false }),
      stdout: { write: () => true, isTTY: false },
      stderr: { write: (s: string) => (stderr += s), isTTY: false },
      homeDir: home.home,
      cwd: home.home,
      now: () => new Date(),
    };
    const out = new Output(io);
    const ctx: CommandContext = { io, output: () => out, program: () => buildProgram(io, ctx) };
    const deps = await demoDeps(ctx, out, true);
    const bin = kubectlBinary() as string;
    let viewed: unknown;
    // The same check the demo makes, through the version-matched kubectl binary of the test machines.
    deps.whoami = async (kubeconfig, context) => {
      const view = await runKubectl(bin, ['config', 'view', '-o', 'json'], { kubeconfig });
      viewed = JSON.parse(view.stdout);
      const who = await runKubectl(bin, ['auth', 'whoami', '-o', 'json', '--context', context], { kubeconfig });
      if (who.code !== 0) throw new Error(who.stderr);
      const info = JSON.parse(who.stdout).status.userInfo;
      return { username: info.username, groups: info.groups, via: `checked with ${bin}` };
    };
    const result = await runDemo({ keep: false, headless: true }, deps);
    expect(result.who).toEqual({ username: 'alice', groups: ['k8s-org/admins', 'system:authenticated'], via: `checked with ${bin}` });
    expect((viewed as { 'current-context': string })['current-context']).toBe(result.context);
    expect(stderr).toContain(`checked with ${bin}`);
    expect(existsSync(result.kubeconfig)).toBe(false);
  });

  it('the real process without a terminal (CI) runs the demo headless and exits 0', async () => {
    const bin = new URL('../../dist/bin.js', import.meta.url).pathname;
    if (!existsSync(bin)) throw new Error('dist/bin.js is missing: run npm run build first');
    home = await makeTempHome();
    const running = spawn(process.execPath, [bin, 'demo'], { env: { PATH: process.env.PATH ?? '', HOME: home.home, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    child = running;
    let stderr = '';
    running.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => running.on('exit', resolve));
    running.stdin.end();
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stderr).toContain('The API server accepted the token');
  });
});

describe("the demo's pure helpers", () => {
  it('how to run the tool again, and no proxy for the loopback servers', () => {
    expect(selfCommandOf('/src/app/dist/bin.js', '/src/app')).toBe('node dist/bin.js');
    expect(selfCommandOf('/usr/lib/node_modules/x/bin/kubectl-casdoor', '/')).toBe('kubectl casdoor');
    expect(selfCommandOf('/usr/bin/casdoor-kubeconfig', '/')).toBe('casdoor-kubeconfig');
    expect(withLoopbackUnproxied({ NO_PROXY: 'corp.example' })).toMatchObject({ NO_PROXY: 'corp.example,127.0.0.1,localhost', no_proxy: 'corp.example,127.0.0.1,localhost' });
  });

  it("the whoami use case's answer: who the API server sees, or its refusal as the error", () => {
    const base = { context: 'c', cluster: 'k', server: 'https://api', user: 'u', credential: 'oidc' as const };
    expect(whoamiAnswerOf({ outcome: 'accepted', report: { ...base, authenticated: true, apiVersion: 'authentication.k8s.io/v1', username: 'alice', groups: ['g'] } })).toEqual({
      username: 'alice',
      groups: ['g'],
      via: 'authentication.k8s.io/v1 SelfSubjectReview, the request kubectl auth whoami makes',
    });
    const refusal = new CliError('cluster', 'refused: 401 Unauthorized');
    expect(() => whoamiAnswerOf({ outcome: 'refused', report: { ...base, authenticated: false, status: 401 }, error: refusal })).toThrow(refusal);
  });
});
