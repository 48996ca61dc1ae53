/** `generate`: flags + roster (+ password file) → GenerateInput → usecases/generate. */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { usageError } from '../errors.js';
import { parseCasdoorUrl } from '../oidc/issuer.js';
import { registerSecret } from '../redact.js';
import type { GenerateFormat, GenerateInput } from '../usecases/generate.js';
import type { SetupMode } from '../usecases/setup.js';
import { readPemFile, readTextFile, secretFrom, unreadableFile } from './inputs.js';
import type { Io } from '../ports/io.js';
import type { CommandContext, CommandListing } from './main.js';
import { addClaimOptions, claimSettings, namespaceFlag, serverUrlFlag } from './validate.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const GENERATE_COMMAND: CommandListing = {
  name: 'generate',
  term: 'generate [options]',
  description:
    'Write one standalone kubeconfig per teammate of a roster (YAML or CSV): exec mode with no secrets by default, or tokens fetched per user with --mode auth-provider --passwords FILE.',
};

export interface GenerateFlags {
  roster?: string;
  outDir?: string;
  casdoorUrl?: string;
  clientId?: string;
  clientSecret?: string;
  casdoorCa?: string;
  casdoorCaPath?: string;
  server?: string;
  certificateAuthority?: string;
  insecureSkipTlsVerify?: boolean;
  insecureHttp?: boolean;
  cluster?: string;
  namespace?: string;
  mode: SetupMode;
  execCommand?: string;
  passwords?: string;
  usernameClaim: string;
  /** Set by the action: --username-claim was given (not its default). */
  usernameClaimGiven?: boolean;
  groupsClaim: string;
  usernamePrefix: string;
  groupsPrefix: string;
  offline?: boolean;
  output: GenerateFormat;
}

const EXAMPLES = `
Roster (YAML or CSV; by extension, else sniffed):
  # team.yaml                              # team.csv
  - alice                                  username,namespace,context
  - username: bob                          alice,team-a,
    namespace: team-b                      bob,team-b,bob@prod
    context: bob@prod
  Fields/columns: username (required), namespace, context, cluster, user (entry names; defaults as in setup).
  Without a header line, CSV columns are taken in that order.

Passwords (auth-provider mode; the file must not be readable by group or others: chmod 600):
  alice: correct-horse                     username,password
  bob: battery-staple                      alice,correct-horse

Examples:
  # No secrets in the files: each teammate logs in on first kubectl use (exec plugin)
  casdoor-kubeconfig generate --roster team.yaml --out-dir kubeconfigs \\
    --casdoor-url https://door.example.com --client-id 294b09fbc17f95daf2fe \\
    --server https://api.k8s.example.com:6443 --certificate-authority ca.crt

  # Tokens fetched now, one login per teammate (kubectl's oidc auth-provider)
  casdoor-kubeconfig generate --roster team.csv --out-dir kubeconfigs --mode auth-provider --passwords pw.yaml …

Each file is standalone (its own cluster, user, context and current-context), mode 0600, named
<username>.kubeconfig (characters other than letters, digits and ._@+- become _), in --out-dir
(created 0700). A bad row or a failed login does not stop the others; the summary lists every row and
the exit status is the first failure's (2 for a bad row, 3 for a refused login …).`;

