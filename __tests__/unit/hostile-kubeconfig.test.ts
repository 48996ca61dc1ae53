/**
 * Hostile and unlucky kubeconfigs and flag values (issue 10): each case asserts the error (code and
 * message), that the user's file is byte-identical afterwards, and that no secret shows anywhere.
 * Where kubectl's own behaviour is the standard (aliases, encodings, YAML 1.1 scalars), the real
 * kubectl reads the same bytes in the test.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { readPemFile } from '../../src/cli/inputs.js';
import type { CliError} from '../../src/errors.js';
import { exitCodeFor } from '../../src/errors.js';
import { BACKUP_MARK } from '../../src/kubeconfig/backup.js';
import { MAX_KUBECONFIG_BYTES, countAliasExpansion } from '../../src/kubeconfig/limits.js';
import type { KubeconfigEntries } from '../../src/kubeconfig/merge.js';
import { mergeEntries } from '../../src/kubeconfig/merge.js';
import { parseKubeconfig, serializeKubeconfig } from '../../src/kubeconfig/model.js';
import { RepointError, applyKubeconfigChange } from '../../src/kubeconfig/store.js';
import { STRING, resolveGoYaml } from '../../src/kubeconfig/yaml11.js';
import { defaultNames } from '../../src/usecases/entries.js';
import { cleartextServerWarning, parseServerUrl, serverUrlFlag } from '../../src/validate.js';
import { caught, rejected } from '../helpers/errors.js';
import { requireKubectl, kubectlBinary, runKubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/kubeconfig-gen.js';

const hasKubectl = requireKubectl();
const itKubectl = hasKubectl ? it : it.skip;
const KUBECTL = kubectlBinary() ?? 'kubectl';

const SECRET_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZS1zdWIifQ.c2lnLXNlY3JldC1ieXRlcw';
const SECRET_REFRESH = 'rt-hostile-refresh-secret-9f1c';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('hostile-kc-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const entries = (over: Partial<KubeconfigEntries> = {}): KubeconfigEntries => ({
  cluster: { name: 'prod', cluster: { server: 'https://k8s.example:6443' } },
  user: {
    name: 'alice@door',
    user: { 'auth-provider': { name: 'oidc', config: { 'client-id': 'app-1', 'idp-issuer-url': 'https://door.example', 'id-token': SECRET_TOKEN, 'refresh-token': SECRET_REFRESH } } },
  },
  context: { name: 'alice@prod', context: { cluster: 'prod', user: 'alice@door' } },
  currentContext: 'alice@prod',
  ...over,
});

const apply = (file: string, e: KubeconfigEntries = entries(), extra: { force?: boolean; dryRun?: boolean } = {}) =>
  applyKubeconfigChange({ kubeconfigFlag: file, env: {}, homeDir: dir, entries: e, lockWaitMs: 200, ...extra });

function expectNoSecret(err: CliError, ...secrets: string[]): void {
  for (const s of [SECRET_TOKEN, SECRET_REFRESH, ...secrets]) {
    expect(err.message).not.toContain(s);
    expect(err.hint ?? '').not.toContain(s);
  }
}

/** Only the file itself is left in its folder: no lock, no backup, no temp file. */
async function expectAlone(file: string): Promise<void> {
  expect((await fs.readdir(path.dirname(file))).filter((n) => n.startsWith(path.basename(file)))).toEqual([path.basename(file)]);
}

// ---- 1. No private key is ever copied --------------------------------------------------------------

describe('1. a CA file that also holds a private key', () => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const keyBody = (pem: string): string => pem.split('\n')[1] ?? '';
  const certPem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGUtYm9keQ==\n-----END CERTIFICATE-----\n';

  it.each([
    ['PKCS#8', key.export({ format: 'pem', type: 'pkcs8' }).toString()],
    ['SEC1 (EC PRIVATE KEY)', key.export({ format: 'pem', type: 'sec1' }).toString()],
    ['encrypted PKCS#8', key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString()],
  ])('%s key beside the certificate: usage error (exit 2), the key never quoted', async (_label, keyPem) => {
    for (const content of [certPem + keyPem, keyPem + certPem]) {
      const file = path.join(dir, 'bundle.pem');
      await fs.writeFile(file, content);
      const err = await rejected(readPemFile('--casdoor-ca', file));
      expect(exitCodeFor(err.code)).toBe(2);
      expect(err.message).toBe(`--casdoor-ca: ${file} also holds a private key; casdoor-kubeconfig copies CA files into kubeconfigs and configuration, and never copies a private key.`);
      expect(err.hint).toContain(`sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' ${file} > ca.crt`);
      expectNoSecret(err, keyBody(keyPem));
      expect(await fs.readFile(file, 'utf8')).toBe(content);
    }
  });

  it('a file with certificates only is read as it is', async () => {
    const file = path.join(dir, 'ca.pem');
    await fs.writeFile(file, certPem + certPem);
    expect(await readPemFile('--certificate-authority', file)).toBe(certPem + certPem);
  });
});

