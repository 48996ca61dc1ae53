/**
 * The test API server (src/demo/apiserver.ts) against kube-apiserver's own code paths. Every token is
 * sent to two API servers configured alike: one whose signature/iss/aud/exp/nbf verdict comes from the
 * real go-oidc v2 library (the one kube-apiserver vendors, built from Debian's package; skipped loudly
 * where it cannot be built) and one using this project's port of it. Both must give the verdict
 * written here, which is the one Kubernetes' source gives:
 * - go-oidc v2 verify.go IDTokenVerifier.Verify: exp without leeway, nbf with 60 s, iat unchecked, the
 *   header alg in the allowed list; jwks.go remoteKeySet.verify: key by kid, all keys without one, the
 *   JWK's own alg not compared;
 * - oidc.go getUsername (email_verified only when present), getGroups (null = none), AuthenticateToken
 *   (required claims after the mapping; claimValidationRules).
 * A small HTTPS issuer serves discovery and the JWKS, so tokens can be shaped exactly like Casdoor's.
 */
import { createServer, type Server } from 'node:https';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Agent } from 'undici';

import { startApiServer, type ApiServer, type ApiServerOptions } from '../../src/demo/apiserver.js';
import { makeTlsMaterial, type TlsMaterial } from '../../src/demo/certs.js';
import { closeServer, listenOnLoopback } from '../../src/listen.js';
import { ACCESS_TOKEN_RULE, CUSTOM_REFRESH_RULE, EMAIL_VERIFIED_RULE } from '../../src/oidc/kube-rules.js';
import { goOidcVerifier } from '../helpers/go-oidc.js';
import { postJson, trustingAgent } from '../helpers/http.js';

type CryptoKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const CLIENT = '294b09fbc17f95daf2fe';
const REVIEW_PATH = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
const REVIEW = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
/** A fixed clock for both verifiers (go-oidc is given it per request): no timed assertions. */
const T = Math.floor(Date.now() / 1000);

let tls: TlsMaterial;
let issuerServer: Server;
let issuer: string;
let agent: Agent;
let goBinary: string | undefined;
let rsaKey: CryptoKey;
let rsa512Key: CryptoKey;
let ecKey: CryptoKey;
let rogueKey: CryptoKey;
const servers: ApiServer[] = [];

type Sign = { key?: 'rs' | 'rs512' | 'ec' | 'rogue'; kid?: string | null; alg?: string };

async function token(claims: Record<string, unknown> = {}, how: Sign = {}): Promise<string> {
  const payload: Record<string, unknown> = {
    // Casdoor's JWT format (object/token_jwt.go getClaimsWithoutThirdIdp shape): name = username, groups "org/group".
    owner: 'k8s-org',
    name: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    groups: ['k8s-org/admins'],
    tokenType: 'access-token',
    iss: issuer,
    sub: '3f2c-uuid',
    aud: [CLIENT],
    iat: T,
    nbf: T,
    exp: T + 3600,
    ...claims,
  };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  const which = how.key ?? 'rs';
  const alg = how.alg ?? (which === 'ec' ? 'ES256' : which === 'rs512' ? 'RS512' : 'RS256');
  const kid = how.kid === null ? {} : { kid: how.kid ?? (which === 'ec' ? 'cert-ec' : 'cert-rs') };
  const key = { rs: rsaKey, rs512: rsa512Key, ec: ecKey, rogue: rogueKey }[which];
  return new SignJWT(payload).setProtectedHeader({ alg, ...kid, typ: 'JWT' }).sign(key);
}

