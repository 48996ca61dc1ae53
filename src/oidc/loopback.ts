/**
 * Where the browser login's callback listens (`--listen-address HOST:PORT`, repeatable: the first free
 * one wins), so that SSH or container port forwarding can carry the redirect; and the exact `ssh -L`
 * command to print when the session looks remote (SSH_CONNECTION).
 *
 * The redirect URI always names 127.0.0.1 (or localhost when that was the host given): Casdoor accepts
 * any `http://127.0.0.1:<port>` and `http://localhost:<port>` redirect without registering it
 * (object/application.go (*Application).IsRedirectUriValid: util.IsValidOrigin first; older releases
 * list "http://localhost:", "http://127.0.0.1:" before the application's RedirectUris), and it is the
 * browser's own machine that must answer it — through the forwarded port, whatever address this end binds
 * (0.0.0.0 inside a container).
 */
import type { AddressInfo, Server } from 'node:net';
import { CliError, usageError } from '../errors.js';

export interface ListenAddress {
  /** As given ('127.0.0.1', 'localhost', '0.0.0.0', '::1' without brackets). */
  host: string;
  port: number;
}

/** Parses HOST:PORT ([v6]:PORT for IPv6); a usage error says what is wrong. */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) {
    throw usageError(`--listen-address ${text}: expected HOST:PORT (port 1-65535), e.g. 127.0.0.1:8000 or [::1]:8000.`);
  }
  return { host: (m[1] ?? m[2]) as string, port };
}

export function formatListenAddress(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\./.test(host);
}

/** The redirect URI's host for a listener on `host` (see the module comment). */
export function redirectHostFor(host: string): string {
  return host === 'localhost' ? 'localhost' : '127.0.0.1';
}

function listenOnce(server: Server, a: ListenAddress): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(a.port, a.host);
  });
}

/**
 * Listens on the first of `addresses` that is free (a port in use, or one this user may not bind, is
 * skipped); a login error naming each address and why when none is.
 */
export async function listenOnFirstFree(server: Server, addresses: readonly ListenAddress[]): Promise<ListenAddress> {
  const tried: string[] = [];
  for (const a of addresses) {
    try {
      await listenOnce(server, a);
      return { host: a.host, port: (server.address() as AddressInfo).port };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      tried.push(`${formatListenAddress(a)} (${code})`);
    }
  }
  throw new CliError('login', `The browser login could not listen on any --listen-address: ${tried.join(', ')}.`, {
    hint: 'Free one of these ports (another login may still be waiting there), or give another --listen-address.',
  });
}

/**
 * The command that forwards the callback port from the person's machine to this one, when this process
 * runs in an SSH session (SSH_CONNECTION = "<client ip> <client port> <server ip> <server port>"), else
 * undefined. The server address is the one the client connected to, as sshd saw it.
 */
export function sshForwardCommand(env: NodeJS.ProcessEnv, port: number): string | undefined {
  const parts = env.SSH_CONNECTION?.trim().split(/\s+/);
  if (!parts || parts.length < 4) return undefined;
  const [, , serverIp, serverPort] = parts as [string, string, string, string];
  const user = env.USER || env.LOGNAME;
  const host = serverIp;
  return ['ssh', '-N', '-L', `${port}:127.0.0.1:${port}`, ...(serverPort !== '22' ? ['-p', serverPort] : []), `${user ? `${user}@` : ''}${host}`].join(' ');
}
