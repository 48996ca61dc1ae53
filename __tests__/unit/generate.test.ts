/** runGenerate in exec mode without the network (--offline), with the real file writer in a temp folder. */
import { readFile, readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { Output } from '../../src/ports/output.js';
import { CliError } from '../../src/errors.js';
import { formatSummary, runGenerate, type GenerateInput, type GenerateResult } from '../../src/usecases/generate.js';
import { parseRoster } from '../../src/usecases/roster.js';
import { makeTempDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup(): Promise<void> };
let stdout = '';
let stderr = '';
const out = (): Output => new Output({ env: { NO_COLOR: '1' }, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });

beforeEach(async () => {
  tmp = await makeTempDir();
  stdout = '';
  stderr = '';
});
afterEach(async () => {
  await tmp.cleanup();
});

const input = (roster: string, extra: Partial<GenerateInput> = {}): GenerateInput => ({
  roster: parseRoster(roster, 'team.csv'),
  outDir: `${tmp.dir}/out`,
  casdoorUrl: 'https://door.example.com',
  clientId: 'client-123',
  server: 'https://api.example.com:6443',
  insecureSkipTlsVerify: false,
  mode: 'exec',
  usernameClaim: 'name',
  groupsClaim: 'groups',
  usernamePrefix: '-',
  offline: true,
  output: 'text',
  ...extra,
});

const deps = () => ({
  out: out(),
  now: () => new Date('2025-01-01T00:00:00Z'),
  makeHttp: () => {
    throw new Error('no network in offline exec mode');
  },
  makeOutDir: async (dir: string) => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true, mode: 0o700 });
  },
});

describe('runGenerate (exec, offline)', () => {
  it('writes one file per good row with the row names and the default namespace/cluster', async () => {
    const res = await runGenerate(input('alice,,alice@prod,prod-cluster,alice-user\nbob,team-b\n', { namespace: 'default-ns', cluster: 'shared' }), deps());
    expect(res).toMatchObject({ written: 2, failed: 0 });
    expect((await readdir(`${tmp.dir}/out`)).sort()).toEqual(['alice.kubeconfig', 'bob.kubeconfig']);
    const alice = yaml.load(await readFile(`${tmp.dir}/out/alice.kubeconfig`, 'utf8')) as Record<string, any>;
    expect(alice['current-context']).toBe('alice@prod');
    expect(alice.contexts[0].context).toEqual({ cluster: 'prod-cluster', user: 'alice-user', namespace: 'default-ns' });
    const bob = yaml.load(await readFile(`${tmp.dir}/out/bob.kubeconfig`, 'utf8')) as Record<string, any>;
    expect(bob.contexts[0]).toEqual({ name: 'bob@shared', context: { cluster: 'shared', user: 'bob@door.example.com/client-123', namespace: 'team-b' } });
    expect(bob.users[0].user.exec.args).toEqual(['token', '--casdoor-url', 'https://door.example.com', '--client-id', 'client-123', '--username', 'bob']);
    expect(stdout).toMatch(/^alice\s+\S+alice\.kubeconfig\s+written/m);
    expect(stderr).toContain('Wrote 2 kubeconfigs');
  });

  it('all rows bad: nothing written, the first failure decides the code', async () => {
    let caught: unknown;
    try {
      await runGenerate(input(',x\nbad name\n'), deps());
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).code).toBe('usage');
    expect((caught as CliError).message).toBe('2 of 2 users failed (see the summary); no file was written.');
  });

  it('writes every file 0600 itself, also over an existing world-readable file (no chmod afterwards)', async () => {
    const { mkdir, writeFile, chmod, stat } = await import('node:fs/promises');
    await mkdir(`${tmp.dir}/out`, { recursive: true, mode: 0o700 });
    await writeFile(`${tmp.dir}/out/alice.kubeconfig`, 'apiVersion: v1\nkind: Config\n', { mode: 0o644 });
    await chmod(`${tmp.dir}/out/alice.kubeconfig`, 0o644);
    const res = await runGenerate(input('alice\nbob\n'), deps());
    expect(res).toMatchObject({ written: 2, failed: 0 });
    for (const f of ['alice', 'bob']) expect((await stat(`${tmp.dir}/out/${f}.kubeconfig`)).mode & 0o777).toBe(0o600);
  });

  it('one failing user does not stop the rest: a file-system failure is that row\'s failure', async () => {
    const { mkdir } = await import('node:fs/promises');
    // alice's path is a folder: her row fails with a message; bob and carol are still written.
    await mkdir(`${tmp.dir}/out/alice.kubeconfig`, { recursive: true });
    let caught: unknown;
    try {
      await runGenerate(input('alice\nbob\ncarol\n'), deps());
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).message).toBe('1 of 3 users failed (see the summary); the other files were written.');
    expect(stdout).toMatch(/^alice\s+\S+alice\.kubeconfig\s+failed\s+line 1: refusing to overwrite/m);
    expect(stdout).toMatch(/^bob\s+\S+bob\.kubeconfig\s+written/m);
    expect(stdout).toMatch(/^carol\s+\S+carol\.kubeconfig\s+written/m);
  });

  it('an empty roster is a usage error', async () => {
    await expect(runGenerate(input(''), deps())).rejects.toThrow('The roster lists nobody.');
  });
});

describe('formatSummary', () => {
  it('aligns columns and names failures by their place', () => {
    const result: GenerateResult = {
      outDir: '/o',
      mode: 'exec',
      written: 1,
      failed: 1,
      rows: [
        { row: 'line 1', username: 'alice', file: '/o/alice.kubeconfig', status: 'written', detail: 'ok' },
        { row: 'line 2', username: '', status: 'failed', detail: 'username is empty', code: 'usage' },
      ],
    };
    expect(formatSummary(result)).toBe(
      ['USER      FILE                 STATUS   DETAIL', 'alice     /o/alice.kubeconfig  written  ok', '(line 2)  -                    failed   line 2: username is empty'].join('\n'),
    );
  });
});
