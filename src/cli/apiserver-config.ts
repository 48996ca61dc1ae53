/** `apiserver-config`: flags → ApiserverConfigInput → usecases/apiserver-config. */
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { usageError } from '../errors.js';
import { parseCasdoorUrl } from '../oidc/issuer.js';
import { checkResourceUri } from '../oidc/resource.js';
import { APISERVER_CA_FILE, APISERVER_FORMATS, KUBE_SIGNING_ALGS, MINIKUBE_CA_FILE, type ApiserverFormat } from '../usecases/apiserver-options.js';
import type { ApiserverConfigInput } from '../usecases/apiserver-config.js';
import { readPasswordFromStdin, readPemFile, secretFrom } from './inputs.js';
import type { Io } from '../ports/io.js';
import type { CommandContext, CommandListing } from './main.js';
import { addClaimOptions, claimSettings } from './validate.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const APISERVER_CONFIG_COMMAND: CommandListing = {
  name: 'apiserver-config',
  term: 'apiserver-config [options]',
  description:
    'Print what kube-apiserver needs to accept Casdoor id_tokens: the --oidc-* flags for a static pod manifest, the minikube start line, ' +
        'and an AuthenticationConfiguration (--authentication-config). Checks the issuer against Casdoor\'s discovery first; ' +
        'with --from-token also logs in and checks the claims it maps. Config on stdout, messages on stderr.',
};

export interface ApiserverConfigFlags {
  casdoorUrl?: string;
  clientId?: string;
  audience?: string;
  resource?: string;
  usernameClaim: string;
  groupsClaim: string;
  usernamePrefix: string;
  groupsPrefix: string;
  casdoorCa?: string;
  kubernetesVersion: string;
  signingAlgs: string;
  format: ApiserverFormat;
  offline?: boolean;
  fromToken?: boolean;
  username?: string;
  passwordStdin?: boolean;
  clientSecret?: string;
}

const EXAMPLES = `
Examples:
  # Everything (flags, minikube, AuthenticationConfiguration), after checking Casdoor's discovery:
  casdoor-kubeconfig apiserver-config --casdoor-url https://door.example.com --client-id 0ba5…

  # Only the AuthenticationConfiguration for Kubernetes 1.34, with a private CA inlined:
  casdoor-kubeconfig apiserver-config --casdoor-url https://door.example.com --client-id 0ba5… \\
    --casdoor-ca casdoor-ca.pem --kubernetes-version 1.34 --format authentication-config > authn.yaml

  # Prove the mapping with a real login (password on stdin), then print the minikube line:
  printenv PW | casdoor-kubeconfig apiserver-config --casdoor-url https://door.example.com \\
    --client-id 0ba5… --from-token --username alice --password-stdin --format minikube

Notes:
  --username-prefix '-' (default) means no prefix; an empty value ('') leaves kube-apiserver's flag unset,
  which prefixes "<issuer>#" to every username unless the claim is email (written out explicitly in the
  AuthenticationConfiguration, whose prefixes are required).
  --casdoor-ca: the flags read it from ${APISERVER_CA_FILE}, minikube from ${MINIKUBE_CA_FILE};
  the AuthenticationConfiguration carries the PEM inline.
  --offline prints without contacting Casdoor: nothing then checks that the issuer is exactly Casdoor's.
  Refresh tokens: Casdoor's refresh token is a JWT with the same key, iss and aud; the output requires
  tokenType=access-token (--oidc-required-claim; claimValidationRules, plus a TokenType rule for the JWT-Custom
  format, which only the AuthenticationConfiguration can express). With --username-claim email the
  AuthenticationConfiguration also requires email_verified=true (the flags cannot).
  --from-token: the audience printed is the one the token carries (a shared application's
  <client id>-org-<organization>), and tokenType is left out only when the token has no such claim.`;