beforeAll(async () => {
  goBinary = await goOidcVerifier();
  tls = await makeTlsMaterial();
  const rs = await generateKeyPair('RS256', { extractable: true });
  rsaKey = rs.privateKey;
  // The same RSA key for RS512: Casdoor's application signing method may differ from the certificate's alg.
  rsa512Key = (await importJWK(await exportJWK(rs.privateKey), 'RS512')) as CryptoKey;
  const ec = await generateKeyPair('ES256', { extractable: true });
  ecKey = ec.privateKey;
  rogueKey = (await generateKeyPair('RS256')).privateKey;
  const keys: JWK[] = [
    { ...(await exportJWK(rs.publicKey)), kid: 'cert-rs', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'cert-ec', alg: 'ES256', use: 'sig' },
  ];
  issuerServer = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const body =
      req.url === '/.well-known/openid-configuration' ? { issuer, jwks_uri: `${issuer}/.well-known/jwks`, id_token_signing_alg_values_supported: ['RS256'] } : req.url === '/.well-known/jwks' ? { keys } : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? {}));
  });
  issuer = `https://127.0.0.1:${await listenOnLoopback(issuerServer)}`;
  agent = trustingAgent(tls.caPem);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await agent?.close();
  if (issuerServer) await closeServer(issuerServer);
  await tls?.remove();
});

/** One API server per verifier (the real go-oidc when built, and the port), configured alike. */
async function pair(options: Partial<ApiServerOptions> = {}): Promise<ApiServer[]> {
  const base: ApiServerOptions = { issuer, clientId: CLIENT, issuerCaPem: tls.caPem, tls, signingAlgs: ['RS256', 'RS512', 'ES256'], now: () => T, ...options };
  const made = [await startApiServer(base), ...(goBinary ? [await startApiServer({ ...base, goOidcVerifier: goBinary })] : [])];
  servers.push(...made);
  return made;
}

