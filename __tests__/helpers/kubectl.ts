/**
 * Finding and running the real kubectl binaries installed on the development machines and CI.
 *
 * `kubectl` on PATH is the Google Cloud SDK dispatcher: it makes its own authenticated GET /version
 * (running exec plugins for it) before handing over to a version-matched real binary, which doubles
 * plugin runs and API requests. Tests that count those use a real binary (`kubectlBinary()`), and
 * compatibility tests run through every version found (`allKubectlBinaries()`).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const SDK_BIN = '/usr/lib/google-cloud-sdk/bin';
const VERSIONS = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'] as const;

export interface KubectlBinary {
  /** Absolute path. */
  path: string;
  /** '1.32' for a real versioned binary; 'dispatcher' for whatever `kubectl` is on PATH. */
  version: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The `kubectl` on PATH, if any. */
export function kubectlOnPath(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'kubectl');
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

/** The version-specific real binaries kubectl.1.27 … kubectl.1.33 that exist, oldest first. */
export function versionedKubectls(): KubectlBinary[] {
  return VERSIONS.map((version) => ({ path: join(SDK_BIN, `kubectl.${version}`), version })).filter((b) =>
    executable(b.path),
  );
}

/** Every kubectl to run a compatibility test through: the real versioned binaries, else the one on PATH. */
export function allKubectlBinaries(): KubectlBinary[] {
  const versioned = versionedKubectls();
  if (versioned.length > 0) return versioned;
  const onPath = kubectlOnPath();
  return onPath === undefined ? [] : [{ path: onPath, version: 'dispatcher' }];
}

/** The real 1.32 binary when present (no dispatcher in the way), else the newest real one, else PATH's. */
export function kubectlBinary(): string | undefined {
  const versioned = versionedKubectls();
  return (versioned.find((b) => b.version === '1.32') ?? versioned.at(-1))?.path ?? kubectlOnPath();
}

let warned = false;

/**
 * True when some kubectl exists. When none does, says so loudly once, so a skipped kubectl test is
 * never mistaken for a passing one. Use: `const itKubectl = requireKubectl() ? it : it.skip;`.
 */
export function requireKubectl(): boolean {
  if (kubectlBinary() !== undefined) return true;
  if (!warned) {
    warned = true;
    console.warn(
      [
        '',
        '################################################################################',
        '##  NO kubectl FOUND: the tests that run the real kubectl are SKIPPED.        ##',
        `##  Looked for ${SDK_BIN}/kubectl.1.XX and kubectl on PATH.  ##`,
        '##  Install kubectl to run them; their results here prove nothing.            ##',
        '################################################################################',
        '',
      ].join('\n'),
    );
  }
  return false;
}

export interface KubectlResult {
  /** Exit status; -1 when killed (timeout). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunKubectlOptions {
  /** Merged over a clean environment (PATH and HOME from this process unless given). */
  env?: Record<string, string | undefined>;
  /** Passed as --kubeconfig (KUBECONFIG is left alone otherwise). */
  kubeconfig?: string;
  cwd?: string;
  /** Milliseconds; default 30 s. */
  timeout?: number;
}

/**
 * Runs kubectl asynchronously: in-process servers (the demo provider and API server) must keep
 * answering while it runs, which a synchronous child process would prevent. Never rejects on a
 * non-zero exit; the caller asserts on `code`.
 */
export function runKubectl(bin: string, args: readonly string[], options: RunKubectlOptions = {}): Promise<KubectlResult> {
  const fullArgs = options.kubeconfig === undefined ? [...args] : [`--kubeconfig=${options.kubeconfig}`, ...args];
  // A minimal environment: no stray KUBECONFIG, proxies or cloud settings from the developer's shell.
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolve) => {
    execFile(
      bin,
      fullArgs,
      { env, cwd: options.cwd, timeout: options.timeout ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        let code = 0;
        if (error !== null) code = typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}