export function registerGenerate(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command(GENERATE_COMMAND.name)
    .description(GENERATE_COMMAND.description)
    .option('--roster <file>', 'the teammates: YAML or CSV (username, optional namespace/context/cluster/user names) (required)')
    .option('--out-dir <dir>', 'folder for the kubeconfigs, created 0700 if missing (required)')
    .option('--casdoor-url <url>', 'Casdoor origin = the OIDC issuer (https only) (required)')
    .option('--client-id <id>', "the application's Client ID (not its name) (required)")
    .option('--client-secret <secret>', "auth-provider mode: checked once with Casdoor, never written into the files (it is a Casdoor admin credential; kubectl's refresh does not need it) (or env CASDOOR_CLIENT_SECRET)")
    .option('--casdoor-ca <file>', "CA (PEM) of Casdoor's TLS certificate: trusted here; embedded in auth-provider files, referenced by path in exec files")
    .option('--casdoor-ca-path <path>', "exec mode: where Casdoor's CA is on the teammates' machines (default: the absolute --casdoor-ca path)")
    .option('--server <url>', 'Kubernetes API server URL (required)')
    .option('--certificate-authority <file>', "API server's CA (PEM), embedded as certificate-authority-data")
    .option('--insecure-skip-tls-verify', "don't verify the API server's certificate (unsafe)")
    .option('--insecure-http', 'accept an http:// --server that is not loopback (the id_token then travels unencrypted)')
    .option('--cluster <name>', 'cluster entry name for rows that give none (default: the API server host)')
    .option('--namespace <ns>', 'default namespace for rows that give none')
    .addOption(new Option('--mode <mode>', 'exec: kubectl runs `casdoor-kubeconfig token` (no secrets in the files); auth-provider: tokens in the files (needs --passwords)').choices(['exec', 'auth-provider']).default('exec'))
    .option('--exec-command <command>', 'exec mode: the command kubectl runs on the teammates\' machines', 'casdoor-kubeconfig')
    .option('--passwords <file>', 'auth-provider mode: username→password file (YAML or CSV), not readable by group or others');
  addClaimOptions(cmd, {
    usernameClaim: "the API server's username claim, checked per user in auth-provider mode (default name; there, preferred_username for tokens in Casdoor's JWT-Standard format)",
    groupsClaim: "the API server's groups claim",
    usernamePrefix: "the API server's --oidc-username-prefix ('-' = none, '' = unset)",
    groupsPrefix: "the API server's --oidc-groups-prefix ('' = none)",
  });
  cmd
    .option('--offline', "exec mode: don't check Casdoor's discovery document first")
    .addOption(new Option('-o, --output <format>', 'summary format').choices(['text', 'json']).default('text'))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: GenerateFlags) => {
      const out = ctx.output();
      const input = await generateInputFromFlags({ ...flags, usernameClaimGiven: cmd.getOptionValueSource('usernameClaim') !== 'default' }, ctx.io);
      const { runGenerate } = await import('../usecases/generate.js');
      const { httpFactory } = await import('./deps.js');
      const { checkOutDir } = await import('../kubeconfig/out-dir.js');
      await runGenerate(input, {
        out,
        now: ctx.io.now,
        makeHttp: httpFactory(ctx.io.env, out),
        makeOutDir: async (dir) => {
          try {
            await mkdir(dir, { recursive: true, mode: 0o700 });
          } catch (err) {
            throw usageError(`--out-dir: cannot create ${dir} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`);
          }
          if (!(await stat(dir)).isDirectory()) throw usageError(`--out-dir: ${dir} is not a folder.`);
          await checkOutDir(dir);
        },
      });
    });
}

/**
 * Reads the password file, refusing one that group or others can read (it holds every teammate's password).
 * `missing: 'empty'`: a file that does not exist is read as empty (casdoor-app creates it).
 */
