import { describe, expect, it } from '@jest/globals';
import { defaultExecCommand, installKind, isNpxCachePath, versionDetails, type Runtime } from '../../src/install-info.js';
import { CliError } from '../../src/errors.js';

/** A fake machine: `links` maps a path to what it resolves to; `files` are the executables that exist. */
function runtime(over: Partial<Runtime> & { links?: Record<string, string>; files?: string[] }): Runtime {
  const links = over.links ?? {};
  const files = new Set([...(over.files ?? []), ...Object.keys(links), ...Object.values(links)]);
  return {
    isSea: false,
    execPath: '/usr/bin/node',
    argv1: '/home/a/src/casdoor-kubeconfig/dist/bin.js',
    cwd: '/home/a',
    env: { PATH: '/usr/local/bin:/usr/bin' },
    platform: 'linux',
    realpath: (p) => {
      if (!files.has(p)) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
      return links[p] ?? p;
    },
    isExecutable: (p) => files.has(p),
    ...over,
  };
}

const NPX_BIN = '/home/a/.npm/_npx/1f2e3d/node_modules/.bin/casdoor-kubeconfig';
const NPX_REAL = '/home/a/.npm/_npx/1f2e3d/node_modules/casdoor-kubeconfig/dist/bin.js';

describe('installKind', () => {
  it('tells a checkout, an installed package, npx and the single executable apart', () => {
    expect(installKind(runtime({ files: ['/home/a/src/casdoor-kubeconfig/dist/bin.js'] }))).toBe('checkout');
    const global = '/usr/lib/node_modules/casdoor-kubeconfig/dist/bin.js';
    expect(installKind(runtime({ argv1: '/usr/bin/casdoor-kubeconfig', links: { '/usr/bin/casdoor-kubeconfig': global } }))).toBe('package');
    expect(installKind(runtime({ argv1: NPX_BIN, links: { [NPX_BIN]: NPX_REAL } }))).toBe('npx');
    expect(installKind(runtime({ isSea: true, execPath: '/opt/ck/casdoor-kubeconfig-linux-x64', argv1: './casdoor-kubeconfig-linux-x64' }))).toBe('sea');
  });

  it('recognises npm cache paths on both separators', () => {
    expect(isNpxCachePath('C:\\Users\\a\\AppData\\Local\\npm-cache\\_npx\\ab12\\node_modules\\x')).toBe(true);
    expect(isNpxCachePath('/home/a/.npm/_npx/ab12/node_modules/x')).toBe(true);
    expect(isNpxCachePath('/home/a/my_npx_tools/x')).toBe(false);
  });
});

describe('defaultExecCommand', () => {
  it('keeps `casdoor-kubeconfig` for a checkout and an installed package', () => {
    expect(defaultExecCommand(runtime({}))).toBe('casdoor-kubeconfig');
    const global = '/usr/lib/node_modules/casdoor-kubeconfig/dist/bin.js';
    expect(defaultExecCommand(runtime({ argv1: '/usr/bin/casdoor-kubeconfig', links: { '/usr/bin/casdoor-kubeconfig': global } }))).toBe('casdoor-kubeconfig');
  });

  it('single executable: its absolute path, resolved from a relative start against the cwd', () => {
    const exe = '/opt/ck/casdoor-kubeconfig-linux-x64';
    expect(defaultExecCommand(runtime({ isSea: true, execPath: exe, argv1: './casdoor-kubeconfig-linux-x64', cwd: '/opt/ck', files: [exe] }))).toBe(exe);
  });

  it("single executable started through a symlink on PATH (krew's ~/.krew/bin): the symlink, which survives upgrades", () => {
    const store = '/home/a/.krew/store/casdoor/v0.1.0/kubectl-casdoor';
    const link = '/home/a/.krew/bin/kubectl-casdoor';
    const rt = runtime({ isSea: true, execPath: store, argv1: 'kubectl-casdoor', env: { PATH: '/home/a/.krew/bin:/usr/bin' }, links: { [link]: store } });
    expect(defaultExecCommand(rt)).toBe(link);
    // kubectl starts plugins by their full path: the same answer.
    expect(defaultExecCommand({ ...rt, argv1: link })).toBe(link);
  });

  it('single executable: a name on PATH that leads elsewhere is not taken', () => {
    const exe = '/opt/ck/casdoor-kubeconfig-linux-x64';
    const rt = runtime({ isSea: true, execPath: exe, argv1: 'casdoor-kubeconfig', files: [exe, '/usr/local/bin/casdoor-kubeconfig'] });
    expect(defaultExecCommand(rt)).toBe(exe);
  });

  it('npx with a persistent install on PATH: the bare name, never the cache path', () => {
    const rt = runtime({
      argv1: NPX_BIN,
      env: { PATH: `/home/a/.npm/_npx/1f2e3d/node_modules/.bin:/usr/local/bin:/usr/bin` },
      links: { [NPX_BIN]: NPX_REAL, '/usr/local/bin/casdoor-kubeconfig': '/usr/local/lib/node_modules/casdoor-kubeconfig/dist/bin.js' },
    });
    expect(defaultExecCommand(rt)).toBe('casdoor-kubeconfig');
  });

  it('npx without a persistent install: refuses with a usage error naming the install methods', () => {
    const rt = runtime({ argv1: NPX_BIN, env: { PATH: '/home/a/.npm/_npx/1f2e3d/node_modules/.bin:/usr/bin' }, links: { [NPX_BIN]: NPX_REAL } });
    let err: unknown;
    try {
      defaultExecCommand(rt);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).code).toBe('usage');
    expect((err as CliError).message).toContain('temporary cache');
    expect((err as CliError).hint).toContain('npm install -g casdoor-kubeconfig');
    expect((err as CliError).hint).toContain('--exec-command');
  });
});

describe('versionDetails', () => {
  it('names the version, how it runs and the Node.js inside a single executable', () => {
    const text = versionDetails('9.8.7', runtime({ isSea: true, execPath: '/opt/ck/x' }));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('9.8.7');
    expect(lines[1]).toContain('single executable /opt/ck/x');
    expect(lines[2]).toContain(`Node.js ${process.version} (inside the executable)`);
  });
});
