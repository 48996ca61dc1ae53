/**
 * The setup wizard: asks only what no flag answered, checks every answer against the real peers
 * before the next question (discovery, login and token verification, the API server's TLS), shows
 * the change with secrets redacted, and writes only after a yes. The engine is usecases/setup; the
 * wizard only decides what to ask, in which order, and what to do when an answer does not work.
 *
 * This file is the entry: one run's context (`Run`), the greeting, and on a re-run the offer to renew
 * a context found in the kubeconfig (renew.ts) instead of a new setup (full-setup.ts).
 */
import { CliError } from '../errors.js';
import { loadMergedView } from '../kubeconfig/view.js';
import type { HttpClient } from '../oidc/http.js';
import type { TokenFormatReport } from '../oidc/token-format.js';
import type { RefreshProof } from '../usecases/prove-refresh.js';
import { describeExpiry } from '../describe-expiry.js';
import type { SetupDeps } from '../usecases/setup.js';
import { findRenewable, type RenewCandidate } from './existing.js';
import { fullSetup } from './full-setup.js';
import type { Answers, WizardDeps, WizardOptions, WizardResult } from './options.js';
import { Q } from './questions.js';
import { renew } from './renew.js';
import type { Choice, Prompts } from './types.js';

/** One run of the wizard: the answers so far and the HTTP client for Casdoor (rebuilt when its CA changes). */
export class Run {
  readonly a: Answers;
  /** false when the API server did not answer the probe and the user went on anyway. */
  apiReachable: boolean | undefined;
  /** The refresh and client-secret proof made right after the login (steps/login.ts). */
  proof: RefreshProof | undefined;
  /** The token format of the login (steps/claims.ts). */
  format: TokenFormatReport | undefined;
  private http: HttpClient | undefined;

  constructor(
    readonly opts: WizardOptions,
    readonly deps: WizardDeps,
  ) {
    this.a = { ...opts.given };
  }

  get out(): SetupDeps['out'] {
    return this.deps.out;
  }
  get ask(): Prompts {
    return this.deps.prompts;
  }
  get given(): Answers {
    return this.opts.given;
  }
  get suggested(): Answers {
    return this.opts.suggested ?? {};
  }

  casdoorHttp(): HttpClient {
    this.http ??= this.deps.makeHttp(this.a.casdoorCaPem);
    return this.http;
  }

  async resetHttp(): Promise<void> {
    const old = this.http;
    this.http = undefined;
    await old?.close();
  }

  async close(): Promise<void> {
    await this.resetHttp();
  }
}

/** Runs the wizard once: a renewal when the user picks a context to renew, else a new setup. */
export async function runWizard(opts: WizardOptions, deps: WizardDeps): Promise<WizardResult> {
  const run = new Run(opts, deps);
  const { out } = deps;
  const c = out.c;
  out.info(c.bold('casdoor-kubeconfig setup'));
  out.info(c.dim('Each answer is checked before the next question, and nothing is written before you confirm.'));
  out.info(c.dim('Enter takes the value in (parentheses) or skips an optional question; Ctrl-C quits.'));
  try {
    const candidate = opts.offerRenew === false ? undefined : await offerRenewal(run);
    if (candidate) return await renew(run, candidate);
    return await fullSetup(run);
  } finally {
    await run.close();
  }
}

/** The contexts an earlier run wrote, to renew; undefined for a new setup (also when flags describe one). */
async function offerRenewal(run: Run): Promise<RenewCandidate | undefined> {
  const { given, deps } = run;
  // Flags that describe a (new) setup mean the user knows what they want.
  if (given.output !== undefined || given.casdoorUrl !== undefined || given.server !== undefined || given.clientId !== undefined) return undefined;
  let candidates: RenewCandidate[];
  try {
    const view = await loadMergedView({ kubeconfigFlag: given.kubeconfig, env: deps.env, homeDir: deps.homeDir });
    candidates = findRenewable(view);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    run.out.warn(`Cannot read the kubeconfig: ${err.message}`);
    return undefined;
  }
  if (given.context !== undefined) candidates = candidates.filter((x) => x.context === given.context);
  if (candidates.length === 0) return undefined;
  const now = deps.now();
  const choices: Array<Choice<RenewCandidate | undefined>> = candidates.map((x) => ({
    value: x,
    name: `Renew the token for ${x.context}`,
    description: [
      `${x.username ?? 'user'} at ${x.issuer}`,
      x.expiresAt ? (x.expiresAt.getTime() > now.getTime() ? `token expires ${describeExpiry(x.expiresAt, now)}` : `token expired ${describeExpiry(x.expiresAt, now)}`) : x.mode === 'exec' ? 'exec plugin' : '',
      `in ${x.file}`,
    ]
      .filter(Boolean)
      .join(' · '),
  }));
  choices.push({ value: undefined, name: 'Set up a new context', description: 'Another cluster, Casdoor or user.' });
  return run.ask.select(Q.action(choices));
}
