/**
 * Exec commands as os/exec resolves them for kubectl (client-go exec.go `exec.Command`): PATH lookup of a
 * name (executable regular files only), a path with a slash as it is; and the wizard's offer of this tool's
 * absolute path when the name does not resolve.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { absoluteCommand, checkExecCommand, execCommandError } from '../../src/usecases/exec-command.js';
import { execCommandStep } from '../../src/wizard/steps/exec-command.js';
import type { Run } from '../../src/wizard/run.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ck-exec-'));
  await mkdir(path.join(dir, 'a'));
  await mkdir(path.join(dir, 'b'));
  await mkdir(path.join(dir, 'a', 'casdoor-kubeconfig-dir'));
  await writeFile(path.join(dir, 'a', 'tool'), '#!/bin/sh\n', { mode: 0o644 });
  await writeFile(path.join(dir, 'b', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkExecCommand (os/exec LookPath)', () => {
  it('a name: the first executable match on PATH; a non-executable one is skipped', () => {
    const PATH = [path.join(dir, 'a'), path.join(dir, 'b')].join(path.delimiter);
    expect(checkExecCommand('tool', { PATH }, '/')).toEqual({ ok: true, resolved: path.join(dir, 'b', 'tool') });
    expect(checkExecCommand('tool', { PATH: path.join(dir, 'a') }, '/')).toEqual({ ok: false, problem: 'not-executable', file: path.join(dir, 'a', 'tool') });
    expect(checkExecCommand('tool', {}, '/')).toEqual({ ok: false, problem: 'not-found' });
    expect(checkExecCommand('casdoor-kubeconfig-dir', { PATH: path.join(dir, 'a') }, '/')).toMatchObject({ ok: false });
  });
  it('a path: as it is (relative to the folder given), must be an executable file', () => {
    expect(checkExecCommand('./b/tool', {}, dir)).toEqual({ ok: true, resolved: path.join(dir, 'b', 'tool') });
    expect(checkExecCommand(path.join(dir, 'a', 'tool'), {}, '/')).toMatchObject({ ok: false, problem: 'not-executable' });
    expect(checkExecCommand(path.join(dir, 'a'), {}, '/')).toMatchObject({ ok: false, problem: 'not-a-file' });
    expect(absoluteCommand('./b/tool', dir)).toBe(path.join(dir, 'b', 'tool'));
    expect(absoluteCommand('casdoor-kubeconfig', dir)).toBe('casdoor-kubeconfig');
  });
  it('the error is a usage error (exit 2) that offers the tool path', () => {
    const err = execCommandError('casdoor-kubeconfig', { ok: false, problem: 'not-found' }, '--exec-command', '/opt/ck/dist/bin.js');
    expect(err.code).toBe('usage');
    expect(err.hint).toContain('--exec-command /opt/ck/dist/bin.js');
  });
});

describe('the wizard offers the running tool when the name does not resolve', () => {
  const fakeRun = (answer: boolean, execCommand?: string) => {
    const asked: string[] = [];
    const warned: string[] = [];
    const settings: { execCommand?: string } = execCommand ? { execCommand } : {};
    const run = {
      a: { mode: 'exec' },
      opts: { settings },
      deps: { env: { PATH: path.join(dir, 'a') } },
      ask: { confirm: async (q: { id: string }) => (asked.push(q.id), answer) },
      out: { warn: (m: string) => warned.push(m) },
    } as unknown as Run;
    return { run, asked, warned, settings };
  };
  it('yes: the absolute path is written', async () => {
    const f = fakeRun(true);
    await execCommandStep(f.run, path.join(dir, 'b', 'tool'));
    expect(f.asked).toEqual(['execCommandPath']);
    expect(f.settings.execCommand).toBe(path.join(dir, 'b', 'tool'));
  });
  it('no: a warning that kubectl will not run it', async () => {
    const f = fakeRun(false);
    await execCommandStep(f.run, path.join(dir, 'b', 'tool'));
    expect(f.settings.execCommand).toBeUndefined();
    expect(f.warned.join(' ')).toMatch(/casdoor-kubeconfig is not on PATH: kubectl will not be able to run this exec entry/);
  });
  it('a command that resolves: nothing asked', async () => {
    const f = fakeRun(true, path.join(dir, 'b', 'tool'));
    await execCommandStep(f.run, '/elsewhere');
    expect(f.asked).toEqual([]);
  });
});
