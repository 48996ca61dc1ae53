/** `setup`: flags → SetupInput → usecases/setup. */
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { usageError } from '../errors.js';
import { parseCasdoorUrl } from '../oidc/issuer.js';
import type { SetupDeps, SetupInput } from '../usecases/setup.js';
import { GRANTS, type GrantType } from '../usecases/grants.js';
import { TOKEN_STORAGES, type TokenStorage } from '../token/storage-kinds.js';
import type { WizardSettings } from '../wizard/options.js';
import { collectValues, GRANT_HELP, LISTEN_ADDRESS_HELP, RESOURCE_HELP, SCOPE_HELP, TOKEN_CACHE_STORAGE_HELP } from './token.js';
import { checkResource } from '../oidc/resource.js';
import { formatListenAddress, parseListenAddress } from '../oidc/loopback.js';
import { readPasswordFromStdin, readPemFile, secretFrom } from './inputs.js';
import type { CommandContext, CommandListing } from './main.js';
import { addClaimOptions, checkClaimFlags, claimSettings, namespaceFlag, serverUrlFlag, type ClaimOptions } from './validate.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const SETUP_COMMAND: CommandListing = {
  name: 'setup',
  term: 'setup [options]',
  description:
    'Log in to Casdoor and write a cluster, an OIDC user and a context into your kubeconfig (interactive wizard in a terminal; every prompt has a flag).',
};

export interface SetupFlags {
  casdoorUrl?: string;
  organization?: string;
  application?: string;
  clientId?: string;
  clientSecret?: string;
  username?: string;
  passwordStdin?: boolean;
  casdoorCa?: string;
  server?: string;
  certificateAuthority?: string;
  insecureSkipTlsVerify?: boolean;
  insecureHttp?: boolean;
  cluster?: string;
  user?: string;
  context?: string;
  namespace?: string;
  kubeconfig?: string;
  output?: string;
  setCurrentContext: boolean;
  dryRun?: boolean;
  usernameClaim: string;
  /** Set by the action: --username-claim was given (else the default follows the token format). */
  usernameClaimGiven?: boolean;
  scope?: string;
  resource?: string;
  groupsClaim: string;
  usernamePrefix: string;
  groupsPrefix?: string;
  nonInteractive?: boolean;
  mode: 'auth-provider' | 'exec';
  execCommand?: string;
  skipLogin?: boolean;
  grant?: GrantType;
  browserCommand?: string;
  /** commander's --no-browser. */
  browser?: boolean;
  listenAddress?: string[];
  /** Exec mode: where the plugin keeps tokens (the wizard asks when not given). */
  tokenCacheStorage?: TokenStorage;
  /** Print a JSON summary on stdout at the end. */
  json?: boolean;
  force?: boolean;
}

/** setup's --groups-prefix has no default: a given '' is kept (its --json summary shows it). */
const SETUP_CLAIMS: ClaimOptions = { groupsPrefixDefault: false };

