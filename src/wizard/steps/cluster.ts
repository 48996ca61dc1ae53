/**
 * The cluster: the API server URL and how to trust it (checked with an anonymous GET /version), then
 * the names of the cluster, user and context entries and the namespace.
 */
import { readPemFile } from '../../cli/inputs.js';
import { CliError, usageError } from '../../errors.js';
import { createHttpClient } from '../../oidc/http.js';
import { isUntrustedCertificate } from '../../oidc/net-errors.js';
import { defaultNames, type EntryNames } from '../../usecases/entries.js';
import { hostOf } from '../../validate.js';
import { Q } from '../questions.js';
import type { Run } from '../run.js';
import type { Choice } from '../types.js';

type TlsChoice = 'file' | 'system' | 'insecure';

/** API server URL and how to trust it, checked with an anonymous GET /version. */
export async function clusterStep(run: Run): Promise<void> {
  const { ask, out, a, given, suggested } = run;
  const c = out.c;
  let serverDefault = suggested.server;
  for (;;) {
    if (given.server === undefined) a.server = (await ask.input(Q.server(a.server ?? serverDefault))).trim();
    const server = a.server as string;
    const tlsGiven = given.certificateAuthorityData !== undefined || given.insecureSkipTlsVerify === true;
    let caPem: string | undefined = given.certificateAuthorityData ? Buffer.from(given.certificateAuthorityData, 'base64').toString('utf8') : undefined;
    if (!tlsGiven) {
      const choices: Array<Choice<TlsChoice>> = [
        { value: 'file', name: 'With a CA certificate file (PEM) from the cluster admin', short: 'CA file', description: 'Usual for private clusters; the certificate is embedded in the kubeconfig.' },
        { value: 'system', name: "With this machine's trusted CAs", short: 'system CAs', description: 'When the API server has a certificate from a public CA.' },
        { value: 'insecure', name: c.red('Skip verification (insecure)'), short: c.red('insecure'), description: 'Anyone on the network path could impersonate the cluster and capture your token.' },
      ];
      const choice = await ask.select(Q.tls(choices, 'file'));
      a.insecureSkipTlsVerify = choice === 'insecure';
      a.certificateAuthorityData = undefined;
      if (choice === 'file') {
        caPem = await askApiCa(run);
        a.certificateAuthorityData = Buffer.from(caPem).toString('base64');
      } else if (choice === 'insecure') {
        out.warn(c.red('With TLS verification off, kubectl sends your token to whoever answers at that address.'));
        if (!(await ask.confirm(Q.insecureSkipTlsVerify()))) continue;
      } else {
        caPem = undefined;
      }
    }
    if (a.insecureSkipTlsVerify) return;
    const probe = await probeApiServer(run, server, caPem);
    run.apiReachable = probe === 'ok';
    if (probe === 'ok') return;
    if (probe === 'untrusted') {
      out.error(
        caPem ? `The API server's certificate at ${hostOf(server)} is not signed by that CA.` : `The API server's certificate at ${hostOf(server)} is not signed by a CA this machine trusts.`,
        'Use the CA certificate of this cluster (in the admin\'s kubeconfig: certificate-authority-data, base64).',
      );
      if (tlsGiven) throw usageError('--certificate-authority does not match the API server.');
      continue;
    }
    if (await ask.confirm(Q.unreachable())) return;
    if (given.server !== undefined) throw usageError(`--server ${server} is not reachable.`);
    serverDefault = server;
    a.server = undefined;
  }
}

async function askApiCa(run: Run): Promise<string> {
  const { ask, out } = run;
  let previous = run.suggested.certificateAuthorityFile;
  let retry = false;
  for (;;) {
    const file = (await ask.input(Q.certificateAuthority(previous, retry))).trim();
    try {
      return await readPemFile('CA file', file);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      out.error(err.message);
      previous = file;
      retry = true;
    }
  }
}

/** 'ok' when TLS works (any HTTP answer will do), 'untrusted' on a certificate error, else 'unreachable' (reported). */
async function probeApiServer(run: Run, server: string, caPem: string | undefined): Promise<'ok' | 'untrusted' | 'unreachable'> {
  const { deps, out } = run;
  const http = createHttpClient({ env: deps.env, ...(caPem ? { caPem } : {}), timeoutMs: 8000, trace: (l) => out.verbose(l) });
  try {
    const res = await deps.spin(`Checking ${server}…`, () => http.get(`${server.replace(/\/$/, '')}/version`, 'API server version'));
    let version = '';
    try {
      const v = (JSON.parse(res.text) as { gitVersion?: unknown }).gitVersion;
      if (typeof v === 'string') version = ` (Kubernetes ${v})`;
    } catch {
      // not JSON: still a TLS handshake that worked
    }
    out.step(`The API server at ${server} answered${version}; its certificate is trusted.`);
    return 'ok';
  } catch (err) {
    // An unknown CA or a certificate for another host name: either way, not this cluster's CA.
    if (isUntrustedCertificate(err)) return 'untrusted';
    out.warn(`Could not reach the API server: ${err instanceof Error ? err.message : String(err)}`);
    return 'unreachable';
  } finally {
    await http.close();
  }
}

/** The entry names (defaults from the server, Casdoor and username, kept or renamed) and the namespace. */
export async function namesStep(run: Run): Promise<EntryNames> {
  const { ask, out, a, given } = run;
  const given3 = {
    ...(given.cluster ? { cluster: given.cluster } : {}),
    ...(given.user ? { user: given.user } : {}),
    ...(given.context ? { context: given.context } : {}),
  };
  let names = defaultNames({ server: a.server as string, casdoorUrl: a.casdoorUrl as string, username: a.username as string, clientId: a.clientId as string }, given3);
  if (!(given.cluster && given.user && given.context)) {
    out.info(out.c.bold('Names in the kubeconfig:'));
    out.info(`  cluster  ${names.cluster}\n  user     ${names.user}\n  context  ${names.context}`);
    if (!(await ask.confirm(Q.keepNames()))) {
      const cluster = given.cluster ?? (await ask.input(Q.cluster(names.cluster)));
      const user = given.user ?? (await ask.input(Q.user(names.user)));
      // The context default follows a renamed cluster.
      const context = given.context ?? (await ask.input(Q.context(defaultNames({ server: a.server as string, casdoorUrl: a.casdoorUrl as string, username: a.username as string }, { cluster }).context)));
      names = { cluster, user, context };
    }
  }
  a.cluster = names.cluster;
  a.user = names.user;
  a.context = names.context;
  if (given.namespace === undefined) a.namespace = (await ask.input(Q.namespace(run.suggested.namespace))).trim() || undefined;
  return names;
}
