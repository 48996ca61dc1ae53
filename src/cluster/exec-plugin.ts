/**
 * Runs a user's exec credential plugin the way kubectl does (client-go's exec authenticator):
 * KUBERNETES_EXEC_INFO in the environment, the entry's `env` added, standard input passed only when
 * the interactive mode allows it and there is a terminal, stderr passed through to the user, and the
 * ExecCredential on stdout checked against the apiVersion the entry asked for.
 *
 * We run it ourselves rather than through @kubernetes/client-node because client-node sets no
 * KUBERNETES_EXEC_INFO, ignores interactiveMode, swallows stderr and uses the process environment
 * instead of the one the command was given.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CliError } from '../errors.js';
import type { ExecConfig } from '../kubeconfig/model.js';
import { SECRET_NAME, redact, registerSecret } from '../redact.js';
import { describeCommand } from './target.js';

export { describeCommand };

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

export interface ExecPluginRequest {
  /** The user entry's name (for messages). */
  userName: string;
  /** The entry's exec block, command already resolved against the kubeconfig's folder when relative. */
  exec: ExecConfig;
  env: NodeJS.ProcessEnv;
  /** Whether this process has a terminal on standard input. */
  stdinIsTTY: boolean;
  /** Where the plugin's stderr goes (already redacted here). */
  stderr: (text: string) => void;
  /** For provideClusterInfo: true. */
  cluster?: { server: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean };
  timeoutMs?: number;
}

export interface ExecCredentialResult {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

export const DEFAULT_EXEC_TIMEOUT_MS = 5 * 60_000;

/** Checks the entry before anything runs; kubectl's own wording where it has one. */
export function checkExecConfig(userName: string, exec: ExecConfig, stdinIsTTY: boolean): { interactive: boolean; stdin: 'inherit' | 'ignore' } {
  if (!exec.apiVersion || !EXEC_API_VERSIONS.includes(exec.apiVersion)) {
    throw new CliError('kubeconfig', `users[name=${userName}].user.exec: exec plugin: invalid apiVersion "${exec.apiVersion ?? ''}"`, {
      hint: `Use apiVersion ${EXEC_API_VERSIONS[0]} (re-run casdoor-kubeconfig setup --mode exec to rewrite the entry).`,
    });
  }
  if (!exec.command) throw new CliError('kubeconfig', `users[name=${userName}].user.exec.command is missing.`);
  const mode = exec.interactiveMode ?? (exec.apiVersion.endsWith('/v1') ? undefined : 'IfAvailable');
  if (mode === undefined) {
    throw new CliError('kubeconfig', `users[name=${userName}].user.exec.interactiveMode is required for ${exec.apiVersion}.`, {
      hint: 'Set interactiveMode: IfAvailable (or Never) in the entry.',
    });
  }
  if (mode === 'Always' && !stdinIsTTY) {
    throw new CliError('login', `users[name=${userName}]: exec plugin cannot support interactive mode: standard input is not a terminal.`, {
      hint: 'Run the command in a terminal, or set interactiveMode: IfAvailable.',
    });
  }
  const interactive = mode !== 'Never' && stdinIsTTY;
  return { interactive, stdin: interactive ? 'inherit' : 'ignore' };
}

/** Parses and checks the plugin's stdout (pure). */
export function parseExecCredential(userName: string, expectedApiVersion: string, stdout: string): ExecCredentialResult {
  const fail = (why: string): CliError =>
    new CliError('login', `users[name=${userName}]: the exec plugin's output is not a usable ExecCredential: ${why}.`, {
      hint: 'Run the plugin yourself to see what it prints (for casdoor-kubeconfig: the same command with --raw prints the token alone).',
    });
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw fail(stdout.trim() === '' ? 'it printed nothing' : 'it is not JSON');
  }
  if (!doc || typeof doc !== 'object') throw fail('it is not a JSON object');
  const cred = doc as { kind?: unknown; apiVersion?: unknown; status?: Record<string, unknown> };
  if (cred.kind !== 'ExecCredential') throw fail(`kind is ${JSON.stringify(cred.kind)}`);
  if (cred.apiVersion !== expectedApiVersion) {
    throw fail(`exec plugin is configured to use API version ${expectedApiVersion}, plugin returned version ${String(cred.apiVersion)}`);
  }
  const status = cred.status;
  if (!status || typeof status !== 'object') throw fail('it has no status');
  const str = (k: string): string | undefined => (typeof status[k] === 'string' && status[k] !== '' ? (status[k] as string) : undefined);
  const token = str('token');
  const cert = str('clientCertificateData');
  const key = str('clientKeyData');
  if (!token && !(cert && key)) throw fail('status has neither a token nor a client certificate and key');
  if (token) registerSecret(token);
  if (key) registerSecret(key);
  const exp = str('expirationTimestamp');
  return { ...(token ? { token } : {}), ...(cert ? { clientCertificateData: cert } : {}), ...(key ? { clientKeyData: key } : {}), ...(exp ? { expirationTimestamp: exp } : {}) };
}

