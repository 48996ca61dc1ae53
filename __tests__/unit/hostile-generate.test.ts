/**
 * Issue 10, point 2: `generate` writes only inside --out-dir. A symbolic or hard link planted under a
 * teammate's file name is refused (the file it points at stays byte-identical), and an out-dir others
 * can write to (without the sticky bit) or that belongs to another user is refused before anything is
 * written. Offline exec mode: no
 * network, no secrets in the files.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { exitCodeFor } from '../../src/errors.js';
import { checkOutDir } from '../../src/kubeconfig/out-dir.js';
import { rejected } from '../helpers/errors.js';
import { runCli } from '../helpers/cli.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

let home: TempHome;
beforeEach(async () => {
  home = await makeTempHome('hostile-gen-');
});
afterEach(async () => {
  await home.cleanup();
});

const VICTIM = 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: ""\n';

async function generate(outDir: string): Promise<Awaited<ReturnType<typeof runCli>>> {
  const roster = await home.write('team.csv', 'alice\nbob\n');
  return runCli(['generate', '--roster', roster, '--out-dir', outDir, '--casdoor-url', 'https://door.example.com', '--client-id', 'cid', '--server', 'https://k8s.example:6443', '--offline'], { home: home.home });
}

describe('2. generate writes only inside --out-dir', () => {
  it('a symbolic link under a teammate\'s name is refused (exit 6); its target is byte-identical; the other teammate is written', async () => {
    const out = home.path('out');
    await fs.mkdir(out, { mode: 0o700 });
    const victim = await home.write('elsewhere/config', VICTIM, 0o600);
    await fs.symlink(victim, path.join(out, 'alice.kubeconfig'));
    const run = await generate(out);
    expect(run.code).toBe(6);
    expect(run.all).toContain(`refusing to write ${path.join(out, 'alice.kubeconfig')}: it is a symbolic link (to ${victim}); generate never writes through a link.`);
    expect(await fs.readFile(victim, 'utf8')).toBe(VICTIM);
    expect(await fs.readdir(path.dirname(victim))).toEqual(['config']);
    expect((await fs.lstat(path.join(out, 'alice.kubeconfig'))).isSymbolicLink()).toBe(true);
    expect((await fs.lstat(path.join(out, 'bob.kubeconfig'))).isFile()).toBe(true);
  });

  it('a hard link under a teammate\'s name is refused (exit 6); the linked file is byte-identical', async () => {
    const out = home.path('out');
    await fs.mkdir(out, { mode: 0o700 });
    const victim = await home.write('elsewhere/config', VICTIM, 0o600);
    await fs.link(victim, path.join(out, 'alice.kubeconfig'));
    const run = await generate(out);
    expect(run.code).toBe(6);
    expect(run.all).toContain('it has 1 other hard link(s), so the same file lives elsewhere too.');
    expect(await fs.readFile(victim, 'utf8')).toBe(VICTIM);
  });

  it.each([0o777, 0o770, 0o757])('an out-dir with mode %o (others can write, no sticky bit) is refused with exit 2 before anything is written', async (mode) => {
    const out = home.path('shared');
    await fs.mkdir(out);
    await fs.chmod(out, mode);
    const run = await generate(out);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`--out-dir: ${out} can be written by (everyone|its group) \\(mode 0${mode.toString(8)}\\) without the sticky bit`));
    expect(run.stderr).toContain(`chmod 700 '${out}'`);
    expect(await fs.readdir(out)).toEqual([]);
  });

  it('a sticky world-writable folder (like /tmp) and a private one are fine', async () => {
    for (const mode of [0o1777, 0o700]) {
      const out = home.path(`ok-${mode.toString(8)}`);
      await fs.mkdir(out);
      await fs.chmod(out, mode);
      const run = await generate(out);
      expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
      expect((await fs.readdir(out)).sort()).toEqual(['alice.kubeconfig', 'bob.kubeconfig']);
    }
  });

  it('an out-dir owned by another user (not root) is refused with exit 2', async () => {
    const out = home.path('theirs');
    await fs.mkdir(out, { mode: 0o700 });
    const me = process.getuid?.() ?? 1000;
    // As root, the folder is given to another uid; otherwise the check is told we are someone else.
    const other = 4242;
    let asUid = me + 1;
    let owner = me;
    if (me === 0) {
      await fs.chown(out, other, other);
      asUid = 0;
      owner = other;
    }
    const err = await rejected(checkOutDir(out, asUid));
    expect(exitCodeFor(err.code)).toBe(2);
    expect(err.message).toBe(`--out-dir: ${out} belongs to another user (uid ${owner}); the kubeconfigs would be theirs to change.`);
    expect(err.hint).toBe('Use a folder of your own.');
    if (me === 0) {
      // The folder really is someone else's: the command refuses it too, before writing anything.
      const run = await generate(out);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--out-dir: ${out} belongs to another user (uid ${other})`);
    }
    expect(await fs.readdir(out)).toEqual([]);
  });

  // Only root can make a root-owned folder for the test.
  (process.getuid?.() === 0 ? it : it.skip)('an out-dir owned by root is accepted for another user (sshd auth.c secure_filename), but not when others can write it', async () => {
    const out = home.path('roots');
    await fs.mkdir(out, { mode: 0o755 });
    await expect(checkOutDir(out, 1000)).resolves.toBeUndefined();
    await fs.chmod(out, 0o777);
    const err = await rejected(checkOutDir(out, 1000));
    expect(exitCodeFor(err.code)).toBe(2);
    expect(err.message).toContain('can be written by everyone (mode 0777) without the sticky bit');
  });
});
