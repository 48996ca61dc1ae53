import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { CliError } from '../../src/errors.js';
import { BACKUP_MARK, MAX_BACKUPS } from '../../src/kubeconfig/backup.js';
import { fileError } from '../../src/kubeconfig/io.js';
import type { KubeconfigEntries } from '../../src/kubeconfig/merge.js';
import { findUser } from '../../src/kubeconfig/merge.js';
import { parseKubeconfig } from '../../src/kubeconfig/model.js';
import type { ApplyOptions } from '../../src/kubeconfig/store.js';
import { applyKubeconfigChange, writeStandalone } from '../../src/kubeconfig/store.js';
import { findKubectl, run, tempDir } from '../helpers/kubeconfig-gen.js';

const SECRETS = {
  clientSecret: 'cs-4f9a1c0e-very-secret',
  idToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz',
  refreshToken: 'rt-d2b7c3e1-refresh-secret',
};

function oidcEntries(tokens = SECRETS, name = 'casdoor'): KubeconfigEntries {
  return {
    cluster: { name: 'prod', cluster: { server: 'https://k8s.example:6443', 'certificate-authority-data': 'Q0E=' } },
    user: {
      name,
      user: {
        'auth-provider': {
          name: 'oidc',
          config: {
            'client-id': 'kubernetes',
            'idp-issuer-url': 'https://casdoor.example',
            'client-secret': tokens.clientSecret,
            'id-token': tokens.idToken,
            'refresh-token': tokens.refreshToken,
          },
        },
      },
    },
    context: { name: 'prod-casdoor', context: { cluster: 'prod', user: name, namespace: 'default' } },
    currentContext: 'prod-casdoor',
  };
}

/** Everything kubectl keeps and that we must keep too, plus keys only we keep. */
const EXISTING = `apiVersion: v1
kind: Config
preferences:
  colors: true
extensions:
- name: my-extension
  extension:
    some: value
x-unknown-top: {keep: me}
clusters:
- name: other
  cluster:
    server: https://other:6443
users:
- name: other-user
  user:
    token: other-token
contexts:
- name: other
  context: {cluster: other, user: other-user}
current-context: other
`;

