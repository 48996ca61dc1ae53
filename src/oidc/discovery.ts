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
  return d as unknown as ProviderMetadata;
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
