/**
 * Ctrl-C (SIGINT) or SIGTERM while a run waits for someone else's kubeconfig lock (`<file>.lock`, as
 * kubectl takes it): the process exits like a shell would (130 / 143), says it was interrupted, leaves the
 * other writer's lock in place (the very same file: deleting it would let two writers in at once) and the
 * kubeconfig byte for byte as it was, with no backup or temp file beside it. The CLI runs as kubectl or a
 * person would start it (dist/bin.js in its own process); `from-kubelogin` is the command, since it takes
 * the lock without asking the network anything first.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DIST_BIN, stopChild } from '../helpers/cli.js';
import { kubeloginKubeconfig } from '../helpers/kubelogin.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

let home: TempHome;
let child: ChildProcess | undefined;

beforeEach(async () => {
  if (!existsSync(DIST_BIN)) throw new Error('dist/ is missing: the jest globalSetup build did not run');
  home = await makeTempHome('ck-signal-');
});
afterEach(async () => {
  await stopChild(child);
  child = undefined;
  await home.cleanup();
});

async function writeKubeloginConfig(): Promise<Buffer> {
  const text = kubeloginKubeconfig({
    server: 'https://127.0.0.1:6443',
    args: ['--oidc-issuer-url=https://door.example.com', '--oidc-client-id=abc123', '--grant-type=password', '--username=alice'],
  });
  await fs.writeFile(home.kubeconfig, text, { mode: 0o600 });
  return fs.readFile(home.kubeconfig);
}

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s while waiting for another writer\'s kubeconfig lock', (signal, exitCode) => {
  it(`exits ${exitCode}, keeps the other writer's lock and the kubeconfig as they were`, async () => {
    const before = await writeKubeloginConfig();
    const lock = `${home.kubeconfig}.lock`;
    await fs.writeFile(lock, 'held by another writer\n', { mode: 0o600 });
    const lockBefore = await fs.stat(lock);
    const filesBefore = (await fs.readdir(path.dirname(home.kubeconfig))).sort();

    child = spawn(process.execPath, [DIST_BIN, 'from-kubelogin', '--kubeconfig', home.kubeconfig, '--exec-command', process.execPath], {
      env: { PATH: path.dirname(process.execPath), HOME: home.home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child?.once('exit', (code, sig) => resolve({ code, signal: sig })));
    // It prints the conversion, then takes the lock, waiting up to 5 s (DEFAULT_LOCK_WAIT_MS) for it.
    for (let waited = 0; !stderr.includes('becomes:') && child.exitCode === null && waited < 15_000; waited += 50) await sleep(50);
    await sleep(500);
    expect({ running: child.exitCode === null, planned: stderr.includes('becomes:') }).toEqual({ running: true, planned: true });
    child.kill(signal);
    const result = await exited;

    expect(result).toEqual({ code: exitCode, signal: null });
    expect(stderr).toContain('Interrupted.');
    const lockAfter = await fs.stat(lock);
    expect({ ino: lockAfter.ino, text: await fs.readFile(lock, 'utf8') }).toEqual({ ino: lockBefore.ino, text: 'held by another writer\n' });
    expect(await fs.readFile(home.kubeconfig)).toEqual(before);
    expect((await fs.readdir(path.dirname(home.kubeconfig))).sort()).toEqual(filesBefore);
  }, 30_000);
});