export function registerSetup(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command(SETUP_COMMAND.name)
    .description(SETUP_COMMAND.description)
    .option('--casdoor-url <url>', 'Casdoor origin, which is the OIDC issuer (https only), e.g. https://door.example.com')
    .option('--organization <name>', 'Casdoor organization of the user (shown in names and group checks; read from the token when absent)')
    .option('--application <name>', 'Casdoor application name (only used to explain a client-id mix-up)')
    .option('--client-id <id>', "the application's Client ID (not its name)")
    .option('--client-secret <secret>', "the application's Client Secret (or env CASDOOR_CLIENT_SECRET): optional, only checked with Casdoor and never written anywhere (it is a Casdoor admin credential; kubectl's refresh does not need it)")
    .option('--username <name>', 'Casdoor username (bare, without the organization); optional with --grant browser/device (then taken from the token)')
    .option('--password-stdin', 'read the password from standard input (or set env CASDOOR_PASSWORD)')
    .option('--casdoor-ca <file>', "extra CA (PEM) to trust for Casdoor's TLS; also stored for kubectl's refresh")
    .option('--server <url>', 'Kubernetes API server URL')
    .option('--certificate-authority <file>', "API server's CA (PEM), embedded as certificate-authority-data")
    .option('--insecure-skip-tls-verify', "don't verify the API server's certificate (unsafe)")
    .option('--insecure-http', 'accept an http:// --server that is not loopback (the id_token then travels unencrypted)')
    .option('--cluster <name>', 'cluster entry name (default: the API server host)')
    .option('--user <name>', 'user entry name (default: <username>@<casdoor host>/<client id>)')
    .option('--context <name>', 'context entry name (default: <username>@<cluster>)')
    .option('--namespace <ns>', 'default namespace for the context')
    .option('--kubeconfig <file>', 'kubeconfig file to change (default: as kubectl picks it: KUBECONFIG, else ~/.kube/config)')
    .option('--output <file|->', 'write a standalone kubeconfig to FILE (or stdout with -) instead of merging')
    .option('--no-set-current-context', "don't switch current-context to the new context")
    .option('--dry-run', 'print what would change (secrets redacted) and write nothing');
  addClaimOptions(cmd, { usernameClaim: "token claim the API server uses as username (default name, or preferred_username when Casdoor's token format is JWT-Standard)" });
  cmd.option('--scope <scopes>', SCOPE_HELP).option('--resource <uri>', RESOURCE_HELP);
  addClaimOptions(
    cmd,
    {
      groupsClaim: 'token claim the API server uses as groups',
      usernamePrefix: "the API server's --oidc-username-prefix: '-' = none, '' = unset (\"<issuer>#\"), as in apiserver-config",
      groupsPrefix: "the API server's --oidc-groups-prefix",
    },
    SETUP_CLAIMS,
  );
  cmd
    .addOption(
      new Option('--mode <mode>', 'auth-provider: tokens stored in the kubeconfig, kubectl refreshes them; exec: kubectl runs `casdoor-kubeconfig token` (tokens in a private cache, no secret in the file)')
        .choices(['auth-provider', 'exec'])
        .default('auth-provider'),
    )
    .option('--exec-command <command>', 'exec mode: the command kubectl runs (default casdoor-kubeconfig); must be on PATH or an executable file (checked before logging in; a relative path is written absolute)')
    .option('--skip-login', 'exec mode: write the entries without logging in; the user logs in on first kubectl use')
    .addOption(new Option('--grant <grant>', GRANT_HELP).choices([...GRANTS]).default('password'))
    .option('--browser-command <command>', 'browser login: command that opens the URL, given as its last argument (default: $BROWSER, else xdg-open/open)')
    .option('--no-browser', 'browser login: only print the URL')
    .option('--force', 'replace a cluster or user entry even when other contexts use it (they are re-pointed too)')
    .option('--listen-address <host:port>', `${LISTEN_ADDRESS_HELP}; exec mode: also written into the exec args`, collectValues)
    .addOption(new Option('--token-cache-storage <where>', `exec mode: ${TOKEN_CACHE_STORAGE_HELP}; written into the exec args`).choices([...TOKEN_STORAGES]))
    .option('--non-interactive', 'never prompt: a missing value is an error')
    .option('--json', 'print a JSON summary on stdout at the end: context, cluster, user, files written, username/groups as the API server will see them, the username claim used, expiry, refresh proof and refresh-token expiry, token format, warnings (no secrets)')
    .addHelpText(
      'after',
      `
Before anything is written, setup logs in, verifies the id_token, and proves the renewal kubectl will
need: one refresh grant (Casdoor rotates the tokens; the new ones are written), which also checks
--client-secret when given. A wrong secret fails with exit 3 and the kubeconfig untouched. Casdoor does
not check the secret at login, and it accepts any application's client id and secret as an
administrator of its whole API, so the secret is never written anywhere: kubectl renews the token
without it. The summary (and --json) shows until when the token can be renewed, Casdoor's token format,
and the username claim used (default name; preferred_username for the JWT-Standard format).

No scope is asked for unless --scope is given: Casdoor's tokens carry the same claims whatever the
scope, and an application that defines Scopes refuses any scope it does not list.`,
    )
    .action(async (flags: SetupFlags) => {
      const out = ctx.output();
      const { clientOf, runSetup, setupSummary } = await import('../usecases/setup.js');
      const { keyOf, loginWithGrant, storeLogin } = await import('../usecases/token.js');
      const { httpFactory, loginDepsFor } = await import('./deps.js');
      const deps: SetupDeps = {
        out,
        env: ctx.io.env,
        homeDir: ctx.io.homeDir,
        now: ctx.io.now,
        makeHttp: httpFactory(ctx.io.env, out),
        storeTokens: async (given, login) => {
          // The key the written exec args name (keyOf = cacheKeyFromArgs of the hot path).
          const key = keyOf({ ...given, grant: given.grant ?? 'password', ...(given.casdoorCaFile ? { casdoorCaFile: path.resolve(given.casdoorCaFile) } : {}) });
          await storeLogin(key, login, { homeDir: ctx.io.homeDir, env: ctx.io.env }, given.tokenCacheStorage ?? 'disk');
        },
        grantLogin: (session, given) =>
          loginWithGrant(session, clientOf(given), { grant: given.grant ?? 'password', username: given.username, password: given.password, scope: given.scope }, loginDepsFor(ctx.io, out, { browserCommand: given.browserCommand, browser: !given.noBrowser, listenAddress: given.listenAddresses })),
      };
      // A person at a terminal and no --non-interactive: the wizard (loaded only then: it pulls in inquirer).
      if (flags.json && flags.output === '-') throw usageError('--json and --output - both print on standard output: give one of them.');
      if (!flags.nonInteractive && ctx.io.stdin.isTTY && ctx.io.stderr.isTTY) {
        const { runWizardCommand } = await import('../wizard/index.js');
        const wizard = await runWizardCommand(flags, givenOptions(cmd), deps, ctx.io);
        // The prompts are on stderr, so stdout carries the same summary as without the wizard.
        if (flags.json && wizard.result) out.data(JSON.stringify(setupSummary(wizard.input, wizard.result), null, 2));
        return;
      }
      const input = await setupInputFromFlags({ ...flags, usernameClaimGiven: cmd.getOptionValueSource('usernameClaim') !== 'default' }, ctx.io.env, ctx.io.stdin);
      const result = await runSetup(input, deps);
      if (flags.json) out.data(JSON.stringify(setupSummary(input, result), null, 2));
    });
}

