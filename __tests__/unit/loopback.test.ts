/**
 * --listen-address (first free one wins), the `ssh -L` hint for SSH sessions, and the browser opener's
 * platform choices (WSL, macOS, Windows) with the platform injected.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { CliError } from '../../src/errors.js';
import { startCallbackListener } from '../../src/oidc/browser-login.js';
import { formatListenAddress, listenOnFirstFree, parseListenAddress, redirectHostFor, sshForwardCommand } from '../../src/oidc/loopback.js';
import { browserCommandLine, isWsl } from '../../src/oidc/open-browser.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A port held by another listener for the rest of the test. */
async function busyPort(): Promise<number> {
  const s = createServer();
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as { port: number }).port;
}

describe('--listen-address', () => {
  it('parses HOST:PORT and [v6]:PORT, and refuses anything else with a usage error', () => {
    expect(parseListenAddress('127.0.0.1:8000')).toEqual({ host: '127.0.0.1', port: 8000 });
    expect(parseListenAddress('[::1]:18000')).toEqual({ host: '::1', port: 18000 });
    expect(parseListenAddress('0.0.0.0:8000')).toEqual({ host: '0.0.0.0', port: 8000 });
    expect(formatListenAddress(parseListenAddress('[::1]:18000'))).toBe('[::1]:18000');
    for (const bad of ['8000', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '::1:8000', 'a b:1']) {
      expect(() => parseListenAddress(bad)).toThrow(expect.objectContaining({ code: 'usage', message: expect.stringContaining(`--listen-address ${bad}: expected HOST:PORT`) }) as never);
    }
  });

  it('the first free address wins; a port in use is skipped', async () => {
    const busy = await busyPort();
    const free = createServer();
    servers.push(free);
    const got = await listenOnFirstFree(free, [{ host: '127.0.0.1', port: busy }, { host: '127.0.0.1', port: 0 }]);
    expect(got.host).toBe('127.0.0.1');
    expect(got.port).not.toBe(busy);
    expect(got.port).toBeGreaterThan(0);
  });

  it('none free: a login error naming each address and why', async () => {
    const a = await busyPort();
    const b = await busyPort();
    const s = createServer();
    const err = (await listenOnFirstFree(s, [{ host: '127.0.0.1', port: a }, { host: '127.0.0.1', port: b }]).catch((e: unknown) => e)) as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(err.code).toBe('login');
    expect(err.message).toBe(`The browser login could not listen on any --listen-address: 127.0.0.1:${a} (EADDRINUSE), 127.0.0.1:${b} (EADDRINUSE).`);
  });

  it('the redirect URI names 127.0.0.1 (or localhost) whatever address the listener binds', async () => {
    expect(redirectHostFor('0.0.0.0')).toBe('127.0.0.1');
    expect(redirectHostFor('localhost')).toBe('localhost');
    const busy = await busyPort();
    const listener = await startCallbackListener([{ host: '127.0.0.1', port: busy }, { host: '0.0.0.0', port: 0 }]);
    try {
      expect(listener.bound.host).toBe('0.0.0.0');
      expect(listener.redirectUri).toBe(`http://127.0.0.1:${listener.bound.port}/callback`);
    } finally {
      await listener.close();
    }
  });
});

describe('SSH sessions', () => {
  it('prints the ssh -L command for the callback port, with -p for a non-standard sshd port', () => {
    expect(sshForwardCommand({ SSH_CONNECTION: '192.168.1.20 50122 10.0.0.5 22', USER: 'alice' }, 8000)).toBe('ssh -N -L 8000:127.0.0.1:8000 alice@10.0.0.5');
    expect(sshForwardCommand({ SSH_CONNECTION: '192.168.1.20 50122 10.0.0.5 2222', LOGNAME: 'bob' }, 18000)).toBe('ssh -N -L 18000:127.0.0.1:18000 -p 2222 bob@10.0.0.5');
    expect(sshForwardCommand({}, 8000)).toBeUndefined();
    expect(sshForwardCommand({ SSH_CONNECTION: 'garbage' }, 8000)).toBeUndefined();
  });
});

describe('opening the browser per platform', () => {
  const url = 'https://door.example.com/login/oauth/authorize?client_id=c&state=s';
  it('WSL: wslview when installed, else Windows cmd.exe start (empty title, & escaped, passed verbatim)', () => {
    expect(browserCommandLine(url, { env: {}, platform: 'linux', wsl: true, onPath: (c) => c === 'wslview' })).toEqual({ command: 'wslview', args: [url] });
    expect(browserCommandLine(url, { env: {}, platform: 'linux', wsl: true, onPath: () => false })).toEqual({
      command: 'cmd.exe',
      args: ['/c', 'start', '""', url.replace('&', '^&')],
      verbatim: true,
    });
    // BROWSER still wins on WSL.
    expect(browserCommandLine(url, { env: { BROWSER: 'firefox' }, platform: 'linux', wsl: true })).toEqual({ command: 'firefox', args: [url] });
  });
  it('Linux xdg-open, macOS open, Windows cmd start', () => {
    expect(browserCommandLine(url, { env: {}, platform: 'linux', wsl: false })).toEqual({ command: 'xdg-open', args: [url] });
    expect(browserCommandLine(url, { env: {}, platform: 'darwin' })).toEqual({ command: 'open', args: [url] });
    expect(browserCommandLine(url, { env: {}, platform: 'win32' })).toEqual({ command: 'cmd', args: ['/c', 'start', '""', url.replace('&', '^&')], verbatim: true });
  });
  it('detects WSL from its variables, else from the kernel release', () => {
    expect(isWsl({ WSL_DISTRO_NAME: 'Debian' }, 'linux', () => '')).toBe(true);
    expect(isWsl({}, 'linux', () => '5.15.153.1-microsoft-standard-WSL2\n')).toBe(true);
    expect(isWsl({}, 'linux', () => '6.1.0-18-amd64\n')).toBe(false);
    expect(isWsl({ WSL_DISTRO_NAME: 'Debian' }, 'darwin', () => '')).toBe(false);
    expect(isWsl({}, 'linux', () => {
      throw new Error('ENOENT');
    })).toBe(false);
  });
});
