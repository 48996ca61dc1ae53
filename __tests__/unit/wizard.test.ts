/**
 * The wizard's pieces on their own: the pure validators, the scripted prompts the headless demo uses,
 * the search for contexts to renew, and the terminal prompts driven with keystrokes through streams
 * (the real inquirer prompts, no terminal needed).
 */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { reportError } from '../../src/cli/main.js';
import { Output } from '../../src/ports/output.js';
import { mergedViewOf } from '../../src/kubeconfig/view.js';
import type { KubeconfigDoc } from '../../src/kubeconfig/model.js';
import { findRenewable, unverifiedClaims } from '../../src/wizard/existing.js';
import { terminalPrompts } from '../../src/wizard/prompts.js';
import { httpsVersion, validateCasdoorUrl, validateClientId, validateNamespace, validateServerUrl, validateUsername } from '../../src/wizard/questions.js';
import { DEFAULT, INTERRUPT, scriptedPrompts } from '../../src/wizard/scripted.js';
import { PromptInterrupted } from '../../src/wizard/types.js';
import * as cliValidate from '../../src/cli/validate.js';
import { hostOf, isNamespace, parseServerUrl } from '../../src/validate.js';

describe('validators', () => {
  it('accepts Casdoor URLs and explains what is wrong with the others', () => {
    expect(validateCasdoorUrl('https://door.example.com')).toBe(true);
    expect(validateCasdoorUrl('http://door.example.com')).toBe(true); // caught later, with an offer to use https
    expect(validateCasdoorUrl('door.example.com')).toMatch(/has no scheme \(use https:\/\/door\.example\.com\)/);
    expect(validateCasdoorUrl('')).toMatch(/Casdoor URL/);
    expect(validateCasdoorUrl('ftp://door.example.com')).toMatch(/https/);
    expect(validateCasdoorUrl('https://door.example.com/?x=1')).toMatch(/query/);
    expect(validateCasdoorUrl('https://u:p@door.example.com')).toMatch(/password/);
    expect(httpsVersion('http://door.example.com:8000/x')).toBe('https://door.example.com:8000/x');
  });

  it('checks the other answers', () => {
    expect(validateServerUrl('https://api.example:6443')).toBe(true);
    expect(validateServerUrl('api.example:6443')).toMatch(/no scheme/);
    expect(validateClientId('k8s-app')('294b09fbc17f95daf2fe')).toBe(true);
    expect(validateClientId('k8s-app')('k8s-app')).toMatch(/application's name/);
    expect(validateClientId(undefined)('a b')).toMatch(/spaces/);
    expect(validateUsername('k8s-org/alice')).toMatch(/without the organization: alice/);
    expect(validateUsername('alice')).toBe(true);
    expect(validateNamespace('')).toBe(true);
    expect(validateNamespace('team-a')).toBe(true);
    expect(validateNamespace('Team_A')).toMatch(/lowercase/);
  });
});

describe('shared checks (src/validate.ts)', () => {
  it('namespaces: a DNS-1123 label of at most 63 characters, everywhere', () => {
    expect(isNamespace('team-a')).toBe(true);
    expect(isNamespace('a'.repeat(63))).toBe(true);
    expect(isNamespace('a'.repeat(64))).toBe(false);
    expect(isNamespace('Team_A')).toBe(false);
    expect(isNamespace('-a')).toBe(false);
    expect(validateNamespace('a'.repeat(64))).toMatch(/at most 63/);
  });

  it('API server URLs and hosts', () => {
    expect(parseServerUrl(' https://api.example:6443 ')).toEqual({ ok: true, value: 'https://api.example:6443' });
    expect(parseServerUrl('api.example:6443')).toMatchObject({ ok: false, problem: expect.stringMatching(/no scheme/) });
    expect(parseServerUrl('ftp://api.example')).toMatchObject({ ok: false, problem: expect.stringMatching(/not an https URL/) });
    expect(parseServerUrl('https://')).toMatchObject({ ok: false, problem: expect.stringMatching(/not a URL/) });
    expect(hostOf('https://api.example:6443/x')).toBe('api.example:6443');
    expect(hostOf('not a url')).toBe('not a url');
  });

  it('src/cli/validate.ts re-exports the same functions for the commands', () => {
    expect(cliValidate.hostOf).toBe(hostOf);
    expect(cliValidate.isNamespace).toBe(isNamespace);
    expect(cliValidate.parseServerUrl).toBe(parseServerUrl);
  });
});

describe('scripted prompts', () => {
  it('answers in order per question, takes defaults, re-asks after a rejected answer, and records everything', async () => {
    const lines: string[] = [];
    const p = scriptedPrompts({ url: ['nope', 'https://ok.example'], pw: 'secret-value', yes: DEFAULT, pick: 'b' }, (l) => lines.push(l));
    const url = await p.input({ id: 'url', message: 'URL?', validate: (v) => v.startsWith('https://') || 'must be https' });
    expect(url).toBe('https://ok.example');
    expect(await p.input({ id: 'ns', message: 'Namespace?', default: '' })).toBe('');
    expect(await p.password({ id: 'pw', message: 'Password?' })).toBe('secret-value');
    expect(await p.confirm({ id: 'yes', message: 'OK?', default: true })).toBe(true);
    expect(await p.select({ id: 'pick', message: 'Which?', choices: [{ value: 'a', name: 'A' }, { value: 'b', name: 'B' }] })).toBe('b');
    expect(p.asked.map((q) => [q.id, q.error ?? null])).toEqual([
      ['url', 'must be https'],
      ['url', null],
      ['ns', null],
      ['pw', null],
      ['yes', null],
      ['pick', null],
    ]);
    expect(lines.join('\n')).not.toContain('secret-value');
    expect(p.unused()).toEqual([]);
  });

  it('refuses to guess: no answer and no default is an error; disabled choices cannot be picked', async () => {
    const p = scriptedPrompts({ pick: 'b' });
    await expect(p.input({ id: 'x', message: 'X?' })).rejects.toThrow(/no answer for "x"/);
    await expect(
      p.select({ id: 'pick', message: 'Which?', choices: [{ value: 'a', name: 'A' }, { value: 'b', name: 'B', disabled: 'soon' }] }),
    ).rejects.toThrow(/no enabled choice/);
  });

  it('scripts Ctrl-C as the same error inquirer raises, which main maps to exit 130', async () => {
    const p = scriptedPrompts({ q: INTERRUPT });
    const err = await p.confirm({ id: 'q', message: 'Write?', default: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromptInterrupted);
    expect((err as Error).name).toBe('ExitPromptError');
    let stderr = '';
    const out = new Output({ stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: { NO_COLOR: '1' } });
    expect(reportError(err, out, false)).toBe(130);
    expect(stderr).toContain('nothing was written');
  });
});

const jwt = (claims: Record<string, unknown>): string =>
  `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJlLXNpZ25hdHVyZQ`;

describe('findRenewable', () => {
  const doc: KubeconfigDoc = {
    clusters: [
      { name: 'prod', cluster: { server: 'https://api.prod:6443', 'certificate-authority-data': 'Q0E=', 'tls-server-name': 'kept' } },
      { name: 'other', cluster: { server: 'https://other:6443' } },
    ],
    users: [
      {
        name: 'alice@door',
        user: {
          'auth-provider': {
            name: 'oidc',
            config: {
              'client-id': 'cid',
              'client-secret': 'csecret',
              'idp-issuer-url': 'https://door.example',
              'id-token': jwt({ name: 'alice', exp: 2_000_000_000 }),
              'idp-certificate-authority-data': Buffer.from('PEM').toString('base64'),
            },
          },
        },
      },
      { name: 'bob-exec', user: { exec: { command: '/usr/bin/casdoor-kubeconfig', args: ['token', '--casdoor-url', 'https://door.example', '--client-id', 'cid', '--username', 'bob'] } } },
      { name: 'static', user: { token: 'abc' } },
      { name: 'no-issuer', user: { 'auth-provider': { name: 'oidc', config: { 'client-id': 'cid' } } } },
    ],
    contexts: [
      { name: 'alice@prod', context: { cluster: 'prod', user: 'alice@door', namespace: 'team-a' } },
      { name: 'bob@prod', context: { cluster: 'prod', user: 'bob-exec' } },
      { name: 'static', context: { cluster: 'other', user: 'static' } },
      { name: 'half', context: { cluster: 'other', user: 'no-issuer' } },
      { name: 'dangling', context: { cluster: 'missing', user: 'alice@door' } },
    ],
  };

  it('finds the oidc and exec contexts this tool writes, with everything needed to renew them', () => {
    const found = findRenewable(mergedViewOf({ source: 'flag', files: ['/k'] }, [{ file: '/k', doc }]));
    expect(found.map((f) => f.context)).toEqual(['alice@prod', 'bob@prod']);
    const [alice, bob] = found;
    expect(alice).toMatchObject({
      file: '/k',
      mode: 'auth-provider',
      issuer: 'https://door.example',
      clientId: 'cid',
      clientSecret: 'csecret',
      casdoorCaPem: 'PEM',
      username: 'alice',
      server: 'https://api.prod:6443',
      certificateAuthorityData: 'Q0E=',
      namespace: 'team-a',
      insecureSkipTlsVerify: false,
    });
    expect(alice?.expiresAt?.getTime()).toBe(2_000_000_000_000);
    // The entries come back untouched (unknown keys included): a renewal must not rebuild them.
    expect(alice?.entries.cluster.cluster['tls-server-name']).toBe('kept');
    expect(bob).toMatchObject({ mode: 'exec', issuer: 'https://door.example', clientId: 'cid', username: 'bob', execCommand: '/usr/bin/casdoor-kubeconfig' });
  });

  it('names the file that defines the user, which with several KUBECONFIG files may not be the context\'s', () => {
    const { users, ...rest } = doc;
    const found = findRenewable(
      mergedViewOf({ source: 'env', files: ['/a', '/b'] }, [
        { file: '/a', doc: { ...rest, users: [] } },
        { file: '/b', doc: { users } },
      ]),
    );
    expect(found.map((f) => [f.context, f.file, f.userFile])).toEqual([
      ['alice@prod', '/a', '/b'],
      ['bob@prod', '/a', '/b'],
    ]);
  });

  it('reads claims without trusting them, and survives garbage', () => {
    expect(unverifiedClaims(jwt({ a: 1 }))).toEqual({ a: 1 });
    expect(unverifiedClaims('not-a-jwt')).toBeUndefined();
    expect(unverifiedClaims('a.%%%.c')).toBeUndefined();
    expect(unverifiedClaims(undefined)).toBeUndefined();
  });
});

/** The real inquirer prompts, fed keystrokes through a stream. */
describe('terminal prompts (inquirer) driven by keystrokes', () => {
  function harness() {
    const input = new PassThrough();
    let screen = '';
    const sink = (): Writable =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          screen += chunk.toString('utf8');
          cb();
        },
      });
    // Each prompt ends its output stream when done, so every prompt gets a fresh sink.
    const prompts = () => terminalPrompts({ input, output: sink() });
    const waitFor = async (text: string): Promise<void> => {
      const until = Date.now() + 5000;
      while (!screen.includes(text)) {
        if (Date.now() > until) throw new Error(`"${text}" never appeared on screen:\n${screen}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const type = (keys: string): void => {
      input.write(keys);
    };
    return { prompts, waitFor, type, screen: () => screen };
  }
  const BACKSPACE = '\x7f';
  const DOWN = '\x1b[B';

  it('input: a previous answer is put back for editing in place', async () => {
    const h = harness();
    const answer = h.prompts().input({ id: 'casdoorUrl', message: 'Casdoor URL:', default: 'https://door.exmple.com', editable: true });
    await h.waitFor('Casdoor URL:');
    h.type(BACKSPACE.repeat('exmple.com'.length) + 'example.com\r');
    await expect(answer).resolves.toBe('https://door.example.com');
  });

  it('input: a rejected answer shows the reason and stays for correction', async () => {
    const h = harness();
    const answer = h.prompts().input({ id: 'ns', message: 'Namespace:', validate: validateNamespace });
    await h.waitFor('Namespace:');
    h.type('Team_A\r');
    await h.waitFor('lowercase');
    h.type(BACKSPACE.repeat(6) + 'team-a\r');
    await expect(answer).resolves.toBe('team-a');
  });

  it('password: masked on screen', async () => {
    const h = harness();
    const answer = h.prompts().password({ id: 'password', message: 'Password for alice:' });
    await h.waitFor('Password for alice:');
    h.type('correct-horse\r');
    await expect(answer).resolves.toBe('correct-horse');
    expect(h.screen()).not.toContain('correct-horse');
    expect(h.screen()).toContain('*************');
  });

  it('select: disabled choices are shown and skipped', async () => {
    const h = harness();
    const answer = h.prompts().select({
      id: 'grant',
      message: 'How do you want to log in?',
      choices: [
        { value: 'password', name: 'Username and password' },
        { value: 'browser', name: 'Browser', disabled: 'coming soon' },
        { value: 'device', name: 'Device code' },
      ],
    });
    await h.waitFor('coming soon');
    h.type(`${DOWN}\r`);
    await expect(answer).resolves.toBe('device');
  });

  it('Ctrl-C rejects with ExitPromptError', async () => {
    const h = harness();
    const answer = h.prompts().confirm({ id: 'write', message: 'Write these changes?', default: true });
    await h.waitFor('Write these changes?');
    h.type('\x03');
    await expect(answer).rejects.toMatchObject({ name: 'ExitPromptError' });
  });
});
