/**
 * Discovery + login + verification as one reusable step: setup, refresh, token and the wizard
 * all need "a verified id_token from this Casdoor".
 */
import type { ProviderMetadata } from '../oidc/discovery.js';
import { discover } from '../oidc/discovery.js';
import type { ClientCredentials, TokenSet } from '../oidc/grants.js';
import { clientCredentialsGrant, passwordGrant, refreshGrant } from '../oidc/grants.js';
import type { HttpClient } from '../oidc/http.js';
import { fetchJwks, verifyIdToken, type VerifiedToken } from '../oidc/verify.js';

export interface Session {
  http: HttpClient;
  casdoorUrl: string;
  meta: ProviderMetadata;
}

export async function openSession(http: HttpClient, casdoorUrl: string): Promise<Session> {
  return { http, casdoorUrl, meta: await discover(http, casdoorUrl) };
}

export interface VerifiedLogin {
  tokens: TokenSet;
  verified: VerifiedToken;
}

export async function verifyTokens(session: Session, client: ClientCredentials, tokens: TokenSet, now?: Date): Promise<VerifiedLogin> {
  const jwks = await fetchJwks(session.http, session.meta);
  const verified = await verifyIdToken(tokens.idToken, jwks, {
    issuer: session.meta.issuer,
    clientId: client.clientId,
    ...(client.resource ? { resource: client.resource } : {}),
    ...(now ? { now } : {}),
  });
  return { tokens, verified };
}

export async function passwordLogin(
  session: Session,
  client: ClientCredentials,
  username: string,
  password: string,
  now?: Date,
  scope?: string,
): Promise<VerifiedLogin> {
  const tokens = await passwordGrant(session.http, session.meta, client, username, password, scope);
  return verifyTokens(session, client, tokens, now);
}

export async function refreshLogin(session: Session, client: ClientCredentials, refreshToken: string, now?: Date): Promise<VerifiedLogin> {
  const tokens = await refreshGrant(session.http, session.meta, client, refreshToken);
  return verifyTokens(session, client, tokens, now);
}

/** The application's own identity (--grant client-credentials): the client secret is required. */
export async function clientCredentialsLogin(session: Session, client: ClientCredentials, now?: Date): Promise<VerifiedLogin> {
  const tokens = await clientCredentialsGrant(session.http, session.meta, client);
  return verifyTokens(session, client, tokens, now);
}
