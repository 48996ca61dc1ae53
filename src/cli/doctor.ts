/** `doctor`: flags → DoctorInput → usecases/doctor (what Kubernetes needs from the Casdoor application). */
import type { Command } from 'commander';
import { Option } from 'commander';
import { usageError } from '../errors.js';
import { parseCasdoorUrl } from '../oidc/issuer.js';
import type { ReviewTarget } from '../cluster/review.js';
import { GRANTS, type GrantType } from '../usecases/grants.js';
import type { DoctorDeps, DoctorInput, DoctorTokens } from '../usecases/doctor.js';
import { GRANT_HELP } from './token.js';
import { readPasswordFromStdin, readPemFile, secretFrom } from './inputs.js';
import type { CommandContext, CommandListing } from './main.js';
import { addClaimOptions, claimsFromFlags, serverUrlFlag } from './validate.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const DOCTOR_COMMAND: CommandListing = {
  name: 'doctor',
  term: 'doctor [options]',
  description:
    'Check the Casdoor application against what Kubernetes needs: one pass/warn/fail line per setting, naming the Casdoor setting to change and why.',
};

export interface DoctorFlags {
  casdoorUrl?: string;
  clientId?: string;
  application?: string;
  casdoorCa?: string;
  grant?: GrantType;
  username?: string;
  passwordStdin?: boolean;
  browserCommand?: string;
  browser?: boolean;
  context?: string;
  kubeconfig?: string;
  server?: string;
  certificateAuthority?: string;
  insecureSkipTlsVerify?: boolean;
  usernameClaim: string;
  groupsClaim: string;
  usernamePrefix: string;
  groupsPrefix: string;
  deviceProbe: boolean;
  output: 'text' | 'json';
}

const HELP = `
Checks (each line pass / warn / FAIL / ?, with the Casdoor setting to change, as its web UI names it):
  issuer and discovery; the application (found by client id through /api/get-app-login, or by name);
  the Password and Refresh Token grants (probed with dummy values: nothing is changed, no user is
  locked); the Device Code grant (cannot be probed: unknown until a device login completes); the
  "Device login" and "Password" sign-in methods; Scopes; a shared application (aud). With a token
  (a login with --username/--grant, or --context): token format, the claims the API server maps,
  signing method vs the certificate, Token expire, Refresh token expire (0 = dies with the id_token),
  clock offset. With --server or --context: the API server's answer to the token (as whoami explains it).
  Anonymous probes carry no credentials; the client secret is never asked for.

Exit codes: 0 nothing blocks Kubernetes (warnings may remain); 8 a Casdoor setting blocks it (a disabled
  Refresh Token grant, a refresh expiry of 0, an unknown client id, …); 3 the login itself failed for the
  user's reason (wrong password, locked account); 5 Casdoor unreachable; 2 usage.

Examples:
  casdoor-kubeconfig doctor --casdoor-url https://door.example.com --client-id 294b09fbc17f95daf2fe
  casdoor-kubeconfig doctor --casdoor-url https://door.example.com --application kubernetes -o json
  CASDOOR_PASSWORD=… casdoor-kubeconfig doctor --casdoor-url https://door.example.com --client-id 294b… --username alice --server https://k8s.example.com:6443
  casdoor-kubeconfig doctor --context alice@k8s.example.com     # everything, from an entry made by setup`;

export function registerDoctor(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command(DOCTOR_COMMAND.name)
    .description(DOCTOR_COMMAND.description)
    .option('--casdoor-url <url>', 'Casdoor origin (the OIDC issuer), e.g. https://door.example.com')
    .option('--client-id <id>', "the application's Client ID (the application is found by it)")
    .option('--application <name>', 'the application name (instead of, or to check against, --client-id)')
    .option('--casdoor-ca <file>', "extra CA (PEM) to trust for Casdoor's TLS")
    .addOption(new Option('--grant <grant>', `log in to check a real token: ${GRANT_HELP}`).choices([...GRANTS]))
    .option('--username <name>', 'log in as this user (password grant: CASDOOR_PASSWORD or --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--browser-command <command>', 'browser login: command that opens the URL')
    .option('--no-browser', 'browser login: only print the URL')
    .option('--context <name>', "use a kubeconfig context made by setup: its Casdoor URL, client id, tokens and cluster")
    .option('--kubeconfig <file>', 'kubeconfig file for --context (default: as kubectl picks it)')
    .option('--server <url>', 'also ask this API server about the token (SelfSubjectReview)')
    .option('--certificate-authority <file>', "the API server's CA (PEM), with --server")
    .option('--insecure-skip-tls-verify', "don't verify the API server's certificate (unsafe), with --server");
  addClaimOptions(cmd, {
    usernameClaim: "the API server's --oidc-username-claim",
    groupsClaim: "the API server's --oidc-groups-claim",
    usernamePrefix: "the API server's --oidc-username-prefix: '-' = none, '' = unset",
    groupsPrefix: "the API server's --oidc-groups-prefix ('' = none)",
  });
  cmd
    .option('--no-device-probe', "skip the /api/device-auth probe (it leaves a pending device code in Casdoor's memory until it expires)")
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', HELP)
    .action(async (flags: DoctorFlags) => {
      const out = ctx.output();
      const { runDoctor, blockedError, loginFailedError } = await import('../usecases/doctor.js');
      const prepared = await prepareDoctor(flags, ctx);
      const { httpFactory } = await import('./deps.js');
      const http = httpFactory(ctx.io.env, out)(prepared.caPem);
      try {
        const report = await runDoctor(prepared.input, { out, http, now: ctx.io.now, ...prepared.deps });
        if (!report.ok) throw blockedError(report);
        if (report.loginFailed) throw loginFailedError();
      } finally {
        await http.close();
      }
    });
}

