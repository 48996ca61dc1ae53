/**
 * Reading one kubeconfig file and turning file-system errors into CliError('kubeconfig') messages a
 * person can act on. Shared by the store (writes) and the merged view (look-ups).
 */
import { promises as fs } from 'node:fs';
import { CliError } from '../errors.js';
import type { KubeconfigDoc } from './model.js';
import { newKubeconfig, parseKubeconfig } from './model.js';

export interface LoadedFile {
  file: string;
  exists: boolean;
  /** The exact bytes read (the backup is written from these, not re-read). Empty when the file is missing. */
  raw: Buffer;
  doc: KubeconfigDoc;
  /** Permission bits of the existing file. */
  mode?: number;
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory, not a file',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

// Duck-typed, not `instanceof Error`: errors from Node's fs may come from another realm (vm, jest).
export function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

const messageOf = (err: unknown): string =>
  typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string' ? err.message : String(err);

/** `doing` completes "cannot … <file>", e.g. "read", "write", "create the lock file". */
export function fileError(err: unknown, doing: string, file: string): CliError {
  if (err instanceof CliError) return err;
  const code = errnoOf(err);
  const reason = (code && REASONS[code]) ?? messageOf(err);
  return new CliError('kubeconfig', `cannot ${doing} ${file}: ${reason}`, {
    hint: 'Check the path and its permissions, or choose another file with --kubeconfig.',
    cause: err,
  });
}

/** A missing file is an empty kubeconfig (kubectl creates it on first write); anything unreadable is an error. */
export async function readKubeconfigFile(file: string): Promise<LoadedFile> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return { file, exists: false, raw: Buffer.alloc(0), doc: newKubeconfig() };
    throw fileError(err, 'read', file);
  }
  try {
    const stat = await handle.stat();
    // Opening a directory read-only succeeds on Linux; say what is wrong instead of a bare EISDIR later.
    if (!stat.isFile()) throw fileError(Object.assign(new Error('not a file'), { code: 'EISDIR' }), 'read', file);
    const raw = await handle.readFile();
    return { file, exists: true, raw, doc: parseKubeconfig(raw.toString('utf8'), file), mode: stat.mode & 0o7777 };
  } catch (err) {
    throw fileError(err, 'read', file);
  } finally {
    await handle.close();
  }
}
