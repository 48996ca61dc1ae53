/**
 * Temporary folders for tests: a fake HOME with its own ~/.kube, so nothing a test does can touch the
 * developer's real kubeconfig, and everything is removed afterwards.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempHome {
  /** Use as HOME (and USERPROFILE) for child processes. */
  home: string;
  /** `<home>/.kube`, created. */
  kubeDir: string;
  /** `<home>/.kube/config` (not created). */
  kubeconfig: string;
  /** Environment variables pointing a child process at this home and nowhere else. */
  env: Record<string, string>;
  /** A path inside the home. */
  path(...parts: string[]): string;
  /** Writes a file inside the home (creating folders), mode 0600 by default; returns its path. */
  write(relative: string, content: string, mode?: number): Promise<string>;
  cleanup(): Promise<void>;
}

const created = new Set<string>();

export async function makeTempHome(prefix = 'ck-home-'): Promise<TempHome> {
  const home = await mkdtemp(join(tmpdir(), prefix));
  created.add(home);
  const kubeDir = join(home, '.kube');
  await mkdir(kubeDir, { recursive: true });
  const path = (...parts: string[]): string => join(home, ...parts);
  return {
    home,
    kubeDir,
    kubeconfig: join(kubeDir, 'config'),
    env: { HOME: home, USERPROFILE: home, KUBECONFIG: join(kubeDir, 'config'), XDG_CONFIG_HOME: join(home, '.config') },
    path,
    write: async (relative, content, mode = 0o600) => {
      const file = path(relative);
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, content, { mode });
      return file;
    },
    cleanup: async () => {
      created.delete(home);
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** A bare temporary folder with cleanup. */
export async function makeTempDir(prefix = 'ck-tmp-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.add(dir);
  return {
    dir,
    cleanup: async () => {
      created.delete(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Removes every folder made here that a test forgot to clean up (call from afterAll). */
export async function cleanupAllTemp(): Promise<void> {
  await Promise.all([...created].map((dir) => rm(dir, { recursive: true, force: true })));
  created.clear();
}
