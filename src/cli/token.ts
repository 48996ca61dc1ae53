/**
 * `token`: flags → TokenInput → usecases/token. kubectl runs this for every command of an exec-mode
 * context; src/bin.ts answers from a fresh cache before this module is even loaded (src/token/fast.ts),
 * so everything here runs only when a refresh or a login is due, or for --help.
 */
import { TOKEN_STORAGES, type TokenStorage } from '../token/storage-kinds.js';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { usageError } from '../errors.js';
import { parseCasdoorUrl } from '../oidc/issuer.js';
import { parseListenAddress } from '../oidc/loopback.js';
import { checkResource } from '../oidc/resource.js';
import { GRANTS, type GrantType } from '../usecases/grants.js';
import type { TokenInput } from '../usecases/token.js';
import { readPemFile, secretFrom } from './inputs.js';
import type { CommandContext, CommandListing } from './main.js';

/** What `--help` lists for this command (main.ts lists it from here without registering it). */
export const TOKEN_COMMAND: CommandListing = {
  name: 'token',
  term: 'token [options]',
  description:
    'Print an ExecCredential for kubectl (exec credential plugin): the cached id_token, refreshed under a lock when it expires, or a new login when the refresh token is dead. stdout carries only the credential; messages go to stderr.',
};

export interface TokenFlags {
  casdoorUrl?: string;
  clientId?: string;
  clientSecret?: string;
  casdoorCa?: string;
  grant?: GrantType;
  username?: string;
  scope?: string;
  resource?: string;
  raw?: boolean;
  browserCommand?: string;
  /** commander's --no-browser. */
  browser?: boolean;
  listenAddress?: string[];
  tokenCacheStorage?: TokenStorage;
}

export const collectValues = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export const LISTEN_ADDRESS_HELP =
  'browser login: where the sign-in callback listens, HOST:PORT (repeatable: the first free one wins; default 127.0.0.1 on a random port); pin it for SSH or container port forwarding';

export const TOKEN_CACHE_STORAGE_HELP =
  'where tokens are kept: disk (default: id_token and refresh token in a 0600 file), keyring (the refresh token in the OS keychain — macOS Keychain, Windows Credential Manager, a Linux Secret Service — the short-lived id_token in the 0600 file; no keychain is an error, never a silent fallback to disk), none (nothing kept: every kubectl command logs in again, so only for CI with CASDOOR_PASSWORD or client-credentials)';

export const GRANT_HELP =
  'how to log in when needed: password (CASDOOR_PASSWORD, or asked in a terminal), browser (authorization code + PKCE via 127.0.0.1), device (a code to enter on any device), client-credentials (the application itself, for CI: CASDOOR_CLIENT_SECRET)';

export const SCOPE_HELP =
  "scopes to ask Casdoor for at a login, space-separated (default: none, which Casdoor always accepts; an application that defines Scopes refuses any it does not list); a refresh keeps the login's scope";

export const RESOURCE_HELP =
  "RFC 8707 resource (an absolute URI naming one cluster; --grant browser only): Casdoor (v2.318+) puts it in the token's aud instead of the client ID, so a token for one cluster is refused by another; the API server then expects it as its audience (apiserver-config --resource); part of the cache key";

export const ENVIRONMENT_HELP = `
Environment:
  CASDOOR_PASSWORD              password for --grant password (otherwise asked in a terminal)
  CASDOOR_CLIENT_SECRET         the application's client secret: required by --grant client-credentials; Casdoor needs
                                it for none of the other grants (it checks it on a refresh only when one is sent);
                                never written anywhere
  BROWSER                       command that opens the sign-in URL (like --browser-command)
  KUBERNETES_EXEC_INFO          set by kubectl; the ExecCredential apiVersion it asks for (v1 or v1beta1)
  CASDOOR_KUBECONFIG_CACHE_DIR  token cache folder (default ~/.kube/cache/casdoor-kubeconfig)`;