// ---- 3. No silent re-pointing ---------------------------------------------------------------------

const SHARED = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://k8s.example:6443
    proxy-url: http://proxy.corp:3128
    extensions:
    - name: vendor.example/info
      extension: {region: eu-1, enabled: yes}
  x-note: keep me
users:
- name: alice@door
  user:
    auth-provider:
      name: oidc
      config:
        client-id: app-1
        idp-issuer-url: https://door.example
        id-token: ${SECRET_TOKEN}
        extra-scopes: groups
    as-groups: [auditors]
    extensions:
    - name: vendor.example/user
      extension: {keep: true}
contexts:
- name: ci
  context: {cluster: prod, user: alice@door, namespace: ci}
- name: alice@prod
  context: {cluster: prod, user: alice@door}
current-context: ci
`;

describe('3. replacing an entry other contexts use', () => {
  it('another client id for a shared user: refused (exit 6), naming the contexts; the file is byte-identical', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, SHARED, { mode: 0o600 });
    const e = entries();
    (e.user!.user['auth-provider'] as { config: Record<string, string> }).config['client-id'] = 'app-2';
    for (const dryRun of [false, true]) {
      const err = await rejected(apply(file, e, { dryRun }));
      expect(err).toBeInstanceOf(RepointError);
      expect(exitCodeFor(err.code)).toBe(6);
      expect(err.message).toBe('Not replacing an entry other contexts use: user "alice@door" (another client id) is also used by "ci". Replacing it would silently change where those contexts connect or who they act as.');
      expect(err.hint).toBe('Give this setup its own entry name (--user NAME), or re-run with --force to re-point them too.');
      expectNoSecret(err);
      expect(await fs.readFile(file, 'utf8')).toBe(SHARED);
      await expectAlone(file);
    }
  });

  it('another server, another CA, another Casdoor user: each refused, naming what changes', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, SHARED, { mode: 0o600 });
    const server = await rejected(apply(file, entries({ cluster: { name: 'prod', cluster: { server: 'https://evil.example:6443' } } })));
    expect(server.message).toContain('cluster "prod" (server https://k8s.example:6443 → https://evil.example:6443) is also used by "ci"');
    const ca = await rejected(apply(file, entries({ cluster: { name: 'prod', cluster: { server: 'https://k8s.example:6443', 'certificate-authority-data': 'Q0E=' } } })));
    expect(ca.message).toContain('cluster "prod" (another certificate authority or TLS setting)');
    const bob = entries();
    (bob.user!.user['auth-provider'] as { config: Record<string, string> }).config['id-token'] = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2Itc3ViIn0.c2ln';
    const who = await rejected(apply(file, bob));
    expect(who.message).toContain('user "alice@door" (another Casdoor user) is also used by "ci"');
    expect(await fs.readFile(file, 'utf8')).toBe(SHARED);
  });

  it('the same identity (a re-login with new tokens) replaces without --force and keeps extensions and unknown keys', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, SHARED, { mode: 0o600 });
    const res = await apply(file);
    expect(res.files[0]!.changes.filter((c) => c.action === 'replaced').map((c) => c.kind)).toEqual(['user', 'current-context']);
    const doc = parseKubeconfig(await fs.readFile(file, 'utf8'), file);
    const cluster = doc.clusters!.find((c) => c.name === 'prod')!;
    expect(cluster['x-note']).toBe('keep me');
    expect(cluster.cluster['proxy-url']).toBe('http://proxy.corp:3128');
    expect(cluster.cluster.extensions).toEqual([{ name: 'vendor.example/info', extension: { region: 'eu-1', enabled: true } }]);
    const user = doc.users!.find((u) => u.name === 'alice@door')!.user;
    expect(user['as-groups']).toEqual(['auditors']);
    expect(user.extensions).toEqual([{ name: 'vendor.example/user', extension: { keep: true } }]);
    expect(user['auth-provider']!.config).toEqual({ 'client-id': 'app-1', 'idp-issuer-url': 'https://door.example', 'id-token': SECRET_TOKEN, 'refresh-token': SECRET_REFRESH, 'extra-scopes': 'groups' });
  });

  it('--force re-points them; a stale credential of another kind is not kept beside ours', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, SHARED.replace('    as-groups: [auditors]\n', '    as-groups: [auditors]\n    token: static-old-token\n'), { mode: 0o600 });
    const e = entries();
    (e.user!.user['auth-provider'] as { config: Record<string, string> }).config['client-id'] = 'app-2';
    await apply(file, e, { force: true });
    const user = parseKubeconfig(await fs.readFile(file, 'utf8'), file).users!.find((u) => u.name === 'alice@door')!.user;
    expect(user['auth-provider']!.config!['client-id']).toBe('app-2');
    expect(user.token).toBeUndefined();
    expect(user['as-groups']).toEqual(['auditors']);
  });

  it('an entry only our own context uses is replaced freely', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, SHARED.replace('- name: ci\n  context: {cluster: prod, user: alice@door, namespace: ci}\n', ''), { mode: 0o600 });
    const e = entries({ cluster: { name: 'prod', cluster: { server: 'https://moved.example:6443' } } });
    const res = await apply(file, e);
    expect(res.files[0]!.changes.find((c) => c.kind === 'cluster')).toMatchObject({ name: 'prod', action: 'replaced' });
    const cluster = parseKubeconfig(await fs.readFile(file, 'utf8'), file).clusters!.find((c) => c.name === 'prod')!;
    expect(cluster.cluster.server).toBe('https://moved.example:6443');
    // Replaced as kubectl's set-cluster modifies it: what we do not set is kept.
    expect(cluster.cluster['proxy-url']).toBe('http://proxy.corp:3128');
    expect(cluster['x-note']).toBe('keep me');
  });

  it('default user names carry the client id: two applications on one Casdoor never share an entry', () => {
    const a = defaultNames({ server: 'https://k8s.example:6443', casdoorUrl: 'https://door.example', username: 'alice', clientId: 'app-1' });
    const b = defaultNames({ server: 'https://k8s.example:6443', casdoorUrl: 'https://door.example', username: 'alice', clientId: 'app-2' });
    expect(a.user).toBe('alice@door.example/app-1');
    expect(b.user).not.toBe(a.user);
  });
});

// ---- 6. A FIFO or a device as the kubeconfig -------------------------------------------------------

describe('6. never hang on a FIFO or a device', () => {
  it('a FIFO: refused at once with exit 6 (reading would block until a writer comes); nothing created beside it', async () => {
    const fifo = path.join(dir, 'config');
    execFileSync('mkfifo', [fifo]);
    for (const dryRun of [false, true]) {
      const err = await rejected(apply(fifo, entries(), { dryRun }));
      expect(exitCodeFor(err.code)).toBe(6);
      expect(err.message).toBe(`cannot read ${fifo}: it is a named pipe (FIFO), not a file: a kubeconfig is replaced atomically, which a pipe cannot be`);
      expect((await fs.lstat(fifo)).isFIFO()).toBe(true);
      await expectAlone(fifo);
    }
  });

  it('a unix socket: refused at once with exit 6 (open(2) on a socket fails with ENXIO); nothing created beside it', async () => {
    const sock = path.join(dir, 'config');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      for (const dryRun of [false, true]) {
        const err = await rejected(apply(sock, entries(), { dryRun }));
        expect(exitCodeFor(err.code)).toBe(6);
        // open(2) fails with ENXIO on a socket; the path is then looked at to say what it is.
        expect(err.message).toBe(`cannot read ${sock}: it is a socket, not a file`);
        expect(err.hint).toBe('Check the path and its permissions, or choose another file with --kubeconfig.');
        expectNoSecret(err);
        expect((await fs.lstat(sock)).isSocket()).toBe(true);
        await expectAlone(sock);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a character device: refused with exit 6', async () => {
    const err = await rejected(apply('/dev/zero', entries(), { dryRun: true }));
    expect(exitCodeFor(err.code)).toBe(6);
    expect(err.message).toBe('cannot read /dev/zero: it is a device, not a file');
  });
});

// ---- 7. YAML bombs and giants ----------------------------------------------------------------------

/** Nine levels of ten aliases each over a list of ten: 10^10 strings (1.2e10 nodes with the lists) once expanded. */
function billionLaughs(): string {
  let s = 'apiVersion: v1\nkind: Config\nextensions:\n- name: lol\n  extension:\n    l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 10; i++) s += `    l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(',')}]\n`;
  return s;
}

describe('7. alias bombs, self-reference, nesting and size', () => {
  it('a billion-laughs file is refused (exit 6) without expanding it; the file is byte-identical', async () => {
    const file = path.join(dir, 'config');
    const text = billionLaughs();
    await fs.writeFile(file, text, { mode: 0o600 });
    const err = await rejected(apply(file));
    expect(exitCodeFor(err.code)).toBe(6);
    expect(err.message).toMatch(new RegExp(`^${file} contains excessive aliasing: its anchors and aliases expand to 1\\.2e\\+10 values, 100 % of them copies; kubectl refuses it too`));
    expect(await fs.readFile(file, 'utf8')).toBe(text);
    await expectAlone(file);
  });

  itKubectl('kubectl refuses the same billion-laughs file', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, billionLaughs(), { mode: 0o600 });
    const kubectl = await runKubectl(KUBECTL, ['config', 'view'], { kubeconfig: file });
    expect(kubectl.code).not.toBe(0);
    expect(kubectl.stderr).toContain('excessive aliasing');
  });

  itKubectl('modest aliasing, which kubectl accepts, is accepted and written out expanded', async () => {
    const file = path.join(dir, 'config');
    const text = 'apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster: &c {server: "https://a.example:6443"}\n- name: b\n  cluster: *c\n';
    await fs.writeFile(file, text, { mode: 0o600 });
    const before = await runKubectl(KUBECTL, ['config', 'view', '-o', 'json'], { kubeconfig: file });
    expect(before.code).toBe(0);
    await apply(file);
    const doc = parseKubeconfig(await fs.readFile(file, 'utf8'), file);
    expect(doc.clusters!.find((c) => c.name === 'b')!.cluster.server).toBe('https://a.example:6443');
  });

  it('counts what the decoder would expand in linear time', () => {
    const doc = parseKubeconfig('apiVersion: v1\nclusters: []\n', 'f');
    expect(countAliasExpansion(doc, 'f').fromAliases).toBe(0);
    const shared = { a: 1 };
    expect(countAliasExpansion({ x: shared, y: shared, z: [shared, shared] }, 'f')).toEqual({
      // shared = 1 + (key + 1) = 3; z = 1 + 3 + 3 = 7; root = 1 + (1 + 3) + (1 + 3) + (1 + 7)
      decoded: 17,
      // the first meeting of `shared` is its anchor; the other three are aliases of 3 nodes each
      fromAliases: 9,
    });
  });

  it('an anchor containing itself is refused (exit 6), as go-yaml refuses it', async () => {
    const file = path.join(dir, 'config');
    const text = 'apiVersion: v1\nextensions:\n- name: loop\n  extension: &a {self: *a}\n';
    await fs.writeFile(file, text, { mode: 0o600 });
    const err = await rejected(apply(file));
    expect(exitCodeFor(err.code)).toBe(6);
    expect(err.message).toMatch(/not valid YAML|contains an alias of itself/);
    expect(await fs.readFile(file, 'utf8')).toBe(text);
  });

  it('nesting deeper than 100 levels is refused naming the limit', async () => {
    const file = path.join(dir, 'config');
    const text = `apiVersion: v1\nextensions:\n- name: deep\n  extension: {x: ${'['.repeat(150)}${']'.repeat(150)}}\n`;
    await fs.writeFile(file, text, { mode: 0o600 });
    const err = await rejected(apply(file));
    expect(exitCodeFor(err.code)).toBe(6);
    expect(err.message).toContain(`${file} is not valid YAML: it nests deeper than 100 levels (a limit of casdoor-kubeconfig`);
  });

  it(`a file over ${MAX_KUBECONFIG_BYTES / 1024 / 1024} MiB is refused before it is read, naming the limit`, async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, 'apiVersion: v1\n');
    await fs.truncate(file, MAX_KUBECONFIG_BYTES + 4096); // sparse: costs no disk
    const err = await rejected(apply(file));
    expect(exitCodeFor(err.code)).toBe(6);
    expect(err.message).toBe(`${file} is 32.0 MiB: kubeconfig files over 32.0 MiB are refused (a limit of casdoor-kubeconfig, to bound its memory).`);
    expect((await fs.stat(file)).size).toBe(MAX_KUBECONFIG_BYTES + 4096);
    await expectAlone(file);
  });
});

// ---- 11. Unsafe cluster URLs -----------------------------------------------------------------------

describe('11. --server over http, or with credentials', () => {
  it('http to another host is refused (exit 2) unless --insecure-http', () => {
    const err = caught(() => serverUrlFlag('http://api.example.com:8080'));
    expect(exitCodeFor(err.code)).toBe(2);
    expect(err.message).toBe('--server: "http://api.example.com:8080" is plain http: kubectl would send the id_token in clear text to api.example.com:8080 (use https://api.example.com:8080, or --insecure-http if you mean it).');
    expect(serverUrlFlag('http://api.example.com:8080', '--server', { insecureHttp: true })).toBe('http://api.example.com:8080');
    expect(cleartextServerWarning('http://api.example.com:8080')).toContain('travels unencrypted over the network');
  });

  it.each(['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080', 'http://127.3.4.5'])('%s (loopback) is accepted with a warning', (url) => {
    expect(parseServerUrl(url)).toEqual({ ok: true, value: url });
    expect(cleartextServerWarning(url)).toContain('on this machine only');
  });

  it('https has no warning', () => {
    expect(cleartextServerWarning('https://api.example.com')).toBeUndefined();
  });

  it('a user name or password in the URL is refused, and the password is not echoed', () => {
    for (const url of ['https://admin:hunter2-secret@api.example.com:6443', 'https://hunter2-secret@api.example.com']) {
      const err = caught(() => serverUrlFlag(url));
      expect(exitCodeFor(err.code)).toBe(2);
      expect(err.message).toContain('must not contain a user name or password (https://api.example.com');
      expect(err.message + (err.hint ?? '')).not.toContain('hunter2-secret');
    }
  });
});

// ---- 13. Data kept means the same ------------------------------------------------------------------

const SCALARS = ['yes', 'no', 'on', 'off', 'y', 'n', 'Yes', 'NO', 'True', '~', 'Null', '0644', '0o644', '0x1F', '1_000', '0x_1F', '+12', '-0', '.5', '1e3', '+.5', '089', '0b1010', '9223372036854775807', '18446744073709551615', '-9223372036854775808', '1e999', '2024-01-01', '1:20', '12:30:00', '=', 'plain', '0.', '._5'];

const KEYS = ['yes', 'off', '0644', '0x_1F', '1_000', '+12', '.5', '-0', '089', '0b1010', '9223372036854775807', '-9223372036854775808', '1e999', '2024-01-01', '1:20', '12:30:00', '=', 'plain', '._5'];

function extensionFile(): string {
  let y = 'apiVersion: v1\nkind: Config\nclusters:\n- name: kept\n  cluster:\n    server: https://kept.example\n    extensions:\n    - name: scalars\n      extension:\n';
  SCALARS.forEach((s, i) => {
    y += `        v${i}: ${s}\n`;
  });
  // As keys: kubectl refuses a null or uint64 key ("unsupported map key of type"), and keys that become
  // the same JSON key (yes/on/y → "true") come out of its Go map in random order: one of each.
  KEYS.forEach((s, i) => {
    y += `        ${s}: k${i}\n`;
  });
  return `${y}users: []\ncontexts: []\ncurrent-context: ""\n`;
}

const viewOf = async (file: string): Promise<unknown> => {
  const r = await runKubectl(KUBECTL, ['config', 'view', '-o', 'json'], { kubeconfig: file });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  const v = JSON.parse(r.stdout) as { clusters: Array<{ name: string }> };
  return v.clusters.find((c) => c.name === 'kept');
};

describe('13. YAML 1.1 scalars, encodings', () => {
  it('plain scalars resolve as go-yaml v2 resolves them', () => {
    expect(resolveGoYaml('yes')).toBe(true);
    expect(resolveGoYaml('off')).toBe(false);
    expect(resolveGoYaml('0644')).toBe(420);
    expect(resolveGoYaml('1_000')).toBe(1000);
    expect(resolveGoYaml('0x_1F')).toBe(31);
    expect(resolveGoYaml('089')).toBe(89);
    expect(resolveGoYaml('~')).toBeNull();
    expect(resolveGoYaml('1e999')).toBe(STRING);
    expect(resolveGoYaml('2024-01-01')).toBe(STRING);
    expect(resolveGoYaml('1:20')).toBe(STRING);
  });

  itKubectl('values we keep untouched mean the same to kubectl after our write (values and keys)', async () => {
    const file = path.join(dir, 'config');
    const text = extensionFile();
    await fs.writeFile(file, text, { mode: 0o600 });
    const before = await viewOf(file);
    await apply(file);
    expect(await viewOf(file)).toEqual(before);
    // The backup holds the original bytes.
    const backup = (await fs.readdir(dir)).find((n) => n.includes(BACKUP_MARK))!;
    expect(await fs.readFile(path.join(dir, backup), 'utf8')).toBe(text);
  });

  it('a string we write that looks like a YAML 1.1 bool or number stays a string', () => {
    const doc = mergeEntries(parseKubeconfig('', 'f'), { context: { name: 'yes', context: { cluster: '0644', user: 'off', namespace: '1_000' } } }).doc;
    const text = serializeKubeconfig(doc);
    expect(text).toContain("- name: 'yes'");
    expect(parseKubeconfig(text, 'f').contexts![0]).toEqual({ name: 'yes', context: { cluster: '0644', user: 'off', namespace: '1_000' } });
  });

  /** extensionFile() as UTF-16 with a byte-order mark, little- and big-endian. */
  const utf16 = (text: string): Array<[string, Buffer]> => {
    const le = Buffer.from(text, 'utf16le');
    return [
      ['utf16le', Buffer.concat([Buffer.from([0xff, 0xfe]), le])],
      ['utf16be', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()])],
    ];
  };

  it('a UTF-16 file with a byte-order mark (PowerShell) is read, merged and written back as UTF-8 with the kept values unchanged', async () => {
    const file = path.join(dir, 'config');
    const text = extensionFile();
    const kept = parseKubeconfig(text, 'utf-8 copy').clusters!.find((c) => c.name === 'kept');
    for (const [enc, raw] of utf16(text)) {
      await fs.writeFile(file, raw, { mode: 0o600 });
      await apply(file);
      const written = await fs.readFile(file);
      expect({ enc, start: written.subarray(0, 11).toString('utf8') }).toEqual({ enc, start: 'apiVersion:' });
      const doc = parseKubeconfig(written.toString('utf8'), file);
      expect(doc.clusters!.find((c) => c.name === 'kept')).toEqual(kept);
      expect(doc.clusters!.find((c) => c.name === 'prod')!.cluster.server).toBe('https://k8s.example:6443');
      await fs.rm(file);
    }
  });

  itKubectl('a UTF-16 file with a byte-order mark (PowerShell) is read as kubectl reads it, and written back as UTF-8', async () => {
    const file = path.join(dir, 'config');
    const text = extensionFile();
    for (const [, raw] of utf16(text)) {
      await fs.writeFile(file, raw, { mode: 0o600 });
      const before = await viewOf(file);
      await apply(file);
      expect(await viewOf(file)).toEqual(before);
      expect((await fs.readFile(file)).subarray(0, 11).toString('utf8')).toBe('apiVersion:');
      await fs.rm(file);
    }
  });

  const INVALID_UTF8 = Buffer.concat([Buffer.from('apiVersion: v1\nclusters:\n- name: c\n  cluster:\n    server: https://a.ex'), Buffer.from([0xff]), Buffer.from('ample\n')]);

  it('invalid UTF-8 is refused (exit 6); the file is byte-identical', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, INVALID_UTF8, { mode: 0o600 });
    const err = await rejected(apply(file));
    expect(exitCodeFor(err.code)).toBe(6);
    expect(err.message).toBe(`${file} is not valid UTF-8 (first bad byte at offset 70); kubectl refuses it too ("invalid leading UTF-8 octet").`);
    expect((await fs.readFile(file)).equals(INVALID_UTF8)).toBe(true);
    await expectAlone(file);
  });

  itKubectl('kubectl refuses the same invalid UTF-8 file', async () => {
    const file = path.join(dir, 'config');
    await fs.writeFile(file, INVALID_UTF8, { mode: 0o600 });
    const kubectl = await runKubectl(KUBECTL, ['config', 'view'], { kubeconfig: file });
    expect(kubectl.code).not.toBe(0);
    expect(kubectl.stderr).toContain('invalid leading UTF-8 octet');
  });

  it('a missing file is still an empty kubeconfig', async () => {
    const file = path.join(dir, 'new', 'config');
    await apply(file);
    expect(existsSync(file)).toBe(true);
  });
});
