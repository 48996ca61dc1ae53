/**
 * A scripted "browser": follows an authorization URL through the provider's redirects, keeping cookies,
 * until the final page, which for a loopback redirect URI is the tool's own callback server. With the
 * provider's `autoLoginAs` set no person is needed, so the demo and the tests can drive the real
 * authorization-code flow of the tool end to end.
 */
import { Agent, fetch, type Dispatcher } from 'undici';

export interface BrowserOptions {
  /** Extra CA (PEM) to trust, e.g. the demo provider's. */
  ca?: string;
  /** Use this dispatcher instead of one built from `ca`. */
  dispatcher?: Dispatcher;
  /** Default 20. */
  maxRedirects?: number;
  /** Do not load a URL for which this returns true; it is returned as `stoppedAt` instead. */
  stopAt?: (url: URL) => boolean;
  /** Shared between visits to keep a session (name=value by host). */
  cookies?: CookieJar;
}

export interface BrowserVisit {
  /** The last URL loaded. */
  url: string;
  status: number;
  body: string;
  /** Every URL loaded, in order. */
  visited: string[];
  /** The URL `stopAt` matched, if it did. */
  stoppedAt?: string;
}

/** A deliberately small jar: name=value per host, path and expiry beyond deletion ignored. */
export class CookieJar {
  readonly #byHost = new Map<string, Map<string, string>>();

  store(url: URL, setCookies: readonly string[]): void {
    const jar = this.#byHost.get(url.hostname) ?? new Map<string, string>();
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key = '', val = ''] = a.split('=');
        const k = key.trim().toLowerCase();
        if (k === 'max-age') return Number(val) <= 0;
        if (k === 'expires') return Date.parse(val) <= Date.now();
        return false;
      });
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.#byHost.set(url.hostname, jar);
  }

  header(url: URL): string | undefined {
    const jar = this.#byHost.get(url.hostname);
    if (jar === undefined || jar.size === 0) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export async function visit(startUrl: string, options: BrowserOptions = {}): Promise<BrowserVisit> {
  const dispatcher = options.dispatcher ?? new Agent({ connect: options.ca === undefined ? {} : { ca: options.ca } });
  const ownDispatcher = options.dispatcher === undefined;
  const jar = options.cookies ?? new CookieJar();
  const visited: string[] = [];
  let url = new URL(startUrl);
  try {
    for (let hop = 0; hop <= (options.maxRedirects ?? 20); hop += 1) {
      if (options.stopAt?.(url) === true) {
        return { url: visited.at(-1) ?? startUrl, status: 0, body: '', visited, stoppedAt: url.href };
      }
      visited.push(url.href);
      const cookie = jar.header(url);
      const res = await fetch(url, {
        dispatcher,
        redirect: 'manual',
        headers: { accept: 'text/html', ...(cookie === undefined ? {} : { cookie }) },
      });
      jar.store(url, res.headers.getSetCookie());
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location !== null) {
        await res.body?.cancel();
        url = new URL(location, url);
        continue;
      }
      return { url: url.href, status: res.status, body: await res.text(), visited };
    }
    throw new Error(`too many redirects from ${startUrl}`);
  } finally {
    if (ownDispatcher) await dispatcher.close();
  }
}
