/**
 * A client for the go-oidc verifier process (__tests__/fixtures/go-oidc-verify/main.go): the real
 * github.com/coreos/go-oidc v2 that kube-apiserver vendors, asked for its verdict on signature, iss,
 * aud, exp and nbf. One JSON line per request, answers in order.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface GoOidcConfig {
  binary: string;
  issuer: string;
  clientId: string;
  signingAlgs: string[];
  jwksUri: string;
  /** PEM text of the CA trusted for the JWKS (--oidc-ca-file). */
  caPem?: string;
}

export interface GoOidcVerdict {
  ok: boolean;
  error?: string;
}

export interface GoOidcVerifier {
  verify(token: string, nowSeconds: number): Promise<GoOidcVerdict>;
  close(): Promise<void>;
}

export function startGoOidcVerifier(config: GoOidcConfig): GoOidcVerifier {
  const args = ['-issuer', config.issuer, '-client-id', config.clientId, '-algs', config.signingAlgs.join(','), '-jwks-uri', config.jwksUri];
  const child: ChildProcessWithoutNullStreams = spawn(config.binary, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '', ...(config.caPem ? { GO_OIDC_VERIFY_CA_PEM: config.caPem } : {}) },
  });
  const waiting: Array<{ resolve: (v: GoOidcVerdict) => void; reject: (e: Error) => void }> = [];
  let stderr = '';
  let exited = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const fail = (why: string): void => {
    exited = true;
    for (const w of waiting.splice(0)) w.reject(new Error(`go-oidc verifier: ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
  };
  child.on('error', (err) => fail(err.message));
  child.on('exit', (code) => fail(`exited with ${String(code)}`));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const next = waiting.shift();
    if (!next) return;
    try {
      next.resolve(JSON.parse(line) as GoOidcVerdict);
    } catch {
      next.reject(new Error(`go-oidc verifier answered ${line}`));
    }
  });
  return {
    verify: (token, nowSeconds) =>
      new Promise<GoOidcVerdict>((resolve, reject) => {
        if (exited) {
          reject(new Error(`go-oidc verifier is not running${stderr ? `: ${stderr.trim()}` : ''}`));
          return;
        }
        waiting.push({ resolve, reject });
        child.stdin.write(`${JSON.stringify({ token, now: nowSeconds })}\n`);
      }),
    close: async () => {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.stdin.end();
      await gone;
    },
  };
}
