/**
 * The e2e files' common ground: one demo environment (the Casdoor-like provider and the API server) per
 * file with a fresh temporary HOME per test, and `setup --non-interactive` for alice against it.
 */
import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import { startDemoEnvironment, type DemoEnvironment, type DemoEnvironmentOptions } from '../../src/demo/index.js';
import { runCli, type CliRun } from './cli.js';
import { makeTempHome, type TempHome } from './tmp.js';

/**
 * Starts a demo environment for the file (closed after it) and makes a fresh temporary HOME before each
 * test (the previous one removed), the provider's stats reset; `bind` gets both before each test.
 */
export function useDemoEnvironment(options: DemoEnvironmentOptions, bind: (env: DemoEnvironment, home: TempHome) => void): void {
  let env: DemoEnvironment | undefined;
  let home: TempHome | undefined;
  beforeAll(async () => {
    env = await startDemoEnvironment(options);
  });
  afterAll(async () => {
    await env?.close();
    await home?.cleanup();
  });
  beforeEach(async () => {
    await home?.cleanup();
    home = await makeTempHome();
    if (env === undefined) throw new Error('the demo environment did not start');
    env.provider.resetStats();
    bind(env, home);
  });
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