describe('applyKubeconfigChange', () => {
  let dir: string;
  let file: string;
  const opts = (extra: Partial<ApplyOptions> = {}): ApplyOptions => ({
    kubeconfigFlag: file,
    env: {},
    homeDir: dir,
    entries: oidcEntries(),
    ...extra,
  });
  const backupsOf = async (f: string) =>
    (await fs.readdir(path.dirname(f))).filter((n) => n.startsWith(path.basename(f) + BACKUP_MARK)).sort();
  const expectError = async (promise: Promise<unknown>, pattern: RegExp): Promise<CliError> => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).code).toBe('kubeconfig');
    expect((err as CliError).message).toMatch(pattern);
    return err as CliError;
  };

  beforeEach(async () => {
    dir = await tempDir();
    file = path.join(dir, 'config');
  });
  afterEach(async () => {
    await fs.chmod(dir, 0o700).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('merges into an existing file, keeping everything else', async () => {
    await fs.writeFile(file, EXISTING, { mode: 0o600 });
    const result = await applyKubeconfigChange(opts());
    const [r] = result.files;
    expect(r?.changes.map((c) => `${c.kind}:${c.action}`)).toEqual([
      'cluster:added',
      'user:added',
      'context:added',
      'current-context:replaced',
    ]);
    const doc = parseKubeconfig(await fs.readFile(file, 'utf8'), file);
    expect(doc.preferences).toEqual({ colors: true });
    expect(doc.extensions).toEqual([{ name: 'my-extension', extension: { some: 'value' } }]);
    expect(doc['x-unknown-top']).toEqual({ keep: 'me' });
    expect(doc.users?.map((u) => u.name)).toEqual(['other-user', 'casdoor']);
    expect(findUser(doc, 'other-user')).toEqual({ name: 'other-user', user: { token: 'other-token' } });
    expect(doc['current-context']).toBe('prod-casdoor');
    expect(r?.created).toBe(false);
    expect(r?.backup && (await fs.readFile(r.backup, 'utf8'))).toBe(EXISTING);
  });

  it('a second identical run changes nothing: no write, no backup, same mtime and inode', async () => {
    await fs.writeFile(file, EXISTING, { mode: 0o600 });
    await applyKubeconfigChange(opts());
    const before = await fs.stat(file);
    const backups = await backupsOf(file);
    await new Promise((r) => setTimeout(r, 20));
    const result = await applyKubeconfigChange(opts());
    expect(result.files[0]?.changes.every((c) => c.action === 'unchanged')).toBe(true);
    expect(result.files[0]?.diff).toBe('');
    expect(result.files[0]?.backup).toBeUndefined();
    const after = await fs.stat(file);
    expect([after.mtimeMs, after.ino]).toEqual([before.mtimeMs, before.ino]);
    expect(await backupsOf(file)).toEqual(backups);
  });

  it('keeps the mode of an existing file (0640 stays 0640); its backup is at most 0600', async () => {
    await fs.writeFile(file, EXISTING);
    await fs.chmod(file, 0o640);
    const { files } = await applyKubeconfigChange(opts());
    expect((await fs.stat(file)).mode & 0o777).toBe(0o640);
    expect((await fs.stat(files[0]?.backup as string)).mode & 0o777).toBe(0o600);
  });

  it('a backup of a 0400 file is 0400, never more open than the original', async () => {
    await fs.writeFile(file, EXISTING);
    await fs.chmod(file, 0o400);
    const { files } = await applyKubeconfigChange(opts());
    expect((await fs.stat(files[0]?.backup as string)).mode & 0o777).toBe(0o400);
  });

  it('creates a new file 0600 and its folder 0755, with no backup', async () => {
    file = path.join(dir, 'new', 'folder', 'config');
    const { files } = await applyKubeconfigChange(opts());
    expect(files[0]?.created).toBe(true);
    expect(files[0]?.backup).toBeUndefined();
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(file))).mode & 0o777).toBe(0o755);
    const doc = parseKubeconfig(await fs.readFile(file, 'utf8'), file);
    expect(doc).toMatchObject({ apiVersion: 'v1', kind: 'Config', preferences: {}, 'current-context': 'prod-casdoor' });
  });

  it('keeps at most 5 backups, deleting only its own oldest ones', async () => {
    await fs.writeFile(file, EXISTING, { mode: 0o600 });
    const foreign = [`config${BACKUP_MARK}keep-me.txt`, `other${BACKUP_MARK}20000101T000000.000Z`, 'config.bak'];
    for (const name of foreign) await fs.writeFile(path.join(dir, name), 'x');
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const made: string[] = [];
    for (let i = 0; i < 8; i++) {
      const { files } = await applyKubeconfigChange(
        opts({ entries: { user: { name: 'u', user: { token: `t${i}` } } }, now: () => new Date((clock += 1000)) }),
      );
      made.push(path.basename(files[0]?.backup as string));
    }
    const ours = (await backupsOf(file)).filter((n) => /\d{8}T\d{6}\.\d{3}Z/.test(n));
    expect(ours).toHaveLength(MAX_BACKUPS);
    expect(ours).toEqual(made.slice(-MAX_BACKUPS));
    for (const name of foreign) expect(existsSync(path.join(dir, name))).toBe(true);
    // The newest backup holds the file as it was just before the last change.
    const newest = parseKubeconfig(await fs.readFile(path.join(dir, made[7] as string), 'utf8'), 'b');
    expect(findUser(newest, 'u')?.user.token).toBe('t6');
  });

  it.each([
    ['malformed YAML', 'users: [\n  - name: a\n', /is not valid YAML/],
    ['another kind', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n', /kind is "Pod"/],
    ['another apiVersion', 'apiVersion: v2\nkind: Config\n', /apiVersion is "v2"/],
    ['a bad entry', 'users:\n- name: a\n  user: [1]\n', /users\[0\]\.user must be a mapping/],
    ['not YAML at all', '\u0000\u0001binary', /not valid YAML/],
  ])('refuses %s and leaves the file byte-for-byte untouched', async (_label, text, pattern) => {
    await fs.writeFile(file, text, { mode: 0o644 });
    const before = await fs.stat(file);
    const err = await expectError(applyKubeconfigChange(opts()), pattern);
    expect(err.message).toContain(file);
    expect(await fs.readFile(file, 'utf8')).toBe(text);
    expect((await fs.stat(file)).mtimeMs).toBe(before.mtimeMs);
    expect(await fs.readdir(dir)).toEqual(['config']); // no lock, no backup, no temp file
  });

  it('refuses a directory in place of the file', async () => {
    await fs.mkdir(file);
    await expectError(applyKubeconfigChange(opts()), /cannot read .*config: it is a directory/);
    expect((await fs.stat(file)).isDirectory()).toBe(true);
    expect(await fs.readdir(dir)).toEqual(['config']);
  });

  it('refuses a path under a regular file (ENOTDIR)', async () => {
    await fs.writeFile(path.join(dir, 'plain'), 'x');
    file = path.join(dir, 'plain', 'config');
    await expectError(applyKubeconfigChange(opts()), /plain/);
    expect(await fs.readFile(path.join(dir, 'plain'), 'utf8')).toBe('x');
  });

  const isRoot = process.getuid?.() === 0;
  if (isRoot) console.warn('SKIPPED (loudly): running as root, permissions are not enforced, so a real EACCES cannot be provoked; the mapping is unit-tested below.');
  (isRoot ? it.skip : it)('reports an unwritable folder clearly (EACCES)', async () => {
    await fs.writeFile(file, EXISTING, { mode: 0o600 });
    await fs.chmod(dir, 0o500);
    await expectError(applyKubeconfigChange(opts()), /permission denied/);
    await fs.chmod(dir, 0o700);
    expect(await fs.readFile(file, 'utf8')).toBe(EXISTING);
  });

  it.each([
    ['EACCES', 'permission denied'],
    ['EROFS', 'the file system is read-only'],
    ['ENOSPC', 'no space left on the device'],
  ])('turns %s into a plain message (the mapping used when root cannot provoke it)', (code, reason) => {
    const err = fileError(Object.assign(new Error(`${code}: raw`), { code }), 'write', '/k/config');
    expect(err).toMatchObject({ code: 'kubeconfig', message: `cannot write /k/config: ${reason}` });
  });

  it('with several files, a malformed one stops the change before any file is written', async () => {
    const good = path.join(dir, 'good');
    const bad = path.join(dir, 'bad');
    await fs.writeFile(good, 'users: []\n');
    await fs.writeFile(bad, 'users:\n- name: casdoor\n  user: {}\n');
    // Planning reads `bad` while it is still fine; then we hold its lock, break it, and let go, so
    // only the re-read under the lock sees the problem.
    await fs.writeFile(`${bad}.lock`, '');
    const env = { KUBECONFIG: [good, bad].join(path.delimiter) };
    const change = applyKubeconfigChange({ env, homeDir: dir, entries: oidcEntries(), lockWaitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    await fs.writeFile(bad, 'users: [\n');
    await fs.unlink(`${bad}.lock`);
    await expectError(change, /bad is not valid YAML/);
    expect(await fs.readFile(good, 'utf8')).toBe('users: []\n');
    expect((await fs.readdir(dir)).sort()).toEqual(['bad', 'good']); // both locks released, no backup
  });

  it('follows a symlinked kubeconfig: the target is updated, the link stays a link', async () => {
    const target = path.join(dir, 'real-config');
    await fs.writeFile(target, EXISTING, { mode: 0o600 });
    await fs.symlink(target, file);
    await applyKubeconfigChange(opts());
    expect((await fs.lstat(file)).isSymbolicLink()).toBe(true);
    expect(findUser(parseKubeconfig(await fs.readFile(target, 'utf8'), target), 'casdoor')).toBeDefined();
  });

  describe('dry run', () => {
    it('writes nothing and takes no lock, but returns the diff', async () => {
      await fs.writeFile(file, EXISTING, { mode: 0o600 });
      await fs.writeFile(`${file}.lock`, ''); // a held lock does not block a dry run
      const { files } = await applyKubeconfigChange(opts({ dryRun: true }));
      expect(await fs.readFile(file, 'utf8')).toBe(EXISTING);
      expect((await fs.readdir(dir)).sort()).toEqual(['config', 'config.lock']);
      expect(files[0]?.diff).toContain('+- name: casdoor');
      expect(files[0]?.diff).toContain('-current-context: other');
      expect(files[0]?.diff).toContain('+current-context: prod-casdoor');
      expect(files[0]?.backup).toBeUndefined();
    });

    it('does not create a missing file or its folder', async () => {
      file = path.join(dir, 'missing', 'config');
      const { files } = await applyKubeconfigChange(opts({ dryRun: true }));
      expect(files[0]?.created).toBe(true);
      expect(existsSync(path.dirname(file))).toBe(false);
    });
  });

  it('never shows secret values in a diff, before or after', async () => {
    await applyKubeconfigChange(opts());
    const rotated = { clientSecret: 'cs-new-0000-secret', idToken: 'eyJhbGciOiJSUzI1NiJ9.eyJuZXcifQ.bmV3LXNpZ25hdHVyZQ', refreshToken: 'rt-new-1111-refresh' };
    const dry = await applyKubeconfigChange(opts({ entries: oidcEntries(rotated), dryRun: true }));
    const real = await applyKubeconfigChange(opts({ entries: oidcEntries(rotated) }));
    for (const diff of [dry.files[0]?.diff ?? '', real.files[0]?.diff ?? '']) {
      expect(diff).toContain('@@ user "casdoor": replaced @@');
      for (const secret of [...Object.values(SECRETS), ...Object.values(rotated)]) expect(diff).not.toContain(secret);
      expect(diff).toContain('<redacted>');
    }
  });

  describe('kubectl reads what we wrote', () => {
    let kubectl: string | undefined;
    beforeAll(async () => {
      kubectl = await findKubectl();
      if (!kubectl) console.warn('\n\n*** kubectl NOT FOUND on PATH: SKIPPING "kubectl reads what we wrote" ***\n\n');
    });

    it('kubectl config view sees our user, cluster, context, preferences and extensions', async () => {
      await fs.writeFile(file, EXISTING, { mode: 0o600 });
      await applyKubeconfigChange(opts());
      if (!kubectl) {
        console.warn('SKIPPED assertion: kubectl config view (kubectl not found)');
        return;
      }
      const { stdout } = await run(kubectl, ['config', 'view', '--kubeconfig', file, '--raw', '-o', 'json'], {
        env: { PATH: process.env.PATH ?? '', HOME: dir },
      });
      const seen = JSON.parse(stdout) as Record<string, unknown> & {
        users: Array<{ name: string; user: Record<string, unknown> }>;
        'current-context': string;
      };
      expect(seen['current-context']).toBe('prod-casdoor');
      expect(seen.users.find((u) => u.name === 'casdoor')?.user).toEqual(oidcEntries().user?.user);
      expect(seen.users.find((u) => u.name === 'other-user')?.user).toEqual({ token: 'other-token' });
      expect(seen.preferences).toEqual({ colors: true });
      expect(seen.extensions).toEqual([{ name: 'my-extension', extension: { some: 'value' } }]);
      const { stdout: ctx } = await run(kubectl, ['config', 'current-context', '--kubeconfig', file]);
      expect(ctx.trim()).toBe('prod-casdoor');
    });

    it('every installed kubectl version (1.27 … 1.33) reads it the same way', async () => {
      const sdk = '/usr/lib/google-cloud-sdk/bin';
      const versions = existsSync(sdk) ? (await fs.readdir(sdk)).filter((n) => /^kubectl\.1\.\d+$/.test(n)) : [];
      if (versions.length === 0) {
        console.warn(`SKIPPED: no versioned kubectl binaries in ${sdk}`);
        return;
      }
      await fs.writeFile(file, EXISTING, { mode: 0o600 });
      await applyKubeconfigChange(opts());
      for (const binary of versions) {
        const { stdout } = await run(path.join(sdk, binary), ['config', 'view', '--kubeconfig', file, '--raw', '-o', 'json']);
        const seen = JSON.parse(stdout) as { users: Array<{ name: string; user: unknown }>; 'current-context': string };
        expect([binary, seen['current-context']]).toEqual([binary, 'prod-casdoor']);
        expect([binary, seen.users.find((u) => u.name === 'casdoor')?.user]).toEqual([binary, oidcEntries().user?.user]);
      }
    });
  });
});

describe('writeStandalone', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("'-' returns a kubeconfig holding only the given entries, writing nothing", async () => {
    const result = await writeStandalone('-', oidcEntries());
    expect(result).toMatchObject({ file: '-', written: false });
    const doc = parseKubeconfig(result.text, '-');
    expect(doc.users?.map((u) => u.name)).toEqual(['casdoor']);
    expect(doc.clusters?.map((c) => c.name)).toEqual(['prod']);
    expect(doc['current-context']).toBe('prod-casdoor');
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('creates a new file 0600', async () => {
    const out = path.join(dir, 'out', 'kubeconfig');
    const result = await writeStandalone(out, oidcEntries());
    expect(result).toMatchObject({ written: true, created: true });
    expect((await fs.stat(out)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(out, 'utf8')).toBe(result.text);
  });

  it('replaces an existing kubeconfig (with a backup), never merging into it', async () => {
    const out = path.join(dir, 'kubeconfig');
    await fs.writeFile(out, EXISTING, { mode: 0o600 });
    const result = await writeStandalone(out, oidcEntries());
    expect(findUser(parseKubeconfig(await fs.readFile(out, 'utf8'), out), 'other-user')).toBeUndefined();
    expect(await fs.readFile(result.backup as string, 'utf8')).toBe(EXISTING);
    expect((await writeStandalone(out, oidcEntries())).written).toBe(false); // same content: left alone
  });

  it('replaces a world-readable kubeconfig with a 0600 one (the tokens are never readable with the old mode)', async () => {
    const out = path.join(dir, 'teammate.kubeconfig');
    await fs.writeFile(out, EXISTING, { mode: 0o644 });
    await fs.chmod(out, 0o644);
    const result = await writeStandalone(out, oidcEntries());
    expect(result).toMatchObject({ written: true, created: false });
    expect((await fs.stat(out)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(result.backup as string)).mode & 0o777).toBe(0o600);
  });

  it('rewrites a file that already holds exactly this content when its mode is looser than 0600 (no backup)', async () => {
    const out = path.join(dir, 'teammate.kubeconfig');
    const text = (await writeStandalone('-', oidcEntries())).text;
    await fs.writeFile(out, text, { mode: 0o644 });
    await fs.chmod(out, 0o644);
    const result = await writeStandalone(out, oidcEntries());
    expect(result.written).toBe(true);
    expect(result.backup).toBeUndefined();
    expect((await fs.stat(out)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(out, 'utf8')).toBe(text);
    expect((await fs.readdir(dir)).filter((n) => n.includes(BACKUP_MARK))).toEqual([]);
    expect((await writeStandalone(out, oidcEntries())).written).toBe(false);
  });

  it.each([
    ['a text file', 'Dear diary,\ntoday I wrote a kubeconfig.\n'],
    ['a Kubernetes manifest', 'apiVersion: apps/v1\nkind: Deployment\n'],
  ])('refuses to overwrite %s', async (_label, text) => {
    const out = path.join(dir, 'precious');
    await fs.writeFile(out, text);
    await expect(writeStandalone(out, oidcEntries())).rejects.toMatchObject({
      code: 'kubeconfig',
      message: expect.stringMatching(/^refusing to overwrite .*precious/),
    });
    expect(await fs.readFile(out, 'utf8')).toBe(text);
    expect(await fs.readdir(dir)).toEqual(['precious']);
  });
});
