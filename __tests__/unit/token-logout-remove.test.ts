/** logout --remove's store-level removal (src/kubeconfig/remove.ts): what goes, what stays, which file. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import yaml from 'js-yaml';
import { planRemoval, removeFromKubeconfig } from '../../src/kubeconfig/remove.js';
import type { KubeconfigDoc } from '../../src/kubeconfig/model.js';
import { makeTempHome, type TempHome } from '../helpers/tmp.js';

const doc = (over: Partial<KubeconfigDoc>): KubeconfigDoc => ({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [], ...over });
const cluster = (name: string) => ({ name, cluster: { server: `https://${name}.example:6443` } });
const user = (name: string) => ({ name, user: { token: `t-${name}` } });
const context = (name: string, c: string, u: string) => ({ name, context: { cluster: c, user: u } });

describe('planRemoval (pure)', () => {
  it('removes context, user and cluster when nothing else uses them, and clears current-context', () => {
    const d = doc({ clusters: [cluster('k')], users: [user('a')], contexts: [context('x', 'k', 'a')], 'current-context': 'x' });
    const { perFile, kept } = planRemoval(['/f'], [{ file: '/f', doc: d }], { context: 'x', user: 'a', cluster: 'k' });
    expect(kept).toEqual([]);
    expect(perFile.get('/f')).toEqual({ context: 'x', user: 'a', cluster: 'k', clearCurrent: true });
  });
  it('keeps a cluster (and a user) another context still uses, even in another file', () => {
    const f1 = doc({ clusters: [cluster('k')], users: [user('a'), user('b')], contexts: [context('x', 'k', 'a')] });
    const f2 = doc({ contexts: [context('y', 'k', 'b'), context('z', 'other', 'a')], 'current-context': 'y' });
    const { perFile, kept } = planRemoval(['/1', '/2'], [{ file: '/1', doc: f1 }, { file: '/2', doc: f2 }], { context: 'x', user: 'a', cluster: 'k' });
    expect(kept).toEqual([
      { kind: 'user', name: 'a', usedBy: ['z'] },
      { kind: 'cluster', name: 'k', usedBy: ['y'] },
    ]);
    expect(perFile.get('/1')).toEqual({ context: 'x', clearCurrent: false });
    expect(perFile.has('/2')).toBe(false);
  });
});

describe('removeFromKubeconfig', () => {
  let home: TempHome;
  beforeEach(async () => {
    home = await makeTempHome();
  });
  afterEach(async () => {
    await home.cleanup();
  });

  it('edits each file that defines an entry, keeps everything else and the mode, backs up, leaves no lock', async () => {
    const a = await home.write('a.yaml', yaml.dump(doc({ clusters: [cluster('k'), cluster('solo')], users: [user('u1')], contexts: [context('x', 'solo', 'u1'), context('keep', 'k', 'u1')], 'current-context': 'x', preferences: { colors: true } })), 0o640);
    const b = await home.write('b.yaml', yaml.dump(doc({ users: [user('u2')], contexts: [context('y', 'k', 'u2')], 'current-context': 'x' })));
    const env = { KUBECONFIG: `${a}:${b}` };
    const res = await removeFromKubeconfig({ env, homeDir: home.home, context: 'x', user: 'u1', cluster: 'solo' });
    expect(res.kept).toEqual([{ kind: 'user', name: 'u1', usedBy: ['keep'] }]);
    const da = yaml.load(await fs.readFile(a, 'utf8')) as KubeconfigDoc;
    const db = yaml.load(await fs.readFile(b, 'utf8')) as KubeconfigDoc;
    expect(da.contexts?.map((c) => c.name)).toEqual(['keep']);
    expect(da.clusters?.map((c) => c.name)).toEqual(['k']);
    expect(da.users?.map((u) => u.name)).toEqual(['u1']);
    expect(da['current-context']).toBe('');
    expect(da.preferences).toEqual({ colors: true });
    expect(db['current-context']).toBe('');
    expect(db.contexts?.map((c) => c.name)).toEqual(['y']);
    expect((await fs.stat(a)).mode & 0o777).toBe(0o640);
    expect(res.files.map((f) => f.file).sort()).toEqual([a, b].sort());
    expect(res.files.every((f) => f.backup)).toBe(true);
    const left = await fs.readdir(home.home);
    expect(left.filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('a context that is not there changes nothing', async () => {
    const a = await home.write('a.yaml', yaml.dump(doc({ contexts: [context('keep', 'k', 'u')] })));
    const before = await fs.readFile(a, 'utf8');
    const res = await removeFromKubeconfig({ kubeconfigFlag: a, env: {}, homeDir: home.home, context: 'nope' });
    expect(res.files).toEqual([]);
    expect(await fs.readFile(a, 'utf8')).toBe(before);
  });
});
