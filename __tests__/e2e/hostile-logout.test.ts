/**
 * Issue 10, point 10: logout forgets everywhere. Against the Casdoor-like provider over HTTPS on
 * 127.0.0.1: our backups of the kubeconfig (`<file>.casdoor-kubeconfig-backup-<stamp>`) that still hold
 * the logged-out tokens are rewritten without them (0600), one that cannot be is listed with what to do,
 * and `--remove` of a context whose user another context shares says so and signs that one out too.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { pendingFileOf } from '../../src/token/pending.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { aliceContext, readDoc, runSetup, tokensOf, useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const PASSWORD = 'correct-horse';

let env: DemoEnvironment;
let home: TempHome;
useDemoEnvironment({}, (e, h) => {
  env = e;
  home = h;
});

const backups = async (): Promise<string[]> => (await fs.readdir(home.kubeDir)).filter((f) => f.startsWith('config.casdoor-kubeconfig-backup-')).sort().map((f) => path.join(home.kubeDir, f));
const logout = (args: string[] = []): Promise<CliRun> => runCli(['logout', '--kubeconfig', home.kubeconfig, ...args], { home: home.home });
const refresh = (): Promise<CliRun> => runCli(['refresh', '--kubeconfig', home.kubeconfig], { home: home.home });

/** Every token ever issued in this test: none may be in the output, and none in any file of ~/.kube. */
async function expectForgotten(run: CliRun, tokens: string[]): Promise<void> {
  expect(run.all).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
  for (const t of tokens) expect(run.all).not.toContain(t);
  for (const f of await fs.readdir(home.kubeDir)) {
    const text = await fs.readFile(path.join(home.kubeDir, f), 'utf8').catch(() => '');
    for (const t of tokens) expect(text).not.toContain(t);
  }
}

