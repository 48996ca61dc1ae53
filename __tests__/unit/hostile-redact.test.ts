/**
 * Issue 10, point 4: what we print of other credential plugins (whoami's "run it yourself" lines and
 * `-o json`) carries none of their secret arguments or environment values, and a registered secret is
 * redacted also URL-encoded, form-encoded, JSON-escaped and base64-encoded.
 */
import { describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describeCommand, runExecPlugin } from '../../src/cluster/exec-plugin.js';
import { REDACTED, redact, registerSecret } from '../../src/redact.js';
import { rejected } from '../helpers/errors.js';
import { tempDir } from '../helpers/kubeconfig-gen.js';

describe('4. other plugins\' secret arguments', () => {
  it('--opt value and --opt=value forms of secret-looking options are replaced; the rest is kept', () => {
    const secrets = ['client-secret-arg-11', 'pw-arg-22', 'token-arg-33', 'apikey-arg-44', 'cred-arg-55'];
    const line = describeCommand({
      command: '/usr/local/bin/other-plugin',
      args: ['get-token', '--client-secret', secrets[0]!, `--password=${secrets[1]}`, '--token', secrets[2]!, `--api-key=${secrets[3]}`, '--credentials-json', secrets[4]!, '--region', 'eu-west-1', '--cluster-name', 'prod'],
    });
    for (const s of secrets) expect(line).not.toContain(s);
    expect(line).toContain(`--client-secret '${REDACTED}'`);
    expect(line).toContain(`'--password=${REDACTED}'`);
    expect(line).toContain('--region eu-west-1 --cluster-name prod');
    // Registered: wherever else they show up (the plugin's own stderr), they are redacted too.
    expect(redact(`plugin said: bad token ${secrets[2]}`)).toBe(`plugin said: bad token ${REDACTED}`);
  });

  it('a secret-looking env value of the plugin does not come back through its stderr or our message', async () => {
    const dir = await tempDir('hostile-redact-');
    try {
      const plugin = path.join(dir, 'plugin.sh');
      await fs.writeFile(plugin, '#!/bin/sh\necho "login failed for key $MY_API_KEY" >&2\nexit 1\n', { mode: 0o755 });
      let stderr = '';
      const err = await rejected(runExecPlugin({
        userName: 'u',
        exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, args: ['--token=tok-value-9876'], env: [{ name: 'MY_API_KEY', value: 'env-api-key-value-4321' }], interactiveMode: 'Never' },
        env: { PATH: process.env.PATH ?? '' },
        stdinIsTTY: false,
        stderr: (t) => (stderr += t),
      }));
      const all = `${stderr}${err.message}${err.hint ?? ''}`;
      expect(stderr).toContain(`login failed for key ${REDACTED}`);
      expect(all).not.toContain('env-api-key-value-4321');
      expect(all).not.toContain('tok-value-9876');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('4. secrets in encoded forms', () => {
  const secret = 'p@ss w/rd+&="x"é';
  registerSecret(secret);
  it.each([
    ['as given', secret],
    ['URL-encoded', encodeURIComponent(secret)],
    ['form-encoded', new URLSearchParams({ p: secret }).toString().slice(2)],
    ['JSON-escaped', JSON.stringify(secret).slice(1, -1)],
    ['base64', Buffer.from(secret).toString('base64')],
    ['base64url', Buffer.from(secret).toString('base64url')],
  ])('%s', (_label, form) => {
    const out = redact(`{"error":"invalid_grant","error_description":"bad request body: password=${form}&x=1"}`);
    expect(out).not.toContain(form);
    expect(out).toContain(REDACTED);
  });
});
