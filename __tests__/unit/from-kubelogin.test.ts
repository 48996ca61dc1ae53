/** Converting kubelogin's get-token flags (int128/kubelogin pkg/cmd) into casdoor-kubeconfig token args (pure). */
import { describe, expect, it } from '@jest/globals';
import { CliError } from '../../src/errors.js';
import { convertKubeloginArgs, kubeloginArgs } from '../../src/usecases/from-kubelogin.js';

const ISSUER = 'https://door.example.com';
const base = ['--oidc-issuer-url', ISSUER, '--oidc-client-id', 'cid'];

describe('kubeloginArgs', () => {
  it('finds kubelogin under its three names and gives the args after get-token', () => {
    expect(kubeloginArgs({ command: 'kubectl', args: ['oidc-login', 'get-token', '--oidc-client-id=x'] })).toEqual(['--oidc-client-id=x']);
    expect(kubeloginArgs({ command: '/usr/local/bin/kubelogin', args: ['get-token'] })).toEqual([]);
    expect(kubeloginArgs({ command: 'C:\\tools\\kubectl-oidc_login.exe', args: ['get-token', '-v', '1'] })).toEqual(['-v', '1']);
    expect(kubeloginArgs({ command: 'casdoor-kubeconfig', args: ['token'] })).toBeUndefined();
    expect(kubeloginArgs({ command: 'kubectl', args: ['other', 'get-token'] })).toBeUndefined();
  });
});

describe('convertKubeloginArgs', () => {
  it('auto grant: browser without --username, password with it; secrets dropped, never carried', () => {
    const browser = convertKubeloginArgs([...base, '--listen-address=127.0.0.1:8000,127.0.0.1:18000', '--skip-open-browser', '--oidc-client-secret', 's3cret'], '/work');
    expect(browser.spec).toEqual({ issuer: ISSUER, clientId: 'cid', grant: 'browser', listenAddresses: ['127.0.0.1:8000', '127.0.0.1:18000'] });
    expect(browser.extraArgs).toEqual(['--no-browser']);
    expect(browser.dropped.map((d) => d.flag)).toEqual(['--oidc-client-secret']);
    expect(JSON.stringify(browser.spec) + browser.extraArgs.join(' ')).not.toContain('s3cret');
    const password = convertKubeloginArgs([...base, '--username', 'alice', '--password', 'pw', '--certificate-authority', 'ca.pem'], '/work');
    expect(password.spec).toEqual({ issuer: ISSUER, clientId: 'cid', username: 'alice', casdoorCaFile: '/work/ca.pem' });
    expect(password.dropped.map((d) => d.flag)).toEqual(['--password']);
  });

  it('maps every grant type: authcode → browser, authcode-keyboard and device-code → device, client-credentials', () => {
    const grant = (g: string, extra: string[] = []) => convertKubeloginArgs([...base, `--grant-type=${g}`, ...extra], '/').spec.grant;
    expect(grant('authcode')).toBe('browser');
    expect(grant('authcode-keyboard')).toBe('device');
    expect(grant('device-code')).toBe('device');
    expect(grant('password', ['--username', 'a'])).toBeUndefined(); // password is the default, not written
    expect(grant('client-credentials')).toBe('client-credentials');
    expect(() => grant('token-exchange')).toThrow(/--grant-type token-exchange has no equivalent/);
  });

  it('drops what needs no equivalent, with the reason', () => {
    const c = convertKubeloginArgs([...base, '--oidc-use-pkce', '--token-cache-dir', '/x', '--force-refresh', '-v', '1', '--oidc-use-access-token'], '/');
    expect(Object.fromEntries(c.dropped.map((d) => [d.flag, d.why]))).toMatchObject({
      '--oidc-use-pkce': 'PKCE (S256) is always used',
      '--oidc-use-access-token': "Casdoor's access token is the same JWT as its id_token",
      '-v': 'use --verbose on a command run by hand',
    });
  });

  it('refuses what cannot be carried safely, naming every flag', () => {
    const err = (() => {
      try {
        convertKubeloginArgs([...base, '--insecure-skip-tls-verify', '--mystery', '1'], '/');
      } catch (e) {
        return e as CliError;
      }
      throw new Error('converted');
    })();
    expect(err.code).toBe('usage');
    for (const f of ['--insecure-skip-tls-verify', '--mystery']) expect(err.message).toContain(f);
    expect(() => convertKubeloginArgs(['--oidc-client-id', 'cid'], '/')).toThrow(/no --oidc-issuer-url/);
    expect(() => convertKubeloginArgs(['--oidc-issuer-url', 'http://door.example.com', '--oidc-client-id', 'c'], '/')).toThrow(CliError);
  });

  it('carries --oidc-extra-scope into --scope and --certificate-authority-data into a CA to write; refuses a key in it', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const c = convertKubeloginArgs([...base, '--oidc-extra-scope', 'groups,email', '--oidc-extra-scope=profile', `--certificate-authority-data=${Buffer.from(pem).toString('base64')}`], '/');
    expect(c.spec.scope).toBe('groups email profile');
    expect(c.caPem).toBe(pem);
    const withKey = Buffer.from(`${pem}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`).toString('base64');
    expect(() => convertKubeloginArgs([...base, '--certificate-authority-data', withKey], '/')).toThrow(/also holds a private key/);
    expect(() => convertKubeloginArgs([...base, '--certificate-authority-data', 'LS0t'], '/')).toThrow(/holds no PEM certificate/);
    expect(() => convertKubeloginArgs([...base, '--certificate-authority-data', 'LS0t', '--certificate-authority', '/ca.crt'], '/')).toThrow(/more than one --certificate-authority/);
  });
});