describe('10. logout forgets everywhere', () => {
  it('backups holding the tokens (from setup and two refreshes) are rewritten without them, 0600, the rest kept', async () => {
    expect((await runSetup(env, home, [], { password: PASSWORD })).code).toBe(0);
    const seen = [tokensOf(await readDoc(home.kubeconfig))];
    for (let i = 0; i < 2; i++) {
      expect((await refresh()).code).toBe(0);
      seen.push(tokensOf(await readDoc(home.kubeconfig)));
    }
    const before = await backups();
    expect(before).toHaveLength(2);
    // A backup made readable by others meanwhile (restored from somewhere): it comes back 0600.
    await fs.chmod(before[0]!, 0o644);
    const all = seen.flatMap((t) => [t.id, t.refresh]);
    expect((await Promise.all(before.map((b) => fs.readFile(b, 'utf8')))).join('')).toContain(seen[0]!.refresh);

    const run = await logout();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Signed out of Casdoor');
    // The logout's own write made one more backup (of the file with the tokens): it is scrubbed too.
    const after = await backups();
    expect(after).toHaveLength(3);
    expect(run.stderr).toContain(`Removed the tokens of user ${(await readDoc(home.kubeconfig)).users[0].name} from 3 backups: ${after.join(', ')}.`);
    expect(run.stderr).not.toContain('still hold');
    for (const b of after) {
      expect((await fs.stat(b)).mode & 0o777).toBe(0o600);
      const doc = await readDoc(b);
      const cfg = doc.users[0].user['auth-provider'].config;
      expect(cfg['client-id']).toBe(env.provider.clientId);
      expect(cfg['idp-issuer-url']).toBe(env.provider.issuer);
      expect(cfg['id-token']).toBeUndefined();
      expect(cfg['refresh-token']).toBeUndefined();
      expect(doc.contexts.map((c: { name: string }) => c.name)).toEqual([aliceContext(env)]);
    }
    await expectForgotten(run, all);
  });

  it('tokens a failed refresh kept in the private cache folder (the live session) are deleted too', async () => {
    expect((await runSetup(env, home, [], { password: PASSWORD })).code).toBe(0);
    const user = (await readDoc(home.kubeconfig)).users[0].name;
    const file = pendingFileOf({ issuer: env.provider.issuer, clientId: env.provider.clientId, file: home.kubeconfig, user }, { homeDir: home.home, env: {} });
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.writeFile(file, JSON.stringify({ version: 1, idToken: 'kept.id.token', refreshToken: 'kept-refresh-token-value' }), { mode: 0o600 });
    const run = await logout();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`Deleted the tokens an earlier refresh had kept in ${file}.`);
    expect(existsSync(file)).toBe(false);
    expect(run.all).not.toContain('kept-refresh-token-value');
  });

  it('a backup that cannot be rewritten (not YAML) is listed with how to remove it; exit 0, nothing else left behind', async () => {
    expect((await runSetup(env, home, [], { password: PASSWORD })).code).toBe(0);
    const { refresh: rt, id } = tokensOf(await readDoc(home.kubeconfig));
    const broken = `${home.kubeconfig}.casdoor-kubeconfig-backup-20200101T000000.000Z`;
    await fs.writeFile(broken, `users:\n- name: hand-edited\n\tuser: {refresh-token: ${rt}}\n`, { mode: 0o600 });
    const brokenBytes = await fs.readFile(broken);
    const run = await logout();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`This backup still holds tokens of user`);
    expect(run.stderr).toContain(`  ${broken} (it is not a kubeconfig casdoor-kubeconfig can read)`);
    expect(run.stderr).toContain(`Delete it (rm '${broken}'), or remove the id-token and refresh-token lines of user`);
    // Left as it was (we do not guess at a file we cannot read), and the token not echoed.
    expect((await fs.readFile(broken)).equals(brokenBytes)).toBe(true);
    expect(run.all).not.toContain(rt);
    expect(run.all).not.toContain(id);
    await fs.unlink(broken);
    await expectForgotten(run, [rt, id]);
  });

  it('--remove of a context whose user another context shares: says so, keeps the user without tokens, scrubs the backups', async () => {
    expect((await runSetup(env, home, [], { password: PASSWORD })).code).toBe(0);
    const doc = await readDoc(home.kubeconfig);
    const { refresh: rt, id } = tokensOf(doc);
    const user = doc.users[0].name;
    doc.contexts.push({ name: 'alice-admin-ns', context: { ...doc.contexts[0].context, namespace: 'admin' } });
    await fs.writeFile(home.kubeconfig, yaml.dump(doc), { mode: 0o600 });
    const run = await logout(['--remove']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`Kept user ${user}: still used by context alice-admin-ns.`);
    expect(run.stderr).toContain(
      `Context ${aliceContext(env)} is gone, but not its user ${user}: context alice-admin-ns still uses it, and is signed out as well (the same login; its tokens are gone). To log in there again: casdoor-kubeconfig refresh --context alice-admin-ns`,
    );
    expect(run.stderr).not.toContain(`Context ${aliceContext(env)} is gone.`);
    const after = await readDoc(home.kubeconfig);
    expect(after.contexts.map((c: { name: string }) => c.name)).toEqual(['alice-admin-ns']);
    const cfg = after.users[0].user['auth-provider'].config;
    expect(cfg['refresh-token']).toBeUndefined();
    expect(cfg['id-token']).toBeUndefined();
    expect((await backups()).length).toBeGreaterThanOrEqual(1);
    await expectForgotten(run, [rt, id]);
    // The kept user logs in again through the other context, as the message says.
    const again = await runCli(['refresh', '--kubeconfig', home.kubeconfig, '--context', 'alice-admin-ns', '--username', 'alice'], { home: home.home, env: { CASDOOR_PASSWORD: PASSWORD } });
    expect(again.code).toBe(0);
    expect(tokensOf(await readDoc(home.kubeconfig)).refresh).toEqual(expect.any(String));
  });
});