interface Prepared {
  input: DoctorInput;
  caPem?: string;
  deps: Pick<DoctorDeps, 'tokens' | 'cluster'>;
}

/** Flags (+ the kubeconfig entry of --context) → what runDoctor needs. */
export async function prepareDoctor(flags: DoctorFlags, ctx: CommandContext): Promise<Prepared> {
  const out = ctx.output();
  if (flags.context !== undefined && flags.context.trim() === '') throw usageError('--context must not be empty.');
  if (flags.context && (flags.username || flags.grant)) throw usageError('--context uses the entry\'s tokens: give it or --username/--grant, not both.');
  if (flags.certificateAuthority && flags.insecureSkipTlsVerify) throw usageError('--certificate-authority and --insecure-skip-tls-verify cannot both be given.');
  let casdoorUrl = flags.casdoorUrl ? parseCasdoorUrl(flags.casdoorUrl) : undefined;
  let clientId = flags.clientId;
  let caPem = flags.casdoorCa ? await readPemFile('--casdoor-ca', flags.casdoorCa) : undefined;
  const deps: Prepared['deps'] = {};
  let clusterTarget: Omit<ReviewTarget, 'token'> | undefined;
  if (flags.server) {
    const apiCa = flags.certificateAuthority ? await readPemFile('--certificate-authority', flags.certificateAuthority) : undefined;
    clusterTarget = {
      server: serverUrlFlag(flags.server),
      clusterName: '(--server)',
      skipTLSVerify: Boolean(flags.insecureSkipTlsVerify),
      ...(apiCa ? { caData: Buffer.from(apiCa).toString('base64') } : {}),
    };
  }

  if (flags.context) {
    const { loadMergedView } = await import('../kubeconfig/view.js');
    const { resolveEntry } = await import('../usecases/refresh.js');
    const view = await loadMergedView({ kubeconfigFlag: flags.kubeconfig, env: ctx.io.env, homeDir: ctx.io.homeDir });
    const entry = await resolveEntry(view, flags.context, ctx.io.cwd);
    const auth = entry.auth;
    const entryUrl = auth.kind === 'auth-provider' ? auth.issuer : auth.token.casdoorUrl;
    casdoorUrl ??= parseCasdoorUrl(entryUrl);
    clientId ??= auth.kind === 'auth-provider' ? auth.clientId : auth.token.clientId;
    caPem ??= auth.kind === 'auth-provider' ? auth.caPem : auth.token.casdoorCaPem;
    deps.tokens = async (): Promise<DoctorTokens | undefined> => {
      if (auth.kind === 'auth-provider') {
        if (!auth.idToken) return undefined;
        return { idToken: auth.idToken, ...(auth.refreshToken ? { refreshToken: auth.refreshToken } : {}), source: `context ${entry.contextName}` };
      }
      // An exec entry: the token kubectl would get (cached, refreshed, or a new login), as `token` does.
      const { obtainToken } = await import('../usecases/token.js');
      const { tokenDepsFor } = await import('./deps.js');
      const got = await obtainToken(auth.token, tokenDepsFor(ctx.io, out, { browserCommand: auth.token.browserCommand, browser: !auth.token.noBrowser }));
      return { idToken: got.entry.idToken, ...(got.entry.refreshToken ? { refreshToken: got.entry.refreshToken } : {}), source: `context ${entry.contextName} (exec, ${got.source})` };
    };
    const cluster = entry.clusterName ? view.findCluster(entry.clusterName)?.entry.cluster : undefined;
    if (!clusterTarget && cluster && typeof cluster.server === 'string') {
      clusterTarget = {
        server: cluster.server,
        clusterName: entry.clusterName as string,
        skipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
        ...(cluster['certificate-authority-data'] ? { caData: cluster['certificate-authority-data'] } : {}),
        ...(cluster['tls-server-name'] ? { tlsServerName: cluster['tls-server-name'] } : {}),
      };
    }
  } else if (flags.username || flags.grant) {
    const grant = flags.grant ?? 'password';
    const password = flags.passwordStdin ? await readPasswordFromStdin(ctx.io.stdin) : secretFrom(undefined, ctx.io.env, 'CASDOOR_PASSWORD');
    deps.tokens = async (session, id): Promise<DoctorTokens> => {
      const { loginWithGrant } = await import('../usecases/token.js');
      const { loginDepsFor } = await import('./deps.js');
      const login = await loginWithGrant(session, { clientId: id }, { grant, username: flags.username, password }, loginDepsFor(ctx.io, out, flags));
      return {
        idToken: login.tokens.idToken,
        ...(login.tokens.refreshToken ? { refreshToken: login.tokens.refreshToken } : {}),
        source: `a ${grant} login${flags.username ? ` as ${flags.username}` : ''}`,
      };
    };
  }
  if (clusterTarget) {
    const { selfSubjectReview } = await import('../cluster/review.js');
    deps.cluster = { target: clusterTarget, review: (t) => selfSubjectReview(t) };
  }
  if (!casdoorUrl) throw usageError('doctor: missing --casdoor-url (or --context).', 'Run casdoor-kubeconfig doctor --help.');
  if (!clientId && !flags.application) throw usageError('doctor: missing --client-id or --application (or --context).', 'Run casdoor-kubeconfig doctor --help.');
  const claims = claimsFromFlags(flags);
  return {
    input: {
      casdoorUrl,
      ...(clientId ? { clientId } : {}),
      ...(flags.application ? { application: flags.application } : {}),
      claims,
      ...(flags.deviceProbe === false ? { skipDeviceProbe: true } : {}),
      output: flags.output,
    },
    ...(caPem ? { caPem } : {}),
    deps,
  };
}


