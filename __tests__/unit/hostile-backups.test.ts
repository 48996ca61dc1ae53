/**
 * Issue 10, point 10 (unit): scrubBackups rewrites only backups that hold the user's tokens, keeps a
 * renamed copy's tokens from surviving, never writes through a symlink with a backup's name, and leaves
 * other files alone.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BACKUP_MARK } from '../../src/kubeconfig/backup.js';
import { scrubBackups } from '../../src/kubeconfig/scrub-backups.js';
import { tempDir } from '../helpers/kubeconfig-gen.js';

const RT = 'rt-logged-out-refresh-token-7777';
const doc = (user: string, extra = ''): string => `apiVersion: v1
kind: Config
users:
- name: ${user}
  user:
    auth-provider:
      name: oidc
      config: {client-id: app, idp-issuer-url: 'https://door.example', id-token: a.b.c, refresh-token: ${RT}${extra}}
contexts: []
clusters: []
`;

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await tempDir('scrub-');
  file = path.join(dir, 'config');
  await fs.writeFile(file, doc('alice'));
});
afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

describe('scrubBackups', () => {
  it('rewrites the backups holding the tokens (also under another user name), 0600; leaves the rest byte-identical', async () => {
    const mine = `${file}${BACKUP_MARK}20250101T000000.000Z`;
    const renamed = `${file}${BACKUP_MARK}20250101T000001.000Z`;
    const clean = `${file}${BACKUP_MARK}20250101T000002.000Z`;
    const lookalike = `${file}${BACKUP_MARK}latest`;
    await fs.writeFile(mine, doc('alice', ', extra-scopes: groups'), { mode: 0o644 });
    await fs.writeFile(renamed, doc('alice-old'), { mode: 0o600 });
    await fs.writeFile(clean, 'apiVersion: v1\nkind: Config\nusers: []\n', { mode: 0o600 });
    await fs.writeFile(lookalike, doc('alice'), { mode: 0o600 });
    const r = await scrubBackups(file, 'alice', [RT]);
    expect(r.scrubbed).toEqual([mine, renamed]);
    expect(r.failed).toEqual([]);
    for (const f of [mine, renamed]) {
      const text = await fs.readFile(f, 'utf8');
      expect(text).not.toContain(RT);
      expect(text).not.toContain('a.b.c');
      expect(text).toContain('client-id: app');
      expect((await fs.stat(f)).mode & 0o777).toBe(0o600);
    }
    expect(await fs.readFile(mine, 'utf8')).toContain('extra-scopes: groups');
    expect(await fs.readFile(clean, 'utf8')).toBe('apiVersion: v1\nkind: Config\nusers: []\n');
    // Not one of our names: never touched.
    expect(await fs.readFile(lookalike, 'utf8')).toContain(RT);
  });

  it('a symlink with a backup name is reported, not followed; its target is unchanged', async () => {
    const outside = path.join(dir, 'elsewhere.yaml');
    await fs.writeFile(outside, doc('alice'));
    const link = `${file}${BACKUP_MARK}20250101T000000.000Z`;
    await fs.symlink(outside, link);
    const r = await scrubBackups(file, 'alice', [RT]);
    expect(r.scrubbed).toEqual([]);
    expect(r.failed).toEqual([{ file: link, why: 'it is a symbolic link, not a backup written by casdoor-kubeconfig' }]);
    expect(await fs.readFile(outside, 'utf8')).toBe(doc('alice'));
  });
});