/** The options whose value came from the command line or the environment, not from a default. */
function givenOptions(cmd: Command): Set<string> {
  return new Set(Object.keys(cmd.opts()).filter((k) => !['default', undefined].includes(cmd.getOptionValueSource(k))));
}

const REQUIRED: Array<[keyof SetupFlags | 'password', string]> = [
  ['casdoorUrl', '--casdoor-url'],
  ['clientId', '--client-id'],
  ['username', '--username'],
  ['password', '--password-stdin (or CASDOOR_PASSWORD)'],
  ['server', '--server'],
];

/** Turns flags (plus env, files and stdin) into a SetupInput, or a usage error naming what is missing. */
export async function setupInputFromFlags(flags: SetupFlags, env: NodeJS.ProcessEnv, stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<SetupInput> {
  const clientSecret = secretFrom(flags.clientSecret, env, 'CASDOOR_CLIENT_SECRET');
  const password = flags.passwordStdin ? await readPasswordFromStdin(stdin) : secretFrom(undefined, env, 'CASDOOR_PASSWORD');
  if (flags.skipLogin && flags.mode !== 'exec') throw usageError('--skip-login needs --mode exec (an auth-provider entry must carry tokens).');
  if (flags.execCommand !== undefined && flags.mode !== 'exec') throw usageError('--exec-command needs --mode exec.');
  // The values given are checked before the missing flags are named: "http is not accepted, use
  // https://…" must not hide behind "missing --server".
  const casdoorUrl = flags.casdoorUrl ? parseCasdoorUrl(flags.casdoorUrl) : undefined;
  const server = flags.server ? serverUrlFlag(flags.server, '--server', { insecureHttp: Boolean(flags.insecureHttp) }) : undefined;
  if (flags.certificateAuthority && flags.insecureSkipTlsVerify) {
    throw usageError('--certificate-authority and --insecure-skip-tls-verify cannot both be given.');
  }
  if (flags.output !== undefined && flags.kubeconfig !== undefined) {
    throw usageError('--output writes a standalone file and --kubeconfig names a file to merge into: give one of them.');
  }
  if (flags.namespace !== undefined) namespaceFlag(flags.namespace);
  for (const [flag, v] of [['--cluster', flags.cluster], ['--user', flags.user], ['--context', flags.context]] as const) {
    if (v !== undefined && v.trim() === '') throw usageError(`${flag} must not be empty.`);
  }
  checkClaimFlags(flags);
  const skipLogin = flags.mode === 'exec' && Boolean(flags.skipLogin);
  const grant = flags.grant ?? 'password';
  if (grant === 'client-credentials') {
    // No refresh token comes with it (Casdoor GetClientCredentialsToken), so kubectl's own oidc refresh
    // could never renew an auth-provider entry; and the secret that renews it must not be in the file.
    if (flags.mode !== 'exec') throw usageError('--grant client-credentials needs --mode exec: kubectl cannot renew such a token itself (there is no refresh token), the plugin can.');
    if (flags.username) throw usageError('--grant client-credentials signs in as the application itself: leave out --username.');
    if (!clientSecret && !skipLogin) throw usageError('--grant client-credentials needs the client secret: set CASDOOR_CLIENT_SECRET (or --client-secret); it is not written into the kubeconfig.');
  }
  checkResource(flags.resource, grant, 'setup');
  // Only the password grant needs a password and a username up front; browser and device logins ask
  // Casdoor's own pages, and the token then says who logged in.
  const have: Record<string, unknown> = {
    ...flags,
    password: skipLogin || grant !== 'password' ? '-' : password,
    username: grant !== 'password' ? '-' : flags.username,
  };
  const missing = REQUIRED.filter(([k]) => have[k] === undefined || have[k] === '').map(([, flag]) => flag);
  if (missing.length || casdoorUrl === undefined || server === undefined) {
    throw usageError(`missing ${missing.join(', ')}.`, 'Run casdoor-kubeconfig setup --help for every flag, or run it in a terminal without --non-interactive to be asked.');
  }
  // Before any login: kubectl must be able to run the exec entry's command (usecases/exec-command.ts).
  // Loaded here: it pulls in install-info, which no command's start-up needs.
  const { checkedExecCommand } = await import('../usecases/exec-command.js');
  const execCommand = flags.mode === 'exec' ? checkedExecCommand(flags.execCommand, env, process.cwd()) : undefined;
  const casdoorCaPem = flags.casdoorCa ? await readPemFile('--casdoor-ca', flags.casdoorCa) : undefined;
  const apiCaPem = flags.certificateAuthority ? await readPemFile('--certificate-authority', flags.certificateAuthority) : undefined;
  return {
    casdoorUrl,
    ...(flags.organization ? { organization: flags.organization } : {}),
    ...(flags.application ? { application: flags.application } : {}),
    clientId: flags.clientId as string,
    ...(clientSecret ? { clientSecret } : {}),
    // '' when not given (browser/device): the exec entry then names no --username.
    username: flags.username ?? '',
    password: password ?? '',
    ...(casdoorCaPem ? { casdoorCaPem, casdoorCaFile: path.resolve(flags.casdoorCa as string) } : {}),
    server,
    ...(apiCaPem ? { certificateAuthorityData: Buffer.from(apiCaPem).toString('base64') } : {}),
    insecureSkipTlsVerify: Boolean(flags.insecureSkipTlsVerify),
    names: {
      ...(flags.cluster ? { cluster: flags.cluster } : {}),
      ...(flags.user ? { user: flags.user } : {}),
      ...(flags.context ? { context: flags.context } : {}),
    },
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.output ? { output: flags.output } : {}),
    ...settingsFromFlags(flags),
    ...(execCommand !== undefined && execCommand !== 'casdoor-kubeconfig' ? { execCommand } : {}),
    mode: flags.mode,
    ...(skipLogin ? { skipLogin } : {}),
    ...(grant !== 'password' ? { grant } : {}),
    ...(flags.scope ? { scope: flags.scope } : {}),
    // Left at its default, the username claim follows the token format found at login.
    ...(flags.usernameClaimGiven === false ? { usernameClaimGiven: false } : {}),
  };
}

/** The settings that have no wizard question, from the flags: shared by setup --non-interactive and the wizard. */
export function settingsFromFlags(flags: SetupFlags): WizardSettings {
  return {
    setCurrentContext: flags.setCurrentContext,
    dryRun: Boolean(flags.dryRun),
    // --username-prefix '' = the API server's flag left unset ("<issuer>#"), as in apiserver-config, whoami and generate.
    ...claimSettings(flags, SETUP_CLAIMS),
    ...(flags.execCommand ? { execCommand: flags.execCommand } : {}),
    ...(flags.browserCommand ? { browserCommand: flags.browserCommand } : {}),
    ...(flags.browser === false ? { noBrowser: true } : {}),
    ...(flags.force ? { force: true } : {}),
    ...(flags.scope ? { scope: flags.scope } : {}),
    ...(flags.resource !== undefined ? { resource: flags.resource } : {}),
    // Checked here (a usage error), and kept in a normal form for the exec args.
    ...(flags.listenAddress?.length ? { listenAddresses: flags.listenAddress.map((a) => formatListenAddress(parseListenAddress(a))) } : {}),
    ...(flags.tokenCacheStorage ? { tokenCacheStorage: flags.tokenCacheStorage } : {}),
  };
}