export async function tokenInputFromFlags(flags: TokenFlags, env: NodeJS.ProcessEnv): Promise<TokenInput> {
  const missing = [
    ['--casdoor-url', flags.casdoorUrl],
    ['--client-id', flags.clientId],
  ].filter(([, v]) => !v).map(([f]) => f);
  if (missing.length) throw usageError(`token: missing ${missing.join(', ')}.`, 'Run casdoor-kubeconfig token --help.');
  const grant = flags.grant ?? 'password';
  if (grant === 'password' && !flags.username) {
    throw usageError('token: --grant password needs --username.', 'Add --username NAME, or log in with --grant browser or --grant device.');
  }
  if (grant === 'client-credentials' && flags.username) {
    throw usageError('token: --grant client-credentials signs in as the application itself: leave out --username.');
  }
  const resource = checkResource(flags.resource, grant, 'token');
  const casdoorUrl = parseCasdoorUrl(flags.casdoorUrl as string);
  const clientSecret = secretFrom(flags.clientSecret, env, 'CASDOOR_CLIENT_SECRET');
  const password = secretFrom(undefined, env, 'CASDOOR_PASSWORD');
  const casdoorCaPem = flags.casdoorCa ? await readPemFile('--casdoor-ca', flags.casdoorCa) : undefined;
  return {
    casdoorUrl,
    clientId: flags.clientId as string,
    ...(clientSecret ? { clientSecret } : {}),
    // Absolute, as the hot path resolves it for the cache key (cacheKeyFromArgs).
    ...(casdoorCaPem ? { casdoorCaPem, casdoorCaFile: path.resolve(flags.casdoorCa as string) } : {}),
    grant,
    ...(flags.username ? { username: flags.username } : {}),
    ...(flags.scope ? { scope: flags.scope } : {}),
    ...(resource ? { resource } : {}),
    ...(password ? { password } : {}),
    ...(flags.browserCommand ? { browserCommand: flags.browserCommand } : {}),
    ...(flags.browser === false ? { noBrowser: true } : {}),
    ...(flags.listenAddress?.length ? { listen: flags.listenAddress.map(parseListenAddress) } : {}),
    ...(flags.tokenCacheStorage && flags.tokenCacheStorage !== 'disk' ? { storage: flags.tokenCacheStorage } : {}),
  };
}

export function registerToken(program: Command, ctx: CommandContext): void {
  program
    .command(TOKEN_COMMAND.name)
    .description(TOKEN_COMMAND.description)
    .option('--casdoor-url <url>', 'Casdoor origin (the OIDC issuer), exactly as the API server knows it')
    .option('--client-id <id>', "the application's Client ID")
    .option('--client-secret <secret>', "the application's Client Secret (or env CASDOOR_CLIENT_SECRET); Casdoor does not need it here")
    .option('--casdoor-ca <file>', "extra CA (PEM) to trust for Casdoor's TLS")
    .addOption(new Option('--grant <grant>', GRANT_HELP).choices([...GRANTS]).default('password'))
    .option('--username <name>', 'Casdoor username; part of the cache key (required for --grant password)')
    .option('--scope <scopes>', SCOPE_HELP)
    .option('--resource <uri>', RESOURCE_HELP)
    .option('--raw', 'print only the id_token (for kubectl --token=… or curl -H "Authorization: Bearer …")')
    .option('--browser-command <command>', 'browser login: command that opens the URL, given as its last argument (default: $BROWSER, else xdg-open/open)')
    .option('--no-browser', 'browser login: only print the URL')
    .option('--listen-address <host:port>', LISTEN_ADDRESS_HELP, collectValues)
    .addOption(new Option('--token-cache-storage <where>', TOKEN_CACHE_STORAGE_HELP).choices([...TOKEN_STORAGES]).default('disk'))
    .addHelpText(
      'after',
      `
Tokens are cached per issuer + client id + username + grant + CA file (and scopes/resource) in
~/.kube/cache/casdoor-kubeconfig/ (folder 0700, files 0600) and refreshed 60 s before they expire, under
a lock that a killed holder does not keep; see docs/token-lifecycle.md. With --token-cache-storage
keyring the refresh token is kept in the OS keychain (service casdoor-kubeconfig, account = the cache
file's name) instead of the file.
${ENVIRONMENT_HELP}

Examples:
  # what kubectl runs for a context written by "setup --mode exec":
  casdoor-kubeconfig token --casdoor-url https://door.example.com --client-id 294b09fbc17f95daf2fe --username alice

  # browser login over SSH: pin the callback port, and forward it from your machine (the command is printed):
  casdoor-kubeconfig token --casdoor-url https://door.example.com --client-id 294b09fbc17f95daf2fe --grant browser --listen-address 127.0.0.1:8000

  # a bearer token for kubectl or curl:
  kubectl --token="$(casdoor-kubeconfig token --raw --casdoor-url https://door.example.com --client-id 294b09fbc17f95daf2fe --username alice)" get pods
  curl -H "Authorization: Bearer $(casdoor-kubeconfig token --raw --casdoor-url https://door.example.com --client-id 294b09fbc17f95daf2fe --grant browser)" https://api.example.com:6443/version`,
    )
    .action(async (flags: TokenFlags) => {
      const out = ctx.output();
      const input = await tokenInputFromFlags(flags, ctx.io.env);
      // Loaded on use, as every command's use case is (see src/cli/main.ts).
      const { runToken } = await import('../usecases/token.js');
      const { tokenDepsFor } = await import('./deps.js');
      await runToken(input, tokenDepsFor(ctx.io, out, flags), { raw: Boolean(flags.raw) });
    });
}
