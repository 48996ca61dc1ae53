/**
 * Issue 10, point 9: no lost session. Casdoor rotates the refresh token at once (object/token_oauth.go
 * RefreshToken: AddToken of the new row, then DeleteToken of the old one; the demo provider does the
 * same), so when the kubeconfig write fails after Casdoor answered, the new tokens are kept in the
 * private token cache folder and the next `refresh` writes them. The write is made to fail for real, in
 * a hook that runs after Casdoor answered and before the file is replaced: the kubeconfig is moved
 * away and a folder put in its place (the rename of the temp file onto it fails with EISDIR; chmod
 * would not stop the root user these tests may run as).
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { runCleanups } from '../../src/cleanup.js';
import { CliError } from '../../src/errors.js';
import { discover } from '../../src/oidc/discovery.js';
import { refreshGrant } from '../../src/oidc/grants.js';
import { createHttpClient } from '../../src/oidc/http.js';
import { Output } from '../../src/ports/output.js';
import { cacheDir } from '../../src/token/cache.js';
import { runRefresh, type RefreshDeps } from '../../src/usecases/refresh.js';
import { runCli } from '../helpers/cli.js';
import { readDoc, runSetup, tokensOf, useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const PASSWORD = 'correct-horse';

let env: DemoEnvironment;
let home: TempHome;
useDemoEnvironment({}, (e, h) => {
  env = e;
  home = h;
});


/** runRefresh's outside world for an in-process run without a terminal, printing to `sink`. */
function refreshDeps(sink: { write(s: string): unknown }): Omit<RefreshDeps, 'writeHook'> {
  return {
    out: new Output({ env: { NO_COLOR: '1' }, stdout: sink, stderr: sink }),
    now: () => new Date(),
    interactive: false,
    promptPassword: async () => {
      throw new Error('no password prompt expected');
    },
    openUrl: async () => undefined,
    env: {},
    homeDir: home.home,
    cwd: home.home,
    makeHttp: (caPem) => createHttpClient({ env: {}, ...(caPem ? { caPem } : {}) }),
  };
}

/** Whether Casdoor still takes `refreshToken` (spends it when it does). */
async function casdoorTakes(refreshToken: string): Promise<boolean> {
  const http = createHttpClient({ env: {}, caPem: env.caPem });
  try {
    await refreshGrant(http, await discover(http, env.provider.issuer), { clientId: env.provider.clientId }, refreshToken);
    return true;
  } catch (err) {
    expect((err as CliError).message).toContain('invalid_grant');
    return false;
  } finally {
    await http.close();
  }
}

