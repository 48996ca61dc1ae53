/**
 * The composition root of the commands: the one place that builds the outside world a use case is
 * given (HTTP client factory, terminal, password prompt, browser opener, token cache location) from
 * the process's Io. Commands call these instead of borrowing each other's; tests build the same
 * dependency objects with fakes.
 */
import { createHttpClient, type HttpClient } from '../oidc/http.js';
import { parseListenAddress } from '../oidc/loopback.js';
import { makeUrlOpener } from '../oidc/open-browser.js';
import type { Io } from '../ports/io.js';
import type { Output } from '../ports/output.js';
import type { LoginDeps, TokenDeps } from '../usecases/token.js';

/** `makeHttp` for every use case: proxies from `env`, the extra CA when given, requests traced under --verbose. */
export function httpFactory(env: NodeJS.ProcessEnv, out: Output): (caPem?: string) => HttpClient {
  return (caPem) => createHttpClient({ env, ...(caPem ? { caPem } : {}), trace: (l) => out.verbose(l) });
}

/**
 * The masked password question, on stderr (stdout may carry the ExecCredential kubectl reads). The
 * question lives in src/wizard/prompts.ts, the one module that imports inquirer; it is loaded only
 * when a person is actually asked, so kubectl's path (a cached token, a refresh) never pays for it.
 */
export function passwordPrompt(io: Pick<Io, 'stdin' | 'stderr'>): (message: string) => Promise<string> {
  return async (message) => {
    const { askPassword } = await import('../wizard/prompts.js');
    return askPassword(message, { input: io.stdin, output: io.stderr });
  };
}

export interface LoginFlags {
  browserCommand?: string | undefined;
  /** commander's --no-browser. */
  browser?: boolean | undefined;
  listenAddress?: readonly string[] | undefined;
}

/** The login-related outside world every token-handling command shares: terminal, prompt, browser. */
export function loginDepsFor(io: Io, out: Output, flags: LoginFlags): LoginDeps {
  return {
    out,
    ...(flags.listenAddress?.length ? { listen: flags.listenAddress.map(parseListenAddress) } : {}),
    loginEnv: io.env,
    now: io.now,
    interactive: io.stdin.isTTY === true,
    promptPassword: passwordPrompt(io),
    openUrl: makeUrlOpener({
      browserCommand: flags.browserCommand,
      noBrowser: flags.browser === false,
      env: io.env,
      warn: (text) => out.warn(text),
    }),
  };
}

/** loginDepsFor plus what `token`, `refresh` and `doctor --context` need: the token cache and HTTP. */
export function tokenDepsFor(io: Io, out: Output, flags: LoginFlags): TokenDeps {
  return {
    ...loginDepsFor(io, out, flags),
    env: io.env,
    homeDir: io.homeDir,
    makeHttp: httpFactory(io.env, out),
  };
}
