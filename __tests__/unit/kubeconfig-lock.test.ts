import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { CliError } from '../../src/errors.js';
import { BACKUP_MARK, MAX_BACKUPS } from '../../src/kubeconfig/backup.js';
import { acquireLock, withLocks } from '../../src/kubeconfig/lock.js';
import { findUser } from '../../src/kubeconfig/merge.js';
import { parseKubeconfig } from '../../src/kubeconfig/model.js';
import { applyKubeconfigChange } from '../../src/kubeconfig/store.js';
import { run, tempDir } from '../helpers/kubeconfig-gen.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WRITERS = 20;
const userEntry = (i: number) => ({ user: { name: `writer-${i}`, user: { token: `token-${i}` } } });

describe('the <file>.lock convention', () => {
  let dir: string;
  let file: string;
  let lock: string;
  beforeEach(async () => {
    dir = await tempDir();
    file = path.join(dir, 'config');
    lock = `${file}.lock`;
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a lock held by someone else: waits, then fails naming the lock, which is left in place', async () => {
    await fs.writeFile(file, 'users: []\n', { mode: 0o600 });
    await fs.writeFile(lock, '');
    const started = Date.now();
    const err = await applyKubeconfigChange({ kubeconfigFlag: file, env: {}, homeDir: dir, entries: userEntry(1), lockWaitMs: 400 }).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({ code: 'kubeconfig', message: expect.stringContaining(lock) });
    expect((err as CliError).hint).toMatch(/If none is running.*delete .*config\.lock/);
    expect(existsSync(lock)).toBe(true);
    expect(await fs.readFile(file, 'utf8')).toBe('users: []\n');
    expect((await fs.readdir(dir)).sort()).toEqual(['config', 'config.lock']);
  });

  it('a lock released during the wait: the change goes through', async () => {
    await fs.writeFile(lock, '');
    setTimeout(() => void fs.unlink(lock), 250);
    const { files } = await applyKubeconfigChange({ kubeconfigFlag: file, env: {}, homeDir: dir, entries: userEntry(1), lockWaitMs: 5000 });
    expect(files[0]?.changes[0]?.action).toBe('added');
    expect(existsSync(lock)).toBe(false);
  });

  it('is released when the work inside fails', async () => {
    await expect(withLocks([file], 100, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lock)).toBe(false);
  });

  it('never deletes a lock it did not create (someone replaced ours)', async () => {
    const held = await acquireLock(file, 0);
    await fs.unlink(lock); // e.g. a user deleted it as "stale" ...
    await fs.writeFile(lock, 'theirs'); // ... and another writer took it
    await held.release();
    expect(await fs.readFile(lock, 'utf8')).toBe('theirs');
  });

  it('fails at once with waitMs 0, like kubectl', async () => {
    await fs.writeFile(lock, '');
    await expect(acquireLock(file, 0)).rejects.toMatchObject({ code: 'kubeconfig' });
  });
});

/** After many writers: valid YAML holding every writer's user, no lock, no temp file, bounded backups. */
async function expectAllWriters(dir: string, file: string): Promise<void> {
  const doc = parseKubeconfig(await fs.readFile(file, 'utf8'), file);
  for (let i = 0; i < WRITERS; i++) expect(findUser(doc, `writer-${i}`)?.user.token).toBe(`token-${i}`);
  expect(doc.users).toHaveLength(WRITERS + 1);
  const names = await fs.readdir(dir);
  const backups = names.filter((n) => n.startsWith(`config${BACKUP_MARK}`));
  expect(backups.length).toBeGreaterThan(0);
  expect(backups.length).toBeLessThanOrEqual(MAX_BACKUPS);
  expect(names.filter((n) => n !== 'config' && !backups.includes(n))).toEqual([]); // no .lock, no temp files
}

describe(`${WRITERS} concurrent writers on one file`, () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await tempDir();
    file = path.join(dir, 'config');
    await fs.writeFile(file, 'users:\n- name: already-there\n  user: {}\n', { mode: 0o600 });
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('in one process, each call taking the real lock file', async () => {
    await Promise.all(
      Array.from({ length: WRITERS }, (_, i) =>
        applyKubeconfigChange({ kubeconfigFlag: file, env: {}, homeDir: dir, entries: userEntry(i), lockWaitMs: 30_000 }),
      ),
    );
    await expectAllWriters(dir, file);
  });

  describe('as separate node processes', () => {
    // The child processes cannot load TypeScript, so the kubeconfig modules are transpiled (no type
    // check: tsc covers that) into a temp folder whose node_modules links to the project's.
    let build: string;
    beforeAll(async () => {
      build = await tempDir('kubeconfig-build-');
      const sources = ['src/cleanup.ts', 'src/errors.ts', 'src/redact.ts', ...(await fs.readdir(path.join(ROOT, 'src/kubeconfig'))).map((f) => `src/kubeconfig/${f}`)];
      for (const source of sources.filter((s) => s.endsWith('.ts'))) {
        const { outputText } = ts.transpileModule(await fs.readFile(path.join(ROOT, source), 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
          fileName: source,
        });
        const dest = path.join(build, source.replace(/\.ts$/, '.js'));
        await fs.mkdir(path.dirname(dest), { recursive: true });
        await fs.writeFile(dest, outputText);
      }
      await fs.writeFile(path.join(build, 'package.json'), '{"type":"module"}');
      await fs.symlink(path.join(ROOT, 'node_modules'), path.join(build, 'node_modules'));
      await fs.writeFile(
        path.join(build, 'worker.mjs'),
        `import { applyKubeconfigChange } from ${JSON.stringify(pathToFileURL(path.join(build, 'src/kubeconfig/store.js')).href)};
const [file, index, startAt] = process.argv.slice(2);
// Everyone starts at the same moment, after the slow part (node start-up and imports).
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const i = Number(index);
await applyKubeconfigChange({ kubeconfigFlag: file, env: {}, homeDir: process.cwd(), lockWaitMs: 30000,
  entries: { user: { name: 'writer-' + i, user: { token: 'token-' + i } } } });
`,
      );
    });
    afterAll(async () => {
      await fs.rm(build, { recursive: true, force: true });
    });

    it('a process that exits while holding the lock (process.exit) does not leave it behind', async () => {
      const script = path.join(build, 'exit-holding.mjs');
      await fs.writeFile(
        script,
        `import { acquireLock } from ${JSON.stringify(pathToFileURL(path.join(build, 'src/kubeconfig/lock.js')).href)};
await acquireLock(process.argv[2], 0);
process.exit(3);
`,
      );
      const exit = await run(process.execPath, [script, file]).then(
        () => 0,
        (e: { code?: number }) => e.code,
      );
      expect(exit).toBe(3);
      expect(existsSync(`${file}.lock`)).toBe(false);
    });

    it('all queue up on the lock and every change lands', async () => {
      const startAt = Date.now() + 2000;
      await Promise.all(
        Array.from({ length: WRITERS }, (_, i) =>
          run(process.execPath, [path.join(build, 'worker.mjs'), file, String(i), String(startAt)], { env: { PATH: process.env.PATH ?? '' } }),
        ),
      );
      await expectAllWriters(dir, file);
    });
  });
});