export async function readPasswordsFile(file: string, opts: { missing?: 'empty' } = {}): Promise<Map<string, string>> {
  let st;
  try {
    st = await stat(file);
  } catch (err) {
    if (opts.missing === 'empty' && (err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw unreadableFile('--passwords', file, err);
  }
  if (!st.isFile()) throw usageError(`--passwords: ${file} is not a regular file.`);
  if ((st.mode & 0o077) !== 0) {
    const who = [(st.mode & 0o070) !== 0 && 'its group', (st.mode & 0o007) !== 0 && 'everyone'].filter(Boolean).join(' and ');
    throw usageError(
      `--passwords: ${file} is accessible to ${who} (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); it holds passwords, so it is refused.`,
      `Restrict it first: chmod 600 ${file}`,
    );
  }
  const { parsePasswords } = await import('../usecases/roster.js');
  const passwords = parsePasswords(await readTextFile('--passwords', file), file);
  for (const pw of passwords.values()) registerSecret(pw);
  return passwords;
}

/** Turns flags (plus the roster, password and CA files) into a GenerateInput, or a usage error naming what is wrong. */
export async function generateInputFromFlags(flags: GenerateFlags, io: Pick<Io, 'env' | 'cwd'>): Promise<GenerateInput> {
  // The values given are checked before the missing flags are named: an http --casdoor-url deserves
  // its explanation even when --server is missing too.
  const casdoorUrl = flags.casdoorUrl ? parseCasdoorUrl(flags.casdoorUrl) : undefined;
  const server = flags.server ? serverUrlFlag(flags.server, '--server', { insecureHttp: Boolean(flags.insecureHttp) }) : undefined;
  if (flags.namespace !== undefined) namespaceFlag(flags.namespace);
  if (flags.cluster !== undefined && flags.cluster.trim() === '') throw usageError('--cluster must not be empty.');
  if (flags.execCommand !== undefined && flags.execCommand.trim() === '') throw usageError('--exec-command must not be empty.');
  const missing = (
    [
      ['roster', '--roster'],
      ['outDir', '--out-dir'],
      ['casdoorUrl', '--casdoor-url'],
      ['clientId', '--client-id'],
      ['server', '--server'],
    ] as const
  ).filter(([k]) => !flags[k]).map(([, f]) => f);
  if (missing.length || casdoorUrl === undefined || server === undefined) {
    throw usageError(`missing ${missing.join(', ')}.`, 'Run casdoor-kubeconfig generate --help for every flag and the roster format.');
  }
  if (flags.mode === 'auth-provider' && !flags.passwords) {
    throw usageError('--mode auth-provider needs --passwords FILE: each file carries tokens from a real login.', 'Or leave --mode at exec: the files then hold no secrets and each teammate logs in on first use.');
  }
  if (flags.mode === 'exec' && flags.passwords) {
    throw usageError('--passwords only applies with --mode auth-provider (exec files carry no tokens).');
  }
  if (flags.mode !== 'exec' && flags.casdoorCaPath) throw usageError('--casdoor-ca-path only applies with --mode exec (auth-provider files embed the CA).');
  if (flags.mode !== 'exec' && flags.offline) throw usageError('--offline only applies with --mode exec (auth-provider mode logs in).');
  if (flags.certificateAuthority && flags.insecureSkipTlsVerify) throw usageError('--certificate-authority and --insecure-skip-tls-verify cannot both be given.');

  const rosterFile = path.resolve(io.cwd, flags.roster as string);
  const { parseRoster } = await import('../usecases/roster.js');
  const roster = parseRoster(await readTextFile('--roster', rosterFile), flags.roster as string);
  const passwords = flags.passwords ? await readPasswordsFile(path.resolve(io.cwd, flags.passwords)) : undefined;
  const clientSecret = flags.mode === 'auth-provider' ? secretFrom(flags.clientSecret, io.env, 'CASDOOR_CLIENT_SECRET') : undefined;
  if (flags.mode === 'exec' && flags.clientSecret) throw usageError('--client-secret only applies with --mode auth-provider (exec files carry no secret).');
  const casdoorCaFile = flags.casdoorCa ? path.resolve(io.cwd, flags.casdoorCa) : undefined;
  const casdoorCaPem = casdoorCaFile ? await readPemFile('--casdoor-ca', casdoorCaFile) : undefined;
  const apiCaPem = flags.certificateAuthority ? await readPemFile('--certificate-authority', path.resolve(io.cwd, flags.certificateAuthority)) : undefined;
  const casdoorCaPath = flags.mode === 'exec' ? flags.casdoorCaPath ?? casdoorCaFile : undefined;

  return {
    roster,
    outDir: path.resolve(io.cwd, flags.outDir as string),
    casdoorUrl,
    clientId: flags.clientId as string,
    ...(clientSecret ? { clientSecret } : {}),
    ...(casdoorCaPem ? { casdoorCaPem } : {}),
    ...(casdoorCaPath ? { casdoorCaPath } : {}),
    server,
    ...(apiCaPem ? { certificateAuthorityData: Buffer.from(apiCaPem).toString('base64') } : {}),
    insecureSkipTlsVerify: Boolean(flags.insecureSkipTlsVerify),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    ...(flags.cluster ? { cluster: flags.cluster } : {}),
    mode: flags.mode,
    ...(flags.mode === 'exec' && flags.execCommand ? { execCommand: flags.execCommand } : {}),
    ...(passwords ? { passwords } : {}),
    ...claimSettings(flags),
    // Left at its default, the username claim follows each token's format (JWT-Standard: preferred_username).
    ...(flags.usernameClaimGiven === false ? { usernameClaimGiven: false } : {}),
    offline: Boolean(flags.offline),
    output: flags.output,
  };
}
