/**
 * Throwaway TLS material for the demo peers: a CA and one leaf certificate for 127.0.0.1/localhost.
 *
 * Made with the `openssl` CLI because Node has no X.509 writer. Every call is asynchronous on
 * purpose: the provider and API server run in the same process, and a synchronous child process
 * would freeze them mid-handshake.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsMaterial {
  /** The folder holding every file below. */
  dir: string;
  caPem: string;
  /** Path of the CA certificate (PEM): what `--oidc-ca-file`, `certificate-authority` and friends want. */
  caFile: string;
  certPem: string;
  certFile: string;
  keyPem: string;
  keyFile: string;
  /** Deletes `dir`. Servers started with this material must be closed first. */
  remove(): Promise<void>;
}

export interface TlsMaterialOptions {
  /** Folder to write into; a fresh `mkdtemp` folder when absent. */
  dir?: string;
  /** Validity in days (default 30: long enough for a demo left running, short enough to be harmless). */
  days?: number;
}

// P-256 keys: generating one takes milliseconds, RSA-2048 takes hundreds.
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim() || String(err)}`, { cause: err });
  }
}

/**
 * Creates a CA and a server certificate signed by it, valid for IP 127.0.0.1 and DNS localhost.
 * One set can serve several servers at once (the provider and the API server share it in the demo),
 * so a client needs to trust a single CA.
 */
export async function makeTlsMaterial(dirOrOptions?: string | TlsMaterialOptions): Promise<TlsMaterial> {
  const options: TlsMaterialOptions = typeof dirOrOptions === 'string' ? { dir: dirOrOptions } : (dirOrOptions ?? {});
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'casdoor-kubeconfig-tls-')));
  const days = String(options.days ?? 30);

  // Go's verifier (kubectl, kube-apiserver) insists on CA:TRUE and keyCertSign for the issuer and on a
  // subjectAltName for the leaf (the CN is ignored), so every extension is spelled out.
  await openssl(
    [
      'req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', days, '-sha256',
      '-subj', '/CN=casdoor-kubeconfig demo CA',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await openssl(['req', '-new', ...EC_KEY, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  await writeFile(
    join(dir, 'server.ext'),
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  await openssl(
    [
      'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(Date.now()),
      '-days', days, '-sha256', '-extfile', 'server.ext', '-out', 'server.pem',
    ],
    dir,
  );

  const caFile = join(dir, 'ca.pem');
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  const [caPem, certPem, keyPem] = await Promise.all([
    readFile(caFile, 'utf8'),
    readFile(certFile, 'utf8'),
    readFile(keyFile, 'utf8'),
  ]);
  return {
    dir,
    caPem,
    caFile,
    certPem,
    certFile,
    keyPem,
    keyFile,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A self-signed X.509 certificate (PEM) for a token-signing key: Casdoor's certs (object/cert.go) hold
 * one, and its JWKS entries carry it as `x5c` (GetJsonWebKeySet).
 */
export async function selfSignedCertificate(privateKeyPem: string, commonName: string, days = 7300): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'casdoor-kubeconfig-cert-'));
  try {
    await writeFile(join(dir, 'key.pem'), privateKeyPem, { mode: 0o600 });
    await openssl(['req', '-new', '-x509', '-key', 'key.pem', '-out', 'cert.pem', '-days', String(days), '-subj', `/O=Casdoor Organization/CN=${commonName}`], dir);
    return await readFile(join(dir, 'cert.pem'), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
