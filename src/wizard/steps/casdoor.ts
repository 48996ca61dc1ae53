/**
 * The Casdoor URL, checked at once with OIDC discovery: offers https for http, the real issuer when it
 * differs, and a CA file when Casdoor's certificate is signed by an unknown CA.
 */
import path from 'node:path';
import { readPemFile } from '../../cli/inputs.js';
import { CliError } from '../../errors.js';
import type { HttpClient } from '../../oidc/http.js';
import { describeIssuerMismatch, discoveryUrl } from '../../oidc/issuer.js';
import { openSession, type Session } from '../../usecases/login.js';
import { hostOf } from '../../validate.js';
import { httpsVersion, Q, validateCasdoorUrl } from '../questions.js';
import type { Run } from '../run.js';

/** Casdoor URL → discovery at once; explains and offers fixes for http, a different issuer, an unknown CA. */
export async function casdoorStep(run: Run): Promise<Session> {
  const { ask, out, deps, a } = run;
  let url = a.casdoorUrl?.trim();
  let previous = run.suggested.casdoorUrl;
  let retry = false;
  const reask = (bad: string): void => {
    previous = bad;
    retry = true;
    url = undefined;
  };
  for (;;) {
    if (url === undefined) url = (await ask.input(Q.casdoorUrl(previous, retry))).trim();
    const syntax = validateCasdoorUrl(url);
    if (syntax !== true) {
      out.error(syntax);
      reask(url);
      continue;
    }
    if (/^http:/i.test(url)) {
      out.warn(`${url} uses http: Kubernetes accepts only https issuers, and your password would cross the network unencrypted.`);
      const fixed = httpsVersion(url);
      if (await ask.confirm(Q.useHttps(fixed))) url = fixed;
      else {
        reask(url);
        continue;
      }
    }
    const current = url;
    try {
      const session = await deps.spin(`Looking up ${discoveryUrl(current)}…`, () => openSession(run.casdoorHttp(), current));
      out.step(`Casdoor answered at ${current}; its issuer is ${out.c.cyan(session.meta.issuer)} (matches).`);
      a.casdoorUrl = current;
      return session;
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      // Only an unknown CA: a certificate for another host name or out of its validity needs no CA file
      // (its message and hint below say what does help).
      if (err.reason === 'untrusted-ca') {
        out.warn(`Casdoor's certificate (${hostOf(current)}) is not signed by a CA this machine trusts.`);
        out.info('  If your Casdoor uses a private CA, give its certificate file (your admin has it).');
        if (await askCasdoorCa(run)) continue;
        reask(current);
        continue;
      }
      if (err.reason === 'issuer-mismatch') {
        const issuer = await discoveredIssuer(run.casdoorHttp(), current);
        out.warn(issuer ? (describeIssuerMismatch(current, issuer) ?? err.message) : err.message);
        out.info(`  The API server compares the token's issuer with its --oidc-issuer-url as exact strings, so the URL must match it.`);
        if (issuer?.startsWith('https://')) {
          if (await ask.confirm(Q.useIssuer(issuer))) {
            url = issuer;
            continue;
          }
        } else if (err.hint) {
          out.info(`  ${err.hint}`);
        }
        reask(current);
        continue;
      }
      out.error(err.message, err.hint);
      reask(current);
    }
  }
}

/** Asks for Casdoor's CA file until one reads as PEM; false when the user left it empty (change the URL). */
async function askCasdoorCa(run: Run): Promise<boolean> {
  const { ask, out, a } = run;
  for (;;) {
    const file = (await ask.input(Q.casdoorCa(a.casdoorCaFile ?? run.suggested.casdoorCaFile))).trim();
    if (file === '') return false;
    try {
      a.casdoorCaPem = await readPemFile('CA file', file);
      a.casdoorCaFile = path.resolve(file);
      await run.resetHttp();
      return true;
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      out.error(err.message);
    }
  }
}

async function discoveredIssuer(http: HttpClient, url: string): Promise<string | undefined> {
  try {
    const res = await http.get(discoveryUrl(url), 'OIDC discovery document');
    const issuer = (JSON.parse(res.text) as { issuer?: unknown }).issuer;
    return typeof issuer === 'string' ? issuer : undefined;
  } catch {
    return undefined;
  }
}