export async function runExecPlugin(req: ExecPluginRequest): Promise<ExecCredentialResult> {
  const { exec, userName } = req;
  const { interactive, stdin } = checkExecConfig(userName, exec, req.stdinIsTTY);
  const apiVersion = exec.apiVersion as string;
  const command = exec.command as string;
  const env: NodeJS.ProcessEnv = { ...req.env };
  for (const e of exec.env ?? []) {
    if (!e || typeof e.name !== 'string') continue;
    env[e.name] = String(e.value ?? '');
    // A secret handed to the plugin in its environment must not come back through its stderr or our messages.
    if (SECRET_NAME.test(e.name)) registerSecret(env[e.name]);
  }
  env.KUBERNETES_EXEC_INFO = JSON.stringify({
    kind: 'ExecCredential',
    apiVersion,
    spec: { interactive, ...(exec.provideClusterInfo && req.cluster ? { cluster: req.cluster } : {}) },
  });
  const timeoutMs = req.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;

  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; error?: NodeJS.ErrnoException; timedOut: boolean }>((resolve) => {
    let stdout = '';
    let error: NodeJS.ErrnoException | undefined;
    let timedOut = false;
    const child = spawn(command, exec.args ?? [], { env, stdio: [stdin, 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    // kubectl passes the plugin's stderr through: that is where it talks to the person.
    child.stderr?.setEncoding('utf8').on('data', (d: string) => req.stderr(redact(d)));
    child.on('error', (err: NodeJS.ErrnoException) => {
      error = err;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, ...(error ? { error } : {}), timedOut });
    });
  });

  if (outcome.error) {
    if (outcome.error.code === 'ENOENT') {
      const hint = exec.installHint?.trim() || `Install it, or change users[name=${userName}].user.exec.command to its absolute path.`;
      throw new CliError('kubeconfig', `users[name=${userName}]: exec plugin: executable ${command} not found.`, { hint, cause: outcome.error });
    }
    if (outcome.error.code === 'EACCES') {
      throw new CliError('kubeconfig', `users[name=${userName}]: exec plugin: ${command} is not executable (permission denied).`, { cause: outcome.error });
    }
    throw new CliError('login', `users[name=${userName}]: exec plugin ${path.basename(command)} could not run: ${outcome.error.message}`, { cause: outcome.error });
  }
  if (outcome.timedOut) {
    throw new CliError('login', `users[name=${userName}]: the exec plugin did not finish within ${Math.round(timeoutMs / 1000)} s.`, {
      hint: `Run it yourself to see where it waits: ${describeCommand(exec)}`,
    });
  }
  if (outcome.code !== 0) {
    const how = outcome.code === null ? `was killed by ${outcome.signal ?? 'a signal'}` : `failed with exit code ${outcome.code}`;
    throw new CliError('login', `users[name=${userName}]: the exec plugin ${path.basename(command)} ${how} (its own message, if any, is above).`, {
      hint: `Run it yourself to see why: ${describeCommand(exec)}`,
    });
  }
  return parseExecCredential(userName, apiVersion, outcome.stdout);
}