describe('9. a refresh whose kubeconfig write fails after Casdoor answered', () => {
  it('keeps the new tokens (0600, private folder), says how to recover; the next refresh writes them without a login', async () => {
    expect((await runSetup(env, home, [], { password: PASSWORD })).code).toBe(0);
    const old = tokensOf(await readDoc(home.kubeconfig));
    const original = await fs.readFile(home.kubeconfig);
    const aside = `${home.kubeconfig}.aside`;
    const lines: string[] = [];
    const sink = { write: (s: string) => (lines.push(s), true) };
    env.provider.resetStats();
    const err = await runRefresh(
      { kubeconfig: home.kubeconfig },
      {
        ...refreshDeps(sink),
        writeHook: async (file) => {
          await fs.rename(file, aside);
          await fs.mkdir(file);
        },
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    const e = err as CliError;
    expect(e.code).toBe('kubeconfig');
    const dir = cacheDir(home.home, {});
    const kept = (await fs.readdir(dir)).filter((f) => f.startsWith('pending-'));
    expect(kept).toHaveLength(1);
    const keptFile = path.join(dir, kept[0]!);
    expect(e.message).toContain(`cannot write ${home.kubeconfig}`);
    expect(e.message).toContain(`Casdoor had already issued new tokens (and retired the old refresh token): they are kept in ${keptFile} (0600, only for you).`);
    expect(e.hint).toBe(`Once ${home.kubeconfig} can be written again, run "casdoor-kubeconfig refresh --context ${(await fs.readFile(aside, 'utf8')).match(/current-context: (.*)/)?.[1]}": it writes the kept tokens into it first.`);
    expect((await fs.stat(keptFile)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    expect(env.provider.stats.refreshGrants).toBe(1);
    const saved = JSON.parse(await fs.readFile(keptFile, 'utf8'));
    expect(saved.refreshToken).toEqual(expect.any(String));
    expect(saved.refreshToken).not.toBe(old.refresh);
    // Nothing printed or thrown carries a token; the old refresh token is dead at Casdoor (rotated).
    const said = `${lines.join('')}\n${e.message}\n${e.hint}`;
    for (const t of [old.id, old.refresh, saved.idToken, saved.refreshToken]) expect(said).not.toContain(t);
    // The user's file is as it was, only moved by the hook; put it back (the folder goes).
    expect((await fs.readFile(aside)).equals(original)).toBe(true);
    await fs.rmdir(home.kubeconfig);
    await fs.rename(aside, home.kubeconfig);
    expect(await casdoorTakes(old.refresh)).toBe(false);

    // The next run (the real CLI, no password given) writes the kept tokens first, then refreshes with them.
    env.provider.resetStats();
    const run = await runCli(['refresh', '--kubeconfig', home.kubeconfig], { home: home.home });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`Wrote the tokens an earlier run had kept in ${keptFile} (when it could not write ${home.kubeconfig}) into user`);
    expect(run.stderr).toContain('Refreshed the tokens of user');
    expect(env.provider.stats.refreshGrants).toBe(1);
    expect(env.provider.stats.passwordGrants).toBe(0);
    expect(existsSync(keptFile)).toBe(false);
    const now = tokensOf(await readDoc(home.kubeconfig));
    expect(now.refresh).not.toBe(saved.refreshToken);
    for (const t of [saved.idToken, saved.refreshToken, now.id, now.refresh]) expect(run.all).not.toContain(t);
    expect(await casdoorTakes(now.refresh)).toBe(true);
  });

  it('a signal between Casdoor\'s answer and the write: the cleanup that runs before exit keeps the new tokens too', async () => {
    expect((await runSetup(env, home, [], { password: PASSWORD })).code).toBe(0);
    const original = await fs.readFile(home.kubeconfig);
    const sink = { write: () => true };
    env.provider.resetStats();
    const err = await runRefresh(
      { kubeconfig: home.kubeconfig },
      {
        ...refreshDeps(sink),
        // What src/bin.ts does on SIGINT: run the registered cleanups synchronously, then exit 130.
        writeHook: async () => {
          runCleanups();
          throw new CliError('interrupted', 'Interrupted.');
        },
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as CliError).code).toBe('interrupted');
    expect(env.provider.stats.refreshGrants).toBe(1);
    // The kubeconfig is as it was (the lock is gone), and the rotated tokens wait in the private folder.
    expect((await fs.readFile(home.kubeconfig)).equals(original)).toBe(true);
    expect(existsSync(`${home.kubeconfig}.lock`)).toBe(false);
    const dir = cacheDir(home.home, {});
    const kept = (await fs.readdir(dir)).filter((f) => f.startsWith('pending-'));
    expect(kept).toHaveLength(1);
    expect((await fs.stat(path.join(dir, kept[0]!))).mode & 0o777).toBe(0o600);
    const run = await runCli(['refresh', '--kubeconfig', home.kubeconfig], { home: home.home });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Wrote the tokens an earlier run had kept in');
    expect(env.provider.stats.passwordGrants).toBe(0);
    expect(await casdoorTakes(tokensOf(await readDoc(home.kubeconfig)).refresh)).toBe(true);
  });

  it('kept tokens older than what the entry holds now (a login since) are dropped, not written over it', async () => {
    expect((await runSetup(env, home, [], { password: PASSWORD })).code).toBe(0);
    const dir = cacheDir(home.home, {});
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const { pendingFileOf } = await import('../../src/token/pending.js');
    const user = (await readDoc(home.kubeconfig)).users[0].name;
    const file = pendingFileOf({ issuer: env.provider.issuer, clientId: env.provider.clientId, file: home.kubeconfig, user }, { homeDir: home.home, env: {} });
    await fs.writeFile(file, JSON.stringify({ version: 1, issuer: env.provider.issuer, clientId: env.provider.clientId, file: home.kubeconfig, user, idToken: 'stale.id.token', refreshToken: 'stale-refresh', replaces: '0'.repeat(64), savedAt: '' }), { mode: 0o600 });
    const run = await runCli(['refresh', '--kubeconfig', home.kubeconfig], { home: home.home });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`Dropped the tokens an earlier run had kept in ${file}: user ${user} in ${home.kubeconfig} has newer ones.`);
    expect(existsSync(file)).toBe(false);
    expect(await fs.readFile(home.kubeconfig, 'utf8')).not.toContain('stale-refresh');
  });
});
