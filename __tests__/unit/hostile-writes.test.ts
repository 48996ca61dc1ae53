/**
 * Issue 10, points 5 and 9: what a write leaves behind. A token update (refresh, logout, renewal) that
 * cannot write fails before Casdoor is asked (a refresh rotates the refresh token at once), backups are
 * never empty and do not crowd out real ones, and a kubeconfig others can read gets the exact chmod.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { exitCodeFor } from '../../src/errors.js';
import { BACKUP_MARK, MAX_BACKUPS, backupStamp, pruneBackups } from '../../src/kubeconfig/backup.js';
import { looseModeWarning } from '../../src/kubeconfig/mode.js';
import type { NamedUser } from '../../src/kubeconfig/model.js';
import { applyKubeconfigChange } from '../../src/kubeconfig/store.js';
import { updateUserEntry } from '../../src/kubeconfig/update.js';
import { rejected } from '../helpers/errors.js';
import { tempDir } from '../helpers/kubeconfig-gen.js';

const OLD_REFRESH = 'rt-old-refresh-token-1111';
const NEW_REFRESH = 'rt-new-refresh-token-2222';
const KUBECONFIG = `apiVersion: v1
kind: Config
users:
- name: alice
  user:
    auth-provider:
      name: oidc
      config: {client-id: app, idp-issuer-url: 'https://door.example', id-token: old.id.token, refresh-token: ${OLD_REFRESH}}
contexts: []
clusters: []
current-context: ''
`;

let dir: string;
beforeEach(async () => {
  dir = await tempDir('hostile-writes-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const withNewTokens = (u: NamedUser | undefined): NamedUser | undefined =>
  u && { ...u, user: { ...u.user, 'auth-provider': { name: 'oidc', config: { ...u.user['auth-provider']!.config, 'refresh-token': NEW_REFRESH } } } };

describe('9. no lost session', () => {
  it('when the backup cannot be written, Casdoor is never asked (the refresh token is not spent) and the file is byte-identical', async () => {
    // A name that fits, whose backup name does not (NAME_MAX 255): a failure even root cannot write past.
    const file = path.join(dir, `${'k'.repeat(230)}.yaml`);
    await fs.writeFile(file, KUBECONFIG, { mode: 0o600 });
    let asked = 0;
    const err = await rejected(updateUserEntry(file, 'alice', async (u) => {
      asked++;
      return withNewTokens(u);
    }));
    expect(exitCodeFor(err.code)).toBe(6);
    expect(err.message).toMatch(/^cannot write the backup .*: the name is too long$/);
    expect(asked).toBe(0);
    expect(await fs.readFile(file, 'utf8')).toBe(KUBECONFIG);
    expect(await fs.readdir(dir)).toEqual([path.basename(file)]);
  });

  it('the backup exists before the update runs, and holds exactly the bytes the update started from', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, KUBECONFIG, { mode: 0o600 });
    let seen: string[] = [];
    const res = await updateUserEntry(file, 'alice', async (u) => {
      seen = (await fs.readdir(dir)).filter((n) => n.includes(BACKUP_MARK));
      return withNewTokens(u);
    });
    expect(seen).toHaveLength(1);
    expect(res.backup).toBe(path.join(dir, seen[0]!));
    expect(await fs.readFile(res.backup!, 'utf8')).toBe(KUBECONFIG);
    expect((await fs.stat(res.backup!)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(file, 'utf8')).toContain(NEW_REFRESH);
  });

  it('a failed or empty update leaves no backup behind', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, KUBECONFIG, { mode: 0o600 });
    await expect(updateUserEntry(file, 'alice', async () => {
      throw new Error('network down');
    })).rejects.toThrow('network down');
    expect(await updateUserEntry(file, 'alice', async () => undefined)).toMatchObject({ changes: [] });
    expect(await fs.readdir(dir)).toEqual(['config']);
    expect(await fs.readFile(file, 'utf8')).toBe(KUBECONFIG);
  });

  it('an empty file gets no (empty) backup; empty backups never count against the kept five', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, '', { mode: 0o600 });
    const res = await applyKubeconfigChange({ kubeconfigFlag: file, env: {}, homeDir: dir, entries: { cluster: { name: 'c', cluster: { server: 'https://c.example' } } } });
    expect(res.files[0]!.backup).toBeUndefined();
    expect(await fs.readdir(dir)).toEqual(['config']);

    const name = (i: number): string => `${file}${BACKUP_MARK}${backupStamp(new Date(Date.UTC(2025, 0, 1, 0, 0, i)))}`;
    for (let i = 0; i < MAX_BACKUPS; i++) await fs.writeFile(name(i), `backup ${i}`);
    for (let i = 10; i < 13; i++) await fs.writeFile(name(i), ''); // newer, but empty
    const deleted = await pruneBackups(file);
    expect(deleted.sort()).toEqual([name(10), name(11), name(12)].sort());
    for (let i = 0; i < MAX_BACKUPS; i++) expect(await fs.readFile(name(i), 'utf8')).toBe(`backup ${i}`);
  });
});

describe('5. files others can read', () => {
  it('a 0644 kubeconfig keeps its mode (as kubectl), reports it, and the warning names the exact chmod; the backup is 0600', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, KUBECONFIG);
    await fs.chmod(file, 0o644);
    const res = await applyKubeconfigChange({ kubeconfigFlag: file, env: {}, homeDir: dir, entries: { cluster: { name: 'c', cluster: { server: 'https://c.example' } } } });
    const f = res.files[0]!;
    expect(f.looseMode).toBe(0o644);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o644);
    expect((await fs.stat(f.backup!)).mode & 0o777).toBe(0o600);
    expect(looseModeWarning(file, 0o644)).toBe(`${file} holds tokens and is readable by its group and every user of this machine (mode 0644); kubectl keeps that mode, and so did casdoor-kubeconfig. Make it private: chmod 600 '${file}'`);
    expect(looseModeWarning(file, 0o640)).toContain('readable by its group (mode 0640)');
    // The write merged into a file holding a refresh token: what it reports (diff, changes) never quotes it.
    expect(JSON.stringify(res)).not.toContain(OLD_REFRESH);
  });

  it('no warning for a private file, or for one without secrets', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, KUBECONFIG, { mode: 0o600 });
    const entries = { cluster: { name: 'c', cluster: { server: 'https://c.example' } } };
    expect((await applyKubeconfigChange({ kubeconfigFlag: file, env: {}, homeDir: dir, entries })).files[0]!.looseMode).toBeUndefined();
    const open = path.join(dir, 'open');
    await fs.writeFile(open, 'apiVersion: v1\nkind: Config\n');
    await fs.chmod(open, 0o644);
    expect((await applyKubeconfigChange({ kubeconfigFlag: open, env: {}, homeDir: dir, entries })).files[0]!.looseMode).toBeUndefined();
  });
});
