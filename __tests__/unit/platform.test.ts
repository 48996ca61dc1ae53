/**
 * Platform rules with the platform injected: the home folder as client-go finds it (util/homedir/homedir.go),
 * KUBECONFIG split with ';' on Windows, and the exec command kubectl on Windows can start.
 */
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { resolveKubeconfigChain } from '../../src/kubeconfig/target.js';
import { execCommandFor, kubeHomeDir, type StatLike } from '../../src/platform.js';

const dir = (writable = true): StatLike => ({ isDirectory: () => true, mode: writable ? 0o40777 : 0o40555 });
const file: StatLike = { isDirectory: () => false, mode: 0o100666 };
/** A Windows file system: the paths that exist. */
const fsOf = (entries: Record<string, StatLike>) => (p: string): StatLike | undefined => entries[p];
const win = { platform: 'win32' as const, join: path.win32.join, fallback: () => 'C:\\fallback' };

describe('kubeHomeDir', () => {
  it('POSIX: $HOME, whatever the account database says; the account home only when HOME is unset', () => {
    expect(kubeHomeDir({ env: { HOME: '/home/ci' }, platform: 'linux', fallback: () => '/root' })).toBe('/home/ci');
    expect(kubeHomeDir({ env: { HOME: '/Users/a' }, platform: 'darwin', fallback: () => '/x' })).toBe('/Users/a');
    expect(kubeHomeDir({ env: {}, platform: 'linux', fallback: () => '/root' })).toBe('/root');
  });

  it('Windows: the first of HOME, HOMEDRIVE+HOMEPATH, USERPROFILE holding .kube\\config', () => {
    const env = { HOME: 'C:\\git-home', HOMEDRIVE: 'H:', HOMEPATH: '\\share\\ann', USERPROFILE: 'C:\\Users\\ann' };
    const stat = fsOf({ 'C:\\git-home': dir(), 'H:\\share\\ann': dir(), 'C:\\Users\\ann': dir(), 'C:\\Users\\ann\\.kube\\config': file, 'H:\\share\\ann\\.kube\\config': file });
    // HOMEDRIVE+HOMEPATH is looked at before USERPROFILE in this first round.
    expect(kubeHomeDir({ ...win, env, stat })).toBe('H:\\share\\ann');
    expect(kubeHomeDir({ ...win, env, stat: fsOf({ 'C:\\Users\\ann\\.kube\\config': file }) })).toBe('C:\\Users\\ann');
  });

  it('Windows without any .kube\\config: the first writable folder of HOME, USERPROFILE, HOMEDRIVE+HOMEPATH, else the first existing, else the first set', () => {
    const env = { HOME: 'C:\\ro-home', HOMEDRIVE: 'H:', HOMEPATH: '\\ann', USERPROFILE: 'C:\\Users\\ann' };
    expect(kubeHomeDir({ ...win, env, stat: fsOf({ 'C:\\ro-home': dir(false), 'C:\\Users\\ann': dir(), 'H:\\ann': dir() }) })).toBe('C:\\Users\\ann');
    expect(kubeHomeDir({ ...win, env, stat: fsOf({ 'C:\\Users\\ann': dir(false), 'H:\\ann': dir(false) }) })).toBe('C:\\Users\\ann');
    expect(kubeHomeDir({ ...win, env, stat: fsOf({}) })).toBe('C:\\ro-home');
    expect(kubeHomeDir({ ...win, env: { USERPROFILE: 'C:\\Users\\ann' }, stat: fsOf({}) })).toBe('C:\\Users\\ann');
    expect(kubeHomeDir({ ...win, env: {}, stat: fsOf({}) })).toBe('C:\\fallback');
  });
});

describe('KUBECONFIG on Windows', () => {
  it("is split with ';' (path.delimiter there), drive letters intact", () => {
    expect(resolveKubeconfigChain({ home: 'C:\\Users\\ann', envValue: 'C:\\a\\config;D:\\b\\config', delimiter: ';' }).files).toEqual(['C:\\a\\config', 'D:\\b\\config']);
  });
});

describe('execCommandFor', () => {
  it('Windows: a bare name stays (Go LookPath finds the .cmd shim through PATHEXT); a path to npm\'s shell shim becomes its .cmd', () => {
    const exists = (p: string): boolean => p === 'C:\\npm\\casdoor-kubeconfig.cmd';
    expect(execCommandFor('casdoor-kubeconfig', 'win32', exists)).toBe('casdoor-kubeconfig');
    expect(execCommandFor('C:\\npm\\casdoor-kubeconfig', 'win32', exists)).toBe('C:\\npm\\casdoor-kubeconfig.cmd');
    expect(execCommandFor('C:\\npm\\casdoor-kubeconfig.cmd', 'win32', exists)).toBe('C:\\npm\\casdoor-kubeconfig.cmd');
    expect(execCommandFor('C:\\other\\casdoor-kubeconfig', 'win32', exists)).toBe('C:\\other\\casdoor-kubeconfig');
  });
  it('elsewhere the command is kept as given', () => {
    expect(execCommandFor('/usr/local/bin/casdoor-kubeconfig', 'linux', () => true)).toBe('/usr/local/bin/casdoor-kubeconfig');
  });
});
