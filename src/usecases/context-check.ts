/**
 * "Does the cluster accept this context?", asked right after a context was written: the whoami use
 * case run quietly, its answer returned as data for the caller to word (the wizard's last step, the
 * demo's proof). Its `-o json` report, the stable form meant for scripts, is read back instead of
 * printed, so stdout stays free for the caller's own data (`setup --json`).
 *
 * Load it with a dynamic import: whoami pulls in jose, and the review pulls in client-node.
 */
import { readFile } from 'node:fs/promises';
import { runExecPlugin, type ExecCredentialResult, type ExecPluginRequest } from '../cluster/exec-plugin.js';
import { selfSubjectReview, type ReviewOutcome, type ReviewTarget } from '../cluster/review.js';
import { Output } from '../ports/output.js';
import { CliError } from '../errors.js';
import { runWhoami, type ClaimMapping, type WhoamiReport } from './whoami.js';

export type ContextCheck =
  /** The API server authenticated the context: who it sees. */
  | { outcome: 'accepted'; report: WhoamiReport }
  /** It answered, but not with a user: 401 (report.findings says why), 403, 404 … */
  | { outcome: 'refused'; report: WhoamiReport; error: CliError }
  /** No answer: connection refused, timeout, TLS, DNS. */
  | { outcome: 'unreachable'; error: CliError }
  /** The check itself could not run (the kubeconfig or the exec plugin failed). */
  | { outcome: 'failed'; error: CliError };

export interface ContextCheckInput {
  /** The file to read; undefined = as kubectl picks it (KUBECONFIG, else ~/.kube/config). */
  kubeconfig?: string;
  context: string;
  /** How the API server maps claims, for the diagnosis of a 401. */
  claims: ClaimMapping;
  timeoutMs?: number;
}

export interface ContextCheckDeps {
  env: NodeJS.ProcessEnv;
  homeDir: string;
  now: () => Date;
  verbose: boolean;
  /** Where whoami's own messages (warnings, --verbose detail, an exec plugin's stderr) go, one line at a time. */
  log: (line: string) => void;
  review: (target: ReviewTarget, opts: { timeoutMs?: number }) => Promise<ReviewOutcome>;
  runExec: (req: ExecPluginRequest) => Promise<ExecCredentialResult>;
  readFile: (file: string) => Promise<string>;
}

/**
 * The real deps around the caller's own: the SelfSubjectReview, and the exec entry run exactly as
 * kubectl runs it (same command, args, env, KUBERNETES_EXEC_INFO: client-go exec.go
 * refreshCredsLocked), so a command kubectl cannot find fails here too.
 */
export function contextCheckDeps(base: Pick<ContextCheckDeps, 'env' | 'homeDir' | 'now' | 'verbose' | 'log'>): ContextCheckDeps {
  return { ...base, review: selfSubjectReview, runExec: runExecPlugin, readFile: (file) => readFile(file, 'utf8') };
}

function parseReport(json: string): WhoamiReport | undefined {
  try {
    const doc = JSON.parse(json) as unknown;
    return doc && typeof doc === 'object' && typeof (doc as WhoamiReport).server === 'string' ? (doc as WhoamiReport) : undefined;
  } catch {
    return undefined;
  }
}

export async function checkContext(input: ContextCheckInput, deps: ContextCheckDeps): Promise<ContextCheck> {
  let json = '';
  const forward = (text: string): void => {
    for (const line of text.replace(/\n$/, '').split('\n')) deps.log(line);
  };
  const out = new Output(
    {
      env: deps.env,
      stdout: { write: (s: string) => (json += s) },
      stderr: { write: forward },
    },
    { verbose: deps.verbose },
  );
  try {
    const report = await runWhoami(
      {
        ...(input.kubeconfig !== undefined ? { kubeconfig: input.kubeconfig } : {}),
        context: input.context,
        output: 'json',
        claims: input.claims,
        ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
      },
      {
        out,
        env: deps.env,
        homeDir: deps.homeDir,
        now: deps.now,
        // Never prompt: this check runs after the user is done answering.
        stdinIsTTY: false,
        writeStderr: forward,
        review: deps.review,
        runExec: deps.runExec,
        readFile: deps.readFile,
      },
    );
    return { outcome: 'accepted', report };
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    // whoami prints its JSON report before it throws for any answer of the API server.
    const report = parseReport(json);
    if (report?.status !== undefined) return { outcome: 'refused', report, error: err };
    return err.code === 'cluster' ? { outcome: 'unreachable', error: err } : { outcome: 'failed', error: err };
  }
}
