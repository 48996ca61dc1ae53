/**
 * Reading one kubeconfig file and turning file-system errors into CliError('kubeconfig') messages a
 * person can act on. Shared by the store (writes) and the merged view (look-ups).
 */
import { constants, promises as fs } from 'node:fs';
import { CliError, errnoOf } from '../errors.js';
import type { KubeconfigDoc } from './model.js';
import { newKubeconfig, parseKubeconfig } from './model.js';
import { MAX_KUBECONFIG_BYTES, decodeKubeconfigBytes, tooLarge } from './limits.js';

// Defined in the leaf errors.ts (the token cache uses it without loading the kubeconfig model); kept here for this layer's modules.
export { errnoOf };

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

/** What a path that is not a regular file is, for messages. */
function kindOf(stat: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stat.isDirectory()) return 'it is a directory, not a file';
  if (stat.isFIFO()) return 'it is a named pipe (FIFO), not a file: a kubeconfig is replaced atomically, which a pipe cannot be';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'it is a device, not a file';
  if (stat.isSocket()) return 'it is a socket, not a file';
  return 'it is not a regular file';
}

/**
 * A missing file is an empty kubeconfig (kubectl creates it on first write); anything unreadable is an
 * error. Opened with O_NONBLOCK: opening a FIFO for reading otherwise blocks until some writer opens it
 * (forever, and in a libuv worker that no signal interrupts); non-blocking, the open returns at once
 * and the check below refuses it. O_NONBLOCK changes nothing for a regular file.
 */
export async function readKubeconfigFile(file: string): Promise<LoadedFile> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return { file, exists: false, raw: Buffer.alloc(0), doc: newKubeconfig() };
    // open(2) of a socket fails with ENXIO before the check below could say what the path is.
    const stat = errnoOf(err) === 'ENXIO' ? await fs.stat(file).catch(() => undefined) : undefined;
    throw fileError(stat && !stat.isFile() ? new Error(kindOf(stat)) : err, 'read', file);
  }
  try {
    const stat = await handle.stat();
    // Opening a directory read-only succeeds on Linux; say what is wrong instead of a bare EISDIR later.
    if (!stat.isFile()) throw fileError(new Error(kindOf(stat)), 'read', file);
    if (stat.size > MAX_KUBECONFIG_BYTES) throw tooLarge(file, stat.size);
    const raw = await handle.readFile();
    // It may have grown since the stat.
    if (raw.length > MAX_KUBECONFIG_BYTES) throw tooLarge(file, raw.length);
    return { file, exists: true, raw, doc: parseKubeconfig(decodeKubeconfigBytes(raw, file), file), mode: stat.mode & 0o7777 };
  } catch (err) {
    throw fileError(err, 'read', file);
  } finally {
    await handle.close();
  }
}