/** The verdict of every server of the pair, which must agree: the username and groups, or the reason. */
async function verdict(apis: ApiServer[], jwt: string): Promise<string> {
  const answers: string[] = [];
  for (const api of apis) {
    const res = await postJson(agent, api.url + REVIEW_PATH, REVIEW, { authorization: `Bearer ${jwt}` });
    const last = api.requests.at(-1);
    if (res.status === 201) {
      const u = (res.body as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
      answers.push(`ok ${u.username} [${u.groups.filter((g) => !g.startsWith('system:')).join(',')}]`);
    } else {
      answers.push(`401 ${last?.reason ?? '?'}`);
    }
  }
  expect(new Set(answers).size).toBe(1);
  // oidc.go hasCorrectIssuer turns a foreign iss away before go-oidc is asked.
  if (goBinary && answers[0] !== '401 issuer') expect(apis[1]?.requests.at(-1)?.verifiedBy).toBe('go-oidc');
  return answers[0] as string;
}

describe('go-oidc v2 IDTokenVerifier.Verify (real library and port agree)', () => {
  let apis: ApiServer[];
  beforeAll(async () => {
    apis = await pair();
  });

  it('a Casdoor access token is accepted', async () => {
    expect(await verdict(apis, await token())).toBe('ok alice [k8s-org/admins]');
  });

  it('exp: no leeway (exp = now accepted, now - 1 refused; no exp = expired)', async () => {
    expect(await verdict(apis, await token({ exp: T }))).toBe('ok alice [k8s-org/admins]');
    expect(await verdict(apis, await token({ exp: T - 1 }))).toBe('401 expired');
    expect(await verdict(apis, await token({ exp: undefined }))).toBe('401 expired');
  });

  it('nbf: 60 s of leeway, not 61; iat is not checked', async () => {
    expect(await verdict(apis, await token({ nbf: T + 60, iat: T + 3600 }))).toBe('ok alice [k8s-org/admins]');
    expect(await verdict(apis, await token({ nbf: T + 61 }))).toBe('401 not-yet-valid');
  });

  it('keys by kid; without kid every key is tried (Casdoor refresh tokens carry none); an unknown kid fails', async () => {
    expect(await verdict(apis, await token({}, { kid: null }))).toBe('ok alice [k8s-org/admins]');
    expect(await verdict(apis, await token({}, { key: 'ec', kid: null }))).toBe('ok alice [k8s-org/admins]');
    expect(await verdict(apis, await token({}, { key: 'rogue', kid: 'rogue' }))).toBe('401 signature');
    expect(await verdict(apis, await token({}, { key: 'rogue' }))).toBe('401 signature');
  });

  it("the JWK's alg is not compared with the header's: RS512 with a key the JWKS calls RS256 is accepted", async () => {
    expect(await verdict(apis, await token({}, { key: 'rs512' }))).toBe('ok alice [k8s-org/admins]');
  });

  it('the header alg must be allowed (--oidc-signing-algs)', async () => {
    const only256 = await pair({ signingAlgs: ['RS256'] });
    expect(await verdict(only256, await token({}, { key: 'rs512' }))).toBe('401 algorithm');
    expect(await verdict(only256, await token({}, { key: 'ec' }))).toBe('401 algorithm');
  });

  it('iss and aud are exact strings; a shared application needs its <clientId>-org-<org> audience configured', async () => {
    expect(await verdict(apis, await token({ iss: `${issuer}/` }))).toBe('401 issuer');
    expect(await verdict(apis, await token({ aud: 'other' }))).toBe('401 audience');
    const shared = await token({ aud: [`${CLIENT}-org-k8s-org`] });
    expect(await verdict(apis, shared)).toBe('401 audience');
    expect(await verdict(await pair({ clientId: `${CLIENT}-org-k8s-org` }), shared)).toBe('ok alice [k8s-org/admins]');
  });
});

describe('oidc.go: username, groups, required claims', () => {
  it('email: refused only when email_verified is present and not true; absent is accepted', async () => {
    const byEmail = await pair({ usernameClaim: 'email', usernamePrefix: null });
    expect(await verdict(byEmail, await token({ email_verified: undefined }))).toBe('ok alice@example.com [k8s-org/admins]');
    expect(await verdict(byEmail, await token({ email_verified: false }))).toBe('401 email-not-verified');
    expect(await verdict(byEmail, await token({ email_verified: null }))).toBe('401 email-not-verified');
    // The AuthenticationConfiguration rule apiserver-config emits closes that hole.
    const strict = await pair({ usernameClaim: 'email', usernamePrefix: null, claimValidationRules: [EMAIL_VERIFIED_RULE] });
    expect(await verdict(strict, await token({ email_verified: undefined }))).toBe('401 claim-validation');
    expect(await verdict(strict, await token())).toBe('ok alice@example.com [k8s-org/admins]');
  });

  it('groups: a string, a list, or null (no groups); objects are refused', async () => {
    const apis = await pair();
    expect(await verdict(apis, await token({ groups: null }))).toBe('ok alice []');
    expect(await verdict(apis, await token({ groups: 'k8s-org/devs' }))).toBe('ok alice [k8s-org/devs]');
    expect(await verdict(apis, await token({ groups: [{ name: 'x' }] }))).toBe('401 groups-claim');
  });

  it('refresh tokens: accepted without the requirement; tokenType=access-token refuses them; JWT-Custom ones only the TokenType rule', async () => {
    const refresh = await token({ tokenType: 'refresh-token' }, { kid: null });
    const custom = await token({ tokenType: 'access-token', TokenType: 'refresh-token' }, { kid: null });
    expect(await verdict(await pair(), refresh)).toBe('ok alice [k8s-org/admins]');
    const flags = await pair({ requiredClaims: { tokenType: 'access-token' } });
    expect(await verdict(flags, refresh)).toBe('401 required-claim');
    expect(await verdict(flags, custom)).toBe('ok alice [k8s-org/admins]');
    const structured = await pair({ claimValidationRules: [ACCESS_TOKEN_RULE, CUSTOM_REFRESH_RULE] });
    expect(await verdict(structured, refresh)).toBe('401 required-claim');
    expect(await verdict(structured, custom)).toBe('401 claim-validation');
    expect(await verdict(structured, await token())).toBe('ok alice [k8s-org/admins]');
  });
});
