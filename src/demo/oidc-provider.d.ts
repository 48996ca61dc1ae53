/**
 * The slice of oidc-provider 8's API that src/demo uses. The package ships no types of its own and
 * `@types/oidc-provider` is not a dependency; this file keeps the demo strictly typed without it.
 * Only what is called here is declared, with the shapes read from oidc-provider 8.8's source.
 */
declare module 'oidc-provider' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContextLike {
    method: string;
    path: string;
    url: string;
    href: string;
    status: number;
    body: unknown;
    type: string;
    respond?: boolean;
    headers: IncomingHttpHeaders;
    req: IncomingMessage;
    res: ServerResponse;
    query: Record<string, string | string[] | undefined>;
    /** The raw query string (settable, as in Koa). */
    querystring: string;
    state: Record<string, unknown>;
    /** Present once oidc-provider's router has matched one of its own routes. */
    oidc?: OIDCContext;
    set(field: string, value: string): void;
    get(field: string): string;
    redirect(url: string): void;
  }

  export type Middleware = (ctx: KoaContextLike, next: () => Promise<void>) => Promise<void> | void;

  export interface OIDCContext {
    route?: string;
    params?: Record<string, string | undefined>;
    client?: ClientInstance;
    authorization?: { clientId?: string; clientSecret?: string; methods?: string[] };
    entity(name: string, value: unknown): void;
  }

  export interface ClientInstance {
    clientId: string;
    clientAuthMethod: string;
    grantTypeAllowed(type: string): boolean;
  }

  export interface AccountClaims {
    sub: string;
    [claim: string]: unknown;
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string, claims?: unknown, rejected?: string[]): Promise<AccountClaims> | AccountClaims;
  }

  export interface GrantInstance {
    jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    getOIDCScopeFiltered(scopes: Set<string> | string[]): string;
    save(ttl?: number): Promise<string>;
  }

  export interface TokenInstance {
    jti: string;
    expiration: number;
    tokenType?: string;
    scope?: string;
    save(): Promise<string>;
  }

  export interface DeviceCodeInstance {
    clientId: string;
    accountId?: string;
    grantId?: string;
    authTime?: number;
    scope?: string;
    params?: Record<string, string | undefined>;
    userCode: string;
    save(): Promise<string>;
  }

  export interface IdTokenInstance {
    scope: string;
    set(key: string, value: unknown): void;
    issue(options: { use: 'idtoken' }): Promise<string>;
  }

  export interface InteractionDetails {
    uid: string;
    grantId?: string;
    session?: { accountId?: string };
    params: Record<string, string | undefined>;
    prompt: {
      name: string;
      reasons: string[];
      details: {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
    };
  }

  export interface AdapterPayload {
    [key: string]: unknown;
    consumed?: number;
    grantId?: string;
    userCode?: string;
    uid?: string;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export type AdapterFactory = new (name: string) => Adapter;

  /** The configuration is passed through as is; its full schema is oidc-provider's documentation. */
  export type Configuration = Record<string, unknown>;

  export class Provider extends EventEmitter {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: Middleware): void;
    registerGrantType(name: string, handler: Middleware, params?: string[] | Set<string>, dupes?: string[]): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<string>;
    readonly Account: { findAccount(ctx: unknown, id: string, token?: unknown): Promise<Account | undefined> };
    readonly Client: { prototype: object; find(id: string): Promise<ClientInstance | undefined> };
    readonly Grant: { new (fields: { accountId: string; clientId: string }): GrantInstance; find(id: string): Promise<GrantInstance | undefined> };
    readonly AccessToken: new (fields: Record<string, unknown>) => TokenInstance;
    readonly RefreshToken: new (fields: Record<string, unknown>) => TokenInstance;
    readonly IdToken: new (claims: Record<string, unknown>, options: { ctx?: unknown; client?: ClientInstance }) => IdTokenInstance;
    readonly DeviceCode: { findByUserCode(userCode: string, options?: { ignoreExpiration?: boolean }): Promise<DeviceCodeInstance | undefined> };
  }

  export namespace errors {
    class OIDCProviderError extends Error {
      error: string;
      error_description?: string;
      error_detail?: string;
      status: number;
      statusCode: number;
    }
    class CustomOIDCProviderError extends OIDCProviderError {
      constructor(error: string, description?: string);
    }
    class InvalidGrant extends OIDCProviderError {
      constructor(detail?: string);
    }
    class InvalidRequest extends OIDCProviderError {
      constructor(description?: string, code?: number, detail?: string);
    }
  }

  export default Provider;
}