export function registerApiserverConfig(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command(APISERVER_CONFIG_COMMAND.name)
    .description(APISERVER_CONFIG_COMMAND.description)
    .option('--casdoor-url <url>', 'Casdoor origin = the OIDC issuer (https only), exactly as tokens carry it in "iss" (required)')
    .option('--client-id <id>', "the application's Client ID (not its name); the API server's audience (required)")
    .option('--audience <aud>', "the audience tokens carry when it is not the client ID: a shared application's <client id>-org-<organization>, or an RFC 8707 resource URL (--from-token finds it)")
    .option('--resource <uri>', 'the RFC 8707 resource this cluster\'s users log in with (setup/token --resource, browser grant): tokens then carry it as their audience instead of the client ID, so it is printed as --oidc-client-id / audiences (an absolute URI)');
  addClaimOptions(cmd, {
    usernameClaim: 'token claim used as the username (Casdoor: "name" = the username; "sub" is an opaque ID)',
    groupsClaim: 'token claim used as groups (Casdoor: "groups", values "<org>/<group>")',
    usernamePrefix: "--oidc-username-prefix: '-' = none, '' = flag unset (\"<issuer>#\"), else prepended",
    groupsPrefix: "--oidc-groups-prefix, prepended to every group ('' = none)",
  });
  cmd
    .option('--casdoor-ca <file>', "CA (PEM) of Casdoor's TLS certificate, when not a public CA: trusted for discovery/login and written into the output")
    .option('--kubernetes-version <version>', 'version of the cluster; picks the AuthenticationConfiguration apiVersion (1.30–1.33 v1beta1, 1.34+ v1; before 1.30 only the flags are printed)', '1.32')
    .option('--signing-algs <algs>', `--oidc-signing-algs, comma-separated (${KUBE_SIGNING_ALGS.join(', ')}); flags and minikube only: an AuthenticationConfiguration has no algorithm list`, 'RS256')
    .addOption(new Option('--format <format>', 'what to print').choices([...APISERVER_FORMATS]).default('all'))
    .option('--offline', "don't fetch Casdoor's discovery document (no issuer check)")
    .option('--from-token', 'log in once (password grant) and check that the mapped claims exist with the right types')
    .option('--username <name>', 'with --from-token: Casdoor username (bare, without the organization)')
    .option('--password-stdin', 'with --from-token: read the password from standard input (or set env CASDOOR_PASSWORD)')
    .option('--client-secret <secret>', 'with --from-token: the Client Secret if the application needs it (or env CASDOOR_CLIENT_SECRET)')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: ApiserverConfigFlags) => {
      const out = ctx.output();
      const input = await apiserverConfigInputFromFlags(flags, ctx.io);
      const { runApiserverConfig } = await import('../usecases/apiserver-config.js');
      const { httpFactory } = await import('./deps.js');
      await runApiserverConfig(input, {
        out,
        now: ctx.io.now,
        makeHttp: httpFactory(ctx.io.env, out),
      });
    });
}

