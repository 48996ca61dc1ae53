/**
 * The e2e files' common ground: one demo environment (the Casdoor-like provider and the API server) per
 * file with a fresh temporary HOME per test, and `setup --non-interactive` for alice against it.
 */
import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { startDemoEnvironment, type DemoEnvironment, type DemoEnvironmentOptions } from '../../src/demo/index.js';
import { DIST_BIN, runCli, type CliRun } from './cli.js';
import { writeBinWrapper, writeScriptedBrowser } from './scripts.js';
import { makeTempDir, makeTempHome, type TempHome } from './tmp.js';

/**
 * Starts a demo environment for the file (closed after it) and makes a fresh temporary HOME before each
 * test (the previous one removed), the provider's stats reset; `bind` gets both before each test. The
 * returned function gives the environment from the file's own beforeAll on (declared after this call).
 */
export function useDemoEnvironment(options: DemoEnvironmentOptions, bind: (env: DemoEnvironment, home: TempHome) => void): () => DemoEnvironment {
  return useDemo(options, undefined, (env, home) => bind(env, home));
}

/** The executables a file hands to kubectl and to the tool, in a temporary folder of their own. */
export interface DemoScripts {
  dir: string;
  /** `casdoor-kubeconfig`: dist/bin.js under this Node.js (helpers/scripts.ts writeBinWrapper). */
  wrapper: string;
  /** A scripted browser trusting the environment's CA; it appends every URL it is given to `visited`. */
  browser: string;
  /** Emptied before each test. */
  visited: string;
}

/**
 * useDemoEnvironment for files that run the built CLI in its own process (kubectl's exec entries, the
 * browser flows): dist/ must be built, and the scripts are made once for the file, after the environment.
 */
export function useDemoEnvironmentWithScripts(
  options: DemoEnvironmentOptions,
  bind: (env: DemoEnvironment, home: TempHome, scripts: DemoScripts) => void,
): () => DemoEnvironment {
  return useDemo(
    options,
    async (env) => {
      if (!existsSync(DIST_BIN)) throw new Error('dist/ is missing: the jest globalSetup build did not run');
      const folder = await makeTempDir('ck-scripts-');
      const visited = path.join(folder.dir, 'visited.txt');
      const scripts: DemoScripts = {
        dir: folder.dir,
        wrapper: await writeBinWrapper(folder.dir),
        browser: await writeScriptedBrowser(folder.dir, env.caFile, { visitedFile: visited }),
        visited,
      };
      return { scripts, cleanup: () => folder.cleanup() };
    },
    (env, home, scripts) => bind(env, home, scripts as DemoScripts),
  );
}

function useDemo(
  options: DemoEnvironmentOptions,
  makeScripts: ((env: DemoEnvironment) => Promise<{ scripts: DemoScripts; cleanup(): Promise<void> }>) | undefined,
  bind: (env: DemoEnvironment, home: TempHome, scripts: DemoScripts | undefined) => void,
): () => DemoEnvironment {
  let env: DemoEnvironment | undefined;
  let home: TempHome | undefined;
  let made: { scripts: DemoScripts; cleanup(): Promise<void> } | undefined;
  beforeAll(async () => {
    env = await startDemoEnvironment(options);
    made = await makeScripts?.(env);
  }, 120_000);
  afterAll(async () => {
    await env?.close();
    await made?.cleanup();
    await home?.cleanup();
  });
  beforeEach(async () => {
    await home?.cleanup();
    home = await makeTempHome();
    if (env === undefined) throw new Error('the demo environment did not start');
    env.provider.resetStats();
    if (made) await fs.rm(made.scripts.visited, { force: true });
    bind(env, home, made?.scripts);
  });
  return () => {
    if (env === undefined) throw new Error('the demo environment did not start');
    return env;
  };
}

export interface SetupArgsOptions {
  /** Passed as --client-secret (before --username) when given. */
  clientSecret?: string;
}

/** `setup --non-interactive` for alice against `env`, merging into `home`'s kubeconfig, then `extra`. */
export function setupArgs(env: DemoEnvironment, home: TempHome, extra: string[] = [], options: SetupArgsOptions = {}): string[] {
  return [
    'setup',
    '--non-interactive',
    '--casdoor-url', env.provider.issuer,
    '--client-id', env.provider.clientId,
    ...(options.clientSecret !== undefined ? ['--client-secret', options.clientSecret] : []),
    '--username', 'alice',
    '--casdoor-ca', env.caFile,
    '--server', env.apiserver.url,
    '--certificate-authority', env.caFile,
    '--kubeconfig', home.kubeconfig,
    ...extra,
  ];
}

export interface RunSetupOptions extends SetupArgsOptions {
  /** alice's password, given as CASDOOR_PASSWORD. */
  password: string;
  /** More environment variables for the run. */
  env?: Record<string, string | undefined>;
}

/** Runs setupArgs(…) as the CLI, with `home` as HOME. */
export function runSetup(env: DemoEnvironment, home: TempHome, extra: string[], options: RunSetupOptions): Promise<CliRun> {
  return runCli(setupArgs(env, home, extra, options), { home: home.home, env: { CASDOOR_PASSWORD: options.password, ...options.env } });
}

/** The context `setup` writes for alice: `alice@<the API server's host:port>`. */
export function aliceContext(env: DemoEnvironment): string {
  return `alice@${new URL(env.apiserver.url).host}`;
}

/** A kubeconfig file as parsed YAML, for tests to look into. */
export async function readDoc(file: string): Promise<any> {
  return yaml.load(await fs.readFile(file, 'utf8'));
}

/** The id and refresh tokens of the first user's auth-provider entry. */
export function tokensOf(doc: any): { id: string; refresh: string } {
  const cfg = doc.users[0].user['auth-provider'].config;
  return { id: cfg['id-token'], refresh: cfg['refresh-token'] };
}
