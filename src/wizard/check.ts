/**
 * After the write: does the API server accept the new context (a SelfSubjectReview), and for admins
 * the kube-apiserver flags that make it accept these tokens.
 */
import { KUBE_SIGNING_ALGS, parseKubernetesVersion, renderFlags, shellQuote, type ApiserverSettings } from '../usecases/apiserver-config.js';
import type { ContextCheck, ContextCheckInput } from '../usecases/context-check.js';
import type { EntryNames } from '../usecases/entries.js';
import type { VerifiedLogin } from '../usecases/login.js';
import { kubeconfigArg, type SetupInput } from '../usecases/setup.js';
import type { WizardResult } from './options.js';
import { Q } from './questions.js';
import type { Run } from './run.js';

/** The apiserver-config command for this Casdoor and these claim settings, for the user to run or pass on. */
function apiserverConfigCommand(input: SetupInput): string {
  const q = shellQuote;
  return [
    'casdoor-kubeconfig apiserver-config',
    `--casdoor-url ${q(input.casdoorUrl)}`,
    `--client-id ${q(input.clientId)}`,
    ...(input.usernameClaim !== 'name' ? [`--username-claim ${q(input.usernameClaim)}`] : []),
    ...(input.groupsClaim !== 'groups' ? [`--groups-claim ${q(input.groupsClaim)}`] : []),
    // apiserver-config's own default is '-'; '' there means the flag unset, as undefined does here.
    ...(input.usernamePrefix !== '-' ? [`--username-prefix ${q(input.usernamePrefix ?? '')}`] : []),
    ...(input.groupsPrefix ? [`--groups-prefix ${q(input.groupsPrefix)}`] : []),
    ...(input.casdoorCaFile ? [`--casdoor-ca ${q(input.casdoorCaFile)}`] : []),
  ].join(' ');
}

async function defaultCheckContext(run: Run, input: ContextCheckInput, _token: string | undefined): Promise<ContextCheck> {
  const { deps, out } = run;
  const { checkContext, contextCheckDeps } = await import('../usecases/context-check.js');
  return checkContext(input, contextCheckDeps({ env: deps.env, homeDir: deps.homeDir, now: deps.now, verbose: out.verboseEnabled, log: (line) => out.info(line) }));
}

/**
 * Asks the API server who it sees with the context just written (issue: "the wizard ends with this
 * check"). Never fails the run: the kubeconfig is written and right even when the API server is not
 * configured for this Casdoor yet, which is what a 401 usually means on a first setup.
 */
export async function clusterCheck(run: Run, input: SetupInput, names: EntryNames, login: VerifiedLogin): Promise<WizardResult['check']> {
  const { out, deps, opts } = run;
  const c = out.c;
  // Written to standard output: there is no file to check.
  if (opts.checkWithCluster === false || input.output === '-') return 'skipped';
  const later = `kubectl${kubeconfigArg(input)} auth whoami --context ${names.context}`;
  out.info('');
  if (run.apiReachable === false) {
    out.info(`Not checked with the API server: it did not answer earlier. Once it is reachable: ${later}`);
    return 'skipped';
  }
  const checkInput: ContextCheckInput = {
    ...(input.output !== undefined ? { kubeconfig: input.output } : input.kubeconfig !== undefined ? { kubeconfig: input.kubeconfig } : {}),
    context: names.context,
    claims: {
      usernameClaim: input.usernameClaim,
      groupsClaim: input.groupsClaim,
      ...(input.usernamePrefix !== undefined ? { usernamePrefix: input.usernamePrefix } : {}),
      ...(input.groupsPrefix ? { groupsPrefix: input.groupsPrefix } : {}),
    },
    timeoutMs: 15_000,
  };
  const token = input.mode === 'exec' ? login.tokens.idToken : undefined;
  let check: ContextCheck;
  try {
    check = await deps.spin(`Asking the API server who it sees with context ${names.context}…`, () =>
      deps.checkContext ? deps.checkContext(checkInput, token) : defaultCheckContext(run, checkInput, token),
    );
  } catch (err) {
    out.warn(`Could not check the new context with the API server: ${err instanceof Error ? err.message : String(err)}`);
    return 'failed';
  }
  switch (check.outcome) {
    case 'accepted': {
      const r = check.report;
      out.step(`The API server accepted context ${c.cyan(names.context)} (${r.apiVersion ? `${r.apiVersion} ` : ''}SelfSubjectReview):`);
      out.info(`  username  ${c.cyan(r.username ?? '')}`);
      out.info(`  groups    ${(r.groups ?? []).length ? c.cyan((r.groups ?? []).join(', ')) : c.dim('(none)')}`);
      break;
    }
    case 'refused': {
      const r = check.report;
      if (r.status === 401) {
        out.warn(`The API server at ${r.server} does not accept this token yet (401 Unauthorized). The kubeconfig is written and stays as it is.`);
        const findings = r.findings ?? [];
        const shown = findings.some((f) => f.certain) ? findings.filter((f) => f.certain) : findings;
        for (const f of shown) {
          out.info(`  - ${f.message}`);
          out.info(`    Fix: ${f.fix}`);
        }
        out.info('  On a first setup this usually means the API server is not configured for this Casdoor yet: a cluster admin');
        out.info('  must start it with the --oidc-* flags (or an AuthenticationConfiguration) for this issuer and client id:');
        out.info(`    ${apiserverConfigCommand(input)}`);
        out.info(`  Then check again: ${later}`);
      } else {
        out.warn(check.error.message);
        if (check.error.hint) out.info(`  ${check.error.hint}`);
      }
      break;
    }
    case 'unreachable':
      out.info(`Not checked with the API server: ${check.error.message}`);
      out.info(`  Once it is reachable: ${later}`);
      break;
    case 'failed':
      out.warn(`Could not check the new context with the API server: ${check.error.message}`);
      break;
  }
  return check.outcome;
}

/** The API server settings for this setup, as apiserver-config would take them from flags. */
function apiserverSettingsOf(input: SetupInput, login: VerifiedLogin): ApiserverSettings {
  const alg = login.verified.header.alg;
  return {
    issuer: input.casdoorUrl,
    clientId: input.clientId,
    usernameClaim: input.usernameClaim,
    ...(input.usernamePrefix !== undefined ? { usernamePrefix: input.usernamePrefix } : {}),
    groupsClaim: input.groupsClaim,
    ...(input.groupsPrefix ? { groupsPrefix: input.groupsPrefix } : {}),
    // The algorithm Casdoor really signs with: kube-apiserver refuses any other.
    signingAlgs: [KUBE_SIGNING_ALGS.includes(alg) ? alg : 'RS256'],
    ...(input.casdoorCaPem ? { casdoorCa: { file: input.casdoorCaFile ?? 'casdoor-ca.pem', pem: input.casdoorCaPem } } : {}),
    // Only the flags are printed here, which do not depend on the version.
    kubernetesVersion: parseKubernetesVersion('1.32'),
  };
}

/** For admins: the kube-apiserver flags that make it accept these tokens, from the answers just given. */
export async function offerApiserverConfig(run: Run, input: SetupInput, login: VerifiedLogin): Promise<void> {
  const { ask, out, opts } = run;
  if (opts.offerApiserverConfig === false) return;
  out.info('');
  if (!(await ask.confirm(Q.apiserverConfig()))) return;
  out.info(renderFlags(apiserverSettingsOf(input, login)).replace(/\n+$/, ''));
  out.info(out.c.dim(`The minikube line and an AuthenticationConfiguration: ${apiserverConfigCommand(input)} --format all`));
}
