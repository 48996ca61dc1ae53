/**
 * `generate --out-dir` (issue 10, point 2): files are written only inside the folder. A teammate's
 * file name that is a symbolic link (or a hard link) could point the write at a file elsewhere, so such
 * names are refused; and a folder someone else can write to could have such links planted in it between
 * our check and our write, so the folder itself must be ours (or root's) and not writable by group or
 * others, unless it has the sticky bit (like /tmp: others cannot replace our files there). The same rule
 * ssh applies to ~/.ssh (sshd auth.c secure_filename: not group- or world-writable, owned by the user or root).
 */
import { promises as fs } from 'node:fs';
import { CliError, usageError } from '../errors.js';
import { errnoOf } from './io.js';

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** Refuses (exit 2) an out-dir that others could change under us. */
export async function checkOutDir(dir: string, uid: number | undefined = process.getuid?.()): Promise<void> {
  const st = await fs.stat(dir);
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) {
    throw usageError(`--out-dir: ${dir} belongs to another user (uid ${st.uid}); the kubeconfigs would be theirs to change.`, 'Use a folder of your own.');
  }
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
    throw usageError(
      `--out-dir: ${dir} can be written by ${(st.mode & 0o002) !== 0 ? 'everyone' : 'its group'} (mode ${octal(st.mode)}) without the sticky bit: another user could replace the files in it with links to elsewhere.`,
      `Make it private (chmod 700 '${dir}') or use another folder.`,
    );
  }
}

/** Refuses (exit 6) a target inside the out-dir that is a symbolic link or has other hard links. */
export async function checkOutFile(file: string): Promise<void> {
  let st;
  try {
    st = await fs.lstat(file);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw err;
  }
  const hint = 'Remove it (or choose another --out-dir); generate writes only regular files of its own.';
  if (st.isSymbolicLink()) throw new CliError('kubeconfig', `refusing to write ${file}: it is a symbolic link (to ${await fs.readlink(file).catch(() => '?')}); generate never writes through a link.`, { hint });
  if (st.isFile() && st.nlink > 1) throw new CliError('kubeconfig', `refusing to write ${file}: it has ${st.nlink - 1} other hard link(s), so the same file lives elsewhere too.`, { hint });
}
