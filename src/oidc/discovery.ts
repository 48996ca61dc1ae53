/** OIDC discovery: fetches and checks `<issuer>/.well-known/openid-configuration`. */
import { CliError } from '../errors.js';
import type { HttpClient } from './http.js';
import { discoveryUrl, issuerMismatchError } from './issuer.js';

export interface ProviderMetadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  authorization_endpoint?: string;
  device_authorization_endpoint?: string;
  end_session_endpoint?: string;
  userinfo_endpoint?: string;
  /** Casdoor: `<origin>/api/login/oauth/introspect` (object/wellknown_oidc_discovery.go GetOidcDiscovery). */
  introspection_endpoint?: string;
  grant_types_supported?: string[];
  code_challenge_methods_supported?: string[];
  id_token_signing_alg_values_supported?: string[];
}

export function parseJson(text: string, what: string, url: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const looksHtml = /^\s*</.test(text);
    throw new CliError('network', `The ${what} at ${url} is not JSON${looksHtml ? ' (an HTML page came back)' : ''}.`, {
      hint: looksHtml
        ? 'The URL probably points at Casdoor\'s web front end or another site; use the Casdoor backend origin (the OIDC issuer).'
        : 'Check --casdoor-url: it should be the Casdoor origin.',
    });
  }
}

/** Every endpoint this tool may call; token_endpoint and jwks_uri are required above, the others used when present. */
const HTTPS_ENDPOINTS = ['token_endpoint', 'jwks_uri', 'authorization_endpoint', 'device_authorization_endpoint', 'end_session_endpoint', 'userinfo_endpoint', 'introspection_endpoint'] as const;

/** Validates a discovery document (pure). */
export function checkMetadata(doc: unknown, url: string): ProviderMetadata {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new CliError('network', `The discovery document at ${url} is not a JSON object.`);
  }
  const d = doc as Record<string, unknown>;
  for (const key of ['issuer', 'token_endpoint', 'jwks_uri'] as const) {
    if (typeof d[key] !== 'string' || d[key] === '') {
      throw new CliError('network', `The discovery document at ${url} has no "${key}".`, {
        hint: 'Is this a Casdoor (OpenID Connect) server? Check --casdoor-url.',
      });
    }
  }
  // Passwords, codes, refresh tokens and the keys that vouch for id_tokens travel to these endpoints:
  // an http one (Casdoor's `origin` left at http behind a TLS proxy, or a tampered document) would
  // send them in clear text or let anyone on the path swap the keys, so it is refused outright.
  for (const key of HTTPS_ENDPOINTS) {
    const value = d[key];
    if (value === undefined || value === null || value === '') continue; // absent: not used (the required two were checked above)
    if (typeof value !== 'string' || !isHttpsUrl(value)) {
      throw new CliError('network', `The discovery document at ${url} names ${key} ${JSON.stringify(value)}, which is not an https URL; nothing is sent to it.`, {
        hint: 'Set Casdoor\'s "origin" setting to its public https URL, so that discovery advertises https endpoints.',
      });
    }
  }
  return d as unknown as ProviderMetadata;
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

export async function discover(http: HttpClient, casdoorUrl: string): Promise<ProviderMetadata> {
  const url = discoveryUrl(casdoorUrl);
  const res = await http.get(url, 'OIDC discovery document');
  if (res.status === 404) {
    throw new CliError('network', `No OIDC discovery document at ${url} (HTTP 404).`, {
      hint: 'Use the Casdoor origin itself, without a path, for example https://door.example.com',
    });
  }
  if (res.status !== 200) {
    throw new CliError('network', `Fetching ${url} failed with HTTP ${res.status}.`);
  }
  const meta = checkMetadata(parseJson(res.text, 'discovery document', url), url);
  if (meta.issuer !== casdoorUrl) throw issuerMismatchError(casdoorUrl, meta.issuer);
  return meta;
}
