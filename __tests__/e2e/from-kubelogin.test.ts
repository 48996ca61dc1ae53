/**
 * from-kubelogin on a real kubeconfig: a `kubectl oidc-login get-token …` user (password grant, a client
 * secret on its command line) becomes a casdoor-kubeconfig exec user that the real kubectl then uses
 * against the Casdoor-like provider and the token-checking API server. The secret is gone from the file.
 */
import { describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { runCli } from '../helpers/cli.js';
import { kubectlBinary, requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { kubeloginKubeconfig } from '../helpers/kubelogin.js';
import { useDemoEnvironmentWithScripts } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

const itKubectl = requireKubectl() ? it : it.skip;
const SECRET = 'kubelogin-era-client-secret-91f3';

let env: DemoEnvironment;
let home: TempHome;
let wrapper: string;
useDemoEnvironmentWithScripts({}, (e, h, scripts) => {
  env = e;
  home = h;
  ({ wrapper } = scripts);
});

async function writeKubeloginConfig(extraArgs: string[] = [], options: { noCaFile?: boolean } = {}): Promise<string> {
  const text = kubeloginKubeconfig({
    server: env.apiserver.url,
    ca: env.caFile,
    args: [`--oidc-issuer-url=${env.provider.issuer}`, `--oidc-client-id=${env.provider.clientId}`, `--oidc-client-secret=${SECRET}`, ...(options.noCaFile ? [] : [`--certificate-authority=${env.caFile}`]), '--grant-type=password', '--username=alice', ...extraArgs],
  });
  await fs.writeFile(home.kubeconfig, text, { mode: 0o600 });
  return text;
}

describe('from-kubelogin', () => {
  itKubectl('converts the current context\'s kubelogin user; kubectl then authenticates through casdoor-kubeconfig', async () => {
    await writeKubeloginConfig();
    const dry = await runCli(['from-kubelogin', '--kubeconfig', home.kubeconfig, '--exec-command', wrapper, '--dry-run'], { home: home.home });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(`becomes:   ${wrapper} token --casdoor-url ${env.provider.issuer} --client-id ${env.provider.clientId} --casdoor-ca ${env.caFile} --username alice`);
    expect(dry.stderr).toContain('dropped --oidc-client-secret: never written here');
    expect(dry.all).not.toContain(SECRET);

    const run = await runCli(['from-kubelogin', '--kubeconfig', home.kubeconfig, '--exec-command', wrapper], { home: home.home });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Converted user oidc');
    const text = await fs.readFile(home.kubeconfig, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('oidc-login');
    const doc = yaml.load(text) as { users: Array<{ user: { exec: { command: string; args: string[] } } }> };
    expect(doc.users[0]?.user.exec.command).toBe(wrapper);

    const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig, env: { HOME: home.home, CASDOOR_PASSWORD: 'correct-horse' } });
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
  }, 120_000);

  itKubectl('carries --certificate-authority-data (as a CA file beside the kubeconfig) and --oidc-extra-scope (as --scope)', async () => {
    const caData = Buffer.from(await fs.readFile(env.caFile, 'utf8')).toString('base64');
    await writeKubeloginConfig([`--certificate-authority-data=${caData}`, '--oidc-extra-scope=groups'], { noCaFile: true });
    const run = await runCli(['from-kubelogin', '--kubeconfig', home.kubeconfig, '--exec-command', wrapper], { home: home.home });
    expect(run.code).toBe(0);
    const doc = yaml.load(await fs.readFile(home.kubeconfig, 'utf8')) as { users: Array<{ user: { exec: { args: string[] } } }> };
    const args = doc.users[0]?.user.exec.args ?? [];
    const caFile = args[args.indexOf('--casdoor-ca') + 1] as string;
    expect(path.dirname(caFile)).toBe(path.dirname(home.kubeconfig));
    expect(await fs.readFile(caFile, 'utf8')).toBe(await fs.readFile(env.caFile, 'utf8'));
    expect(args).toEqual(expect.arrayContaining(['--scope', 'groups']));
    const who = await runKubectl(kubectlBinary() as string, ['auth', 'whoami', '-o', 'json'], { kubeconfig: home.kubeconfig, env: { HOME: home.home, CASDOOR_PASSWORD: 'correct-horse' } });
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout).status.userInfo.username).toBe('alice');
  }, 120_000);

  it('an entry it cannot convert safely is refused and the file stays byte-identical', async () => {
    const before = await writeKubeloginConfig(['--insecure-skip-tls-verify']);
    const run = await runCli(['from-kubelogin', '--kubeconfig', home.kubeconfig], { home: home.home });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot convert this kubelogin entry: --insecure-skip-tls-verify');
    expect(run.all).not.toContain(SECRET);
    expect(await fs.readFile(home.kubeconfig, 'utf8')).toBe(before);
  });
});
