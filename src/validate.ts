/**
 * Checks of values the user types, shared by the flags (setup, generate, rbac), the roster and the
 * wizard's questions, so each rule is written once (pure). The callers word the message: a flag's error
 * names the flag, a wizard question shows the problem under the prompt. Neutral ground: commands, use
 * cases, the wizard and the HTTP layers (hostOf) all import it, so it imports nothing but errors.
 */
import { usageError } from './errors.js';

/** A Kubernetes namespace is a DNS-1123 label: lowercase letters, digits and '-', 63 characters at most. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const NAMESPACE_MAX_LENGTH = 63;
export const NAMESPACE_RULE = "lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit";

export function isNamespace(value: string): boolean {
  return value.length <= NAMESPACE_MAX_LENGTH && DNS1123_LABEL.test(value);
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

export const SERVER_URL_EXAMPLE = 'https://api.k8s.example.com:6443';

/** `door.example.com:8443` parses as a URL with the scheme "door.example.com:"; catch it first. */
export function missingScheme(value: string): string | undefined {
  return !value.includes('://') && /^[\w.-]+(:\d+)?(\/.*)?$/.test(value) ? `"${value}" has no scheme (use https://${value})` : undefined;
}

export interface ServerUrlOptions {
  /** --insecure-http: accept http:// for a host that is not loopback. */
  insecureHttp?: boolean;
}

/** localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The URL with any user name and password removed, for messages (the password is never echoed). */
function withoutCredentials(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/**
 * An API server URL: http(s), with a scheme. The value comes back trimmed, otherwise as given.
 * kubectl sends the bearer token (the id_token) with every request, so plain http would send it in
 * clear: refused unless `insecureHttp`, except for loopback (a local test cluster; the caller warns,
 * see cleartextServerWarning). A user name or password in the URL is refused as for --casdoor-url:
 * kubeconfigs keep credentials in the user entry, and the URL is shown in messages and diffs.
 */
export function parseServerUrl(raw: string, opts: ServerUrlOptions = {}): Checked<string> {
  const value = raw.trim();
  if (value === '') return { ok: false, problem: 'it is empty' };
  const noScheme = missingScheme(value);
  if (noScheme) return { ok: false, problem: noScheme };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, problem: `"${value}" is not a URL` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, problem: `"${value}" is not an https URL (${url.protocol})` };
  if (url.username || url.password) {
    return { ok: false, problem: `the URL must not contain a user name or password (${withoutCredentials(url)} without them); kubeconfigs keep credentials in the user entry` };
  }
  if (url.protocol === 'http:' && !opts.insecureHttp && !isLoopbackHost(url.hostname)) {
    return { ok: false, problem: `"${value}" is plain http: kubectl would send the id_token in clear text to ${url.host} (use https://${url.host}${url.pathname === '/' ? '' : url.pathname}, or --insecure-http if you mean it)` };
  }
  return { ok: true, value };
}

/** The warning for an accepted http:// API server URL (loopback, or --insecure-http); undefined for https. */
export function cleartextServerWarning(server: string): string | undefined {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:') return undefined;
  return isLoopbackHost(url.hostname)
    ? `The API server URL ${server} is plain http: the id_token travels unencrypted (on this machine only, since the host is loopback).`
    : `The API server URL ${server} is plain http (--insecure-http): the id_token travels unencrypted over the network; anyone on the path can use it until it expires.`;
}

/** `--server` (or another flag naming an API server URL): the URL, or a usage error saying what is wrong. */
export function serverUrlFlag(raw: string, flag = '--server', opts: ServerUrlOptions = {}): string {
  const parsed = parseServerUrl(raw, opts);
  if (!parsed.ok) throw usageError(`${flag}: ${parsed.problem}.`, `Give the API server URL, for example ${SERVER_URL_EXAMPLE}`);
  return parsed.value;
}

/** `--namespace` (or a roster's namespace column): a usage error unless it is a valid namespace name. */
export function namespaceFlag(value: string, flag = '--namespace'): string {
  if (!isNamespace(value)) throw usageError(`${flag}: "${value}" is not a valid namespace name (${NAMESPACE_RULE}).`);
  return value;
}

/** The host (and port) of a URL, for messages and default names; the text itself when it is not a URL. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