/** Line breaks and other control characters would break the comment lines and YAML printed. */
const CONTROL = { test: (s: string): boolean => [...s].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\u007f') };

function checkToken(flag: string, value: string, what: string): string {
  if (value.trim() === '' || /\s/.test(value) || CONTROL.test(value)) throw usageError(`${flag}: "${value}" is not a valid ${what} (empty or contains spaces).`);
  return value;
}

function checkPrefix(flag: string, value: string): string {
  if (CONTROL.test(value)) throw usageError(`${flag} must not contain control characters or line breaks.`);
  return value;
}

/** Casdoor object/token_jwt.go: aud is the client id, `<clientId>-org-<organization>` (shared app) or the RFC 8707 resource. */
async function checkAudience(audience: string, clientId: string): Promise<string> {
  const { audienceKind } = await import('../oidc/kube-rules.js');
  let isUrl = false;
  try {
    isUrl = new URL(audience).protocol !== '';
  } catch {
    isUrl = false;
  }
  if (audienceKind(audience, clientId) === undefined && !isUrl) {
    throw usageError(
      `--audience: "${audience}" is not an audience Casdoor puts in tokens for client ${clientId}.`,
      `Casdoor's tokens carry the client ID, "${clientId}-org-<organization>" for a shared application, or the RFC 8707 resource URL that was requested (--from-token shows which).`,
    );
  }
  return audience;
}

/** Turns flags (plus env, files and stdin) into an ApiserverConfigInput, or a usage error naming what is wrong. */
export async function apiserverConfigInputFromFlags(flags: ApiserverConfigFlags, io: Pick<Io, 'env' | 'stdin' | 'cwd'>): Promise<ApiserverConfigInput> {
  const missing = [
    ...(flags.casdoorUrl ? [] : ['--casdoor-url']),
    ...(flags.clientId ? [] : ['--client-id']),
  ];
  if (missing.length) throw usageError(`missing ${missing.join(', ')}.`, 'Run casdoor-kubeconfig apiserver-config --help for every flag.');
  const issuer = parseCasdoorUrl(flags.casdoorUrl as string);
  const clientId = checkToken('--client-id', flags.clientId as string, 'client ID');
  let audience = flags.audience === undefined ? undefined : await checkAudience(checkToken('--audience', flags.audience, 'audience'), clientId);
  if (flags.resource !== undefined) {
    // Casdoor object/token_jwt.go generateJwtToken: with a resource, aud = [resource] and not the client id,
    // so the API server's audience (go-oidc verify.go Verify, exact) must be the resource itself.
    checkResourceUri(checkToken('--resource', flags.resource, 'resource'), 'apiserver-config');
    if (audience !== undefined && audience !== flags.resource) {
      throw usageError(`--audience ${audience} and --resource ${flags.resource} name different audiences: tokens of a --resource login carry only the resource.`, 'Give one of them.');
    }
    if (flags.fromToken) {
      throw usageError(
        '--from-token logs in with the password grant, and Casdoor sends a resource only in the authorization-code flow (object/token_oauth.go GetPasswordToken takes none): its token would carry the client ID, not the resource.',
        'Leave out --from-token; "casdoor-kubeconfig token --grant browser --resource URI --raw" gets a token to check with whoami.',
      );
    }
    audience = flags.resource;
  }
  const { parseKubernetesVersion, parseSigningAlgs } = await import('../usecases/apiserver-config.js');
  const usernameClaim = checkToken('--username-claim', flags.usernameClaim, 'claim name');
  const groupsClaim = checkToken('--groups-claim', flags.groupsClaim, 'claim name');
  const usernamePrefix = checkPrefix('--username-prefix', flags.usernamePrefix);
  const groupsPrefix = checkPrefix('--groups-prefix', flags.groupsPrefix);
  const kubernetesVersion = parseKubernetesVersion(flags.kubernetesVersion);
  const signingAlgs = parseSigningAlgs(flags.signingAlgs);

  if (flags.offline && flags.fromToken) throw usageError('--from-token logs in to Casdoor: it cannot be combined with --offline.');
  if (!flags.fromToken) {
    const stray = [flags.username !== undefined && '--username', flags.passwordStdin && '--password-stdin', flags.clientSecret !== undefined && '--client-secret'].filter(Boolean);
    if (stray.length) throw usageError(`${stray.join(', ')} only ${stray.length === 1 ? 'applies' : 'apply'} with --from-token.`, 'Add --from-token to check the claims with a real login.');
  }

  let fromToken: ApiserverConfigInput['fromToken'];
  if (flags.fromToken) {
    const clientSecret = secretFrom(flags.clientSecret, io.env, 'CASDOOR_CLIENT_SECRET');
    const password = flags.passwordStdin ? await readPasswordFromStdin(io.stdin) : secretFrom(undefined, io.env, 'CASDOOR_PASSWORD');
    const need = [...(flags.username ? [] : ['--username']), ...(password ? [] : ['--password-stdin (or CASDOOR_PASSWORD)'])];
    if (need.length) throw usageError(`--from-token needs ${need.join(' and ')}.`);
    fromToken = { username: flags.username as string, password: password as string, ...(clientSecret ? { clientSecret } : {}) };
  }

  let casdoorCa: { file: string; pem: string } | undefined;
  if (flags.casdoorCa !== undefined) {
    // Absolute, so the copy instructions printed still work from another folder.
    const file = path.resolve(io.cwd, flags.casdoorCa);
    casdoorCa = { file, pem: await readPemFile('--casdoor-ca', file) };
  }

  return {
    settings: {
      issuer,
      clientId,
      ...(audience !== undefined && audience !== clientId ? { audience } : {}),
      // A prefix of '' = kube-apiserver's flag left unset; see the help text.
      ...claimSettings({ usernameClaim, groupsClaim, usernamePrefix, groupsPrefix }),
      signingAlgs,
      ...(casdoorCa ? { casdoorCa } : {}),
      kubernetesVersion,
    },
    format: flags.format,
    offline: Boolean(flags.offline),
    ...(fromToken ? { fromToken } : {}),
  };
}
