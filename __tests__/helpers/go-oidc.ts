/**
 * The real go-oidc v2 (the verification library kube-apiserver's OIDC authenticator vendors), built
 * from __tests__/fixtures/go-oidc-verify/main.go in GOPATH mode against Debian's
 * golang-github-coreos-go-oidc-dev (`apt-get install golang-go golang-github-coreos-go-oidc-dev`):
 * no module downloads. The binary is built once per source version into the system temp folder (never
 * committed) and handed to startApiServer({ goOidcVerifier }).
 *
 * Where it cannot be built, goOidcVerifier() answers undefined and says so loudly, once.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SOURCE = join(process.cwd(), '__tests__', 'fixtures', 'go-oidc-verify', 'main.go');
const GOCODE = '/usr/share/gocode';
const LIBRARY = join(GOCODE, 'src', 'github.com', 'coreos', 'go-oidc', 'verify.go');

let built: Promise<string | undefined> | undefined;
let warned = false;

async function build(): Promise<string | undefined> {
  if (!existsSync(LIBRARY)) return skip(`${LIBRARY} is missing (apt-get install golang-go golang-github-coreos-go-oidc-dev)`);
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `ck-go-oidc-verify-${hash}`);
  const binary = join(dir, 'go-oidc-verify');
  if (existsSync(binary)) return binary;
  try {
    const pkg = join(dir, 'src', 'go-oidc-verify');
    await mkdir(pkg, { recursive: true });
    await copyFile(SOURCE, join(pkg, 'main.go'));
    const tmp = `${binary}.${process.pid}`;
    await run('go', ['build', '-o', tmp, '.'], {
      cwd: pkg,
      env: { ...process.env, GO111MODULE: 'off', GOPATH: `${dir}:${GOCODE}`, GOCACHE: join(dir, 'cache'), GOFLAGS: '', GOPROXY: 'off' },
      timeout: 300_000,
    });
    await rename(tmp, binary);
    return binary;
  } catch (err) {
    return skip(`go build failed: ${err instanceof Error ? err.message.split('\n').slice(0, 4).join(' ') : String(err)}`);
  }
}

function skip(why: string): undefined {
  if (!warned) {
    warned = true;
    console.warn(`\n*** SKIPPED: the real go-oidc verifier cannot be built (${why}); the test API server checks tokens with its own port of go-oidc's rules. ***\n`);
  }
  return undefined;
}

/** The path of the built verifier, or undefined (with a loud warning) when it cannot be built. */
export function goOidcVerifier(): Promise<string | undefined> {
  built ??= build();
  return built;
}
