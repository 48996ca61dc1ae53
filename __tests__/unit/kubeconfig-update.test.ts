/**
 * updateUserEntry (lock → re-read → update → write) and withAuthProviderTokens, the pair refresh,
 * logout and the wizard's renewal change tokens with.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { BACKUP_MARK } from '../../src/kubeconfig/backup.js';
import { findUser } from '../../src/kubeconfig/merge.js';
import type { NamedUser } from '../../src/kubeconfig/model.js';
import { parseKubeconfig } from '../../src/kubeconfig/model.js';
import { updateUserEntry } from '../../src/kubeconfig/update.js';
import { withAuthProviderTokens } from '../../src/usecases/entries.js';
import { tempDir } from '../helpers/kubeconfig-gen.js';

const ENTRY: NamedUser = {
  name: 'alice',
  'x-note': 'keep',
  user: {
    'auth-provider': {
      name: 'oidc',
      config: { 'client-id': 'k', 'client-secret': 'cs', 'id-token': 'old-id', 'refresh-token': 'old-rt', 'idp-issuer-url': 'https://i', 'extra-scopes': 'groups' },
    },
    'x-vendor': { a: 1 },
  },
};

describe('withAuthProviderTokens', () => {
  it('replaces both tokens in place, keeping every other key and the key order', () => {
    const next = withAuthProviderTokens(ENTRY, { idToken: 'new-id', refreshToken: 'new-rt' });
    expect(next).toEqual({ ...ENTRY, user: { ...ENTRY.user, 'auth-provider': { name: 'oidc', config: { ...ENTRY.user['auth-provider']?.config, 'id-token': 'new-id', 'refresh-token': 'new-rt' } } } });
    expect(Object.keys(next.user['auth-provider']?.config ?? {})).toEqual(Object.keys(ENTRY.user['auth-provider']?.config ?? {}));
    expect(ENTRY.user['auth-provider']?.config?.['id-token']).toBe('old-id'); // input untouched
  });

  it('drops the refresh token when none is given, and both tokens for undefined (logout)', () => {
    expect(withAuthProviderTokens(ENTRY, { idToken: 'new-id' }).user['auth-provider']?.config).not.toHaveProperty('refresh-token');
    const cleared = withAuthProviderTokens(ENTRY, undefined);
    expect(cleared.user['auth-provider']?.config).toEqual({ 'client-id': 'k', 'client-secret': 'cs', 'idp-issuer-url': 'https://i', 'extra-scopes': 'groups' });
    expect(cleared['x-note']).toBe('keep');
    expect(cleared.user['x-vendor']).toEqual({ a: 1 });
  });
});

describe('updateUserEntry', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await tempDir();
    file = path.join(dir, 'config');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const write = (users: NamedUser[], mode = 0o640): Promise<void> =>
    fs.writeFile(file, `apiVersion: v1\nkind: Config\npreferences: {colors: true}\nusers: ${JSON.stringify(users)}\ncontexts: []\nclusters: []\n`, { mode });
  const read = async () => parseKubeconfig(await fs.readFile(file, 'utf8'), file);

  it('hands the update the entry as the file holds it under the lock, and writes its result with a backup, keeping the mode', async () => {
    await write([ENTRY, { name: 'bob', user: { token: 'bob-token' } }]);
    await fs.chmod(file, 0o640);
    let seen: NamedUser | undefined;
    let lockHeld = false;
    const res = await updateUserEntry(file, 'alice', async (current) => {
      seen = current;
      lockHeld = existsSync(`${file}.lock`);
      return current && withAuthProviderTokens(current, { idToken: 'new-id', refreshToken: 'new-rt' });
    });
    expect(lockHeld).toBe(true);
    expect(seen).toEqual(ENTRY);
    expect(res).toMatchObject({ file, found: true, changes: [{ kind: 'user', name: 'alice', action: 'replaced' }] });
    expect(res.backup).toContain(BACKUP_MARK);
    const doc = await read();
    expect(findUser(doc, 'alice')?.user['auth-provider']?.config).toMatchObject({ 'id-token': 'new-id', 'refresh-token': 'new-rt', 'extra-scopes': 'groups' });
    expect(findUser(doc, 'bob')).toEqual({ name: 'bob', user: { token: 'bob-token' } });
    expect(doc.preferences).toEqual({ colors: true });
    expect((await fs.stat(file)).mode & 0o777).toBe(0o640);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('sees a change made after the caller first read the file (no stale copy is written back)', async () => {
    await write([ENTRY]);
    const readEarlier = findUser(await read(), 'alice');
    // Someone else rotates the tokens and adds a key in between.
    const changed = withAuthProviderTokens(ENTRY, { idToken: 'their-id', refreshToken: 'their-rt' });
    await write([{ ...changed, 'x-added': 'meanwhile' }]);
    const res = await updateUserEntry(file, 'alice', async (current) => current && withAuthProviderTokens(current, undefined));
    expect(readEarlier?.['x-added']).toBeUndefined();
    expect(res.found).toBe(true);
    const after = findUser(await read(), 'alice');
    expect(after?.['x-added']).toBe('meanwhile');
    expect(after?.user['auth-provider']?.config).not.toHaveProperty('id-token');
  });

  it('writes nothing when the update returns undefined or the same entry; reports a user the file does not define', async () => {
    await write([ENTRY]);
    const text = await fs.readFile(file, 'utf8');
    expect(await updateUserEntry(file, 'alice', async () => undefined)).toEqual({ file, found: true, changes: [] });
    expect(await updateUserEntry(file, 'alice', async (current) => current)).toMatchObject({ found: true, changes: [{ action: 'unchanged' }] });
    let seen: NamedUser | undefined = ENTRY;
    expect(await updateUserEntry(file, 'nobody', async (current) => (seen = current))).toEqual({ file, found: false, changes: [] });
    expect(seen).toBeUndefined();
    expect(await fs.readFile(file, 'utf8')).toBe(text);
    expect((await fs.readdir(dir)).filter((n) => n.includes(BACKUP_MARK))).toEqual([]);
  });

  it('an update that fails leaves the file as it was and releases the lock', async () => {
    await write([ENTRY]);
    const text = await fs.readFile(file, 'utf8');
    await expect(updateUserEntry(file, 'alice', async () => Promise.reject(new Error('refresh failed')))).rejects.toThrow('refresh failed');
    expect(await fs.readFile(file, 'utf8')).toBe(text);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('concurrent updates queue on the lock: each sees the previous one’s result', async () => {
    await write([{ name: 'counter', user: { token: '0' } }]);
    await Promise.all(
      Array.from({ length: 8 }, () =>
        updateUserEntry(file, 'counter', async (current) => {
          const n = Number(current?.user.token);
          await new Promise((r) => setTimeout(r, 5)); // a "network round trip" under the lock
          return { name: 'counter', user: { token: String(n + 1) } };
        }),
      ),
    );
    expect(findUser(await read(), 'counter')?.user.token).toBe('8');
  });
});
