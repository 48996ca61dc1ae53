/**
 * The wizard runs doctor's Casdoor-side checks when a login fails for an application reason, and shows
 * the lines that name the Casdoor setting, not a bare refusal (src/wizard/steps/login-doctor.ts).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { Io } from '../../src/ports/io.js';
import { Output } from '../../src/ports/output.js';
import type { SetupFlags } from '../../src/cli/setup.js';
import type { DemoEnvironment } from '../../src/demo/index.js';
import { createHttpClient } from '../../src/oidc/http.js';
import type { SetupDeps } from '../../src/usecases/setup.js';
import { runWizardCommand } from '../../src/wizard/command.js';
import { DEFAULT, scriptedPrompts, type Script } from '../../src/wizard/scripted.js';
import { adminRoutes } from '../helpers/casdoor-admin.js';
import { useDemoEnvironment } from '../helpers/setup-args.js';
import type { TempHome } from '../helpers/tmp.js';

let env: DemoEnvironment;
let home: TempHome;
useDemoEnvironment({ provider: { routes: adminRoutes().routes } }, (e, h) => {
  env = e;
  home = h;
});

const FLAGS: SetupFlags = { setCurrentContext: true, usernameClaim: 'name', groupsClaim: 'groups', usernamePrefix: '-', mode: 'auth-provider', grant: 'password' };

async function wizard(script: Script): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io: Io = {
    env: { HOME: home.home, KUBECONFIG: home.kubeconfig, NO_COLOR: '1' },
    stdin: Object.assign(new PassThrough(), { isTTY: true }),
    stdout: { write: () => true, isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    homeDir: home.home,
    cwd: home.home,
    now: () => new Date(),
  };
  const out = new Output(io);
  const deps: SetupDeps = { out, env: io.env, homeDir: io.homeDir, now: io.now, makeHttp: (caPem) => createHttpClient({ env: {}, ...(caPem ? { caPem } : {}) }) };
  let code = 0;
  try {
    await runWizardCommand(FLAGS, new Set(Object.keys(FLAGS).filter((k) => k !== 'grant')), deps, io, scriptedPrompts(script));
  } catch (err) {
    const { reportError } = await import('../../src/cli/main.js');
    code = reportError(err, out, false);
  }
  return { code, stderr };
}

describe('the wizard explains an application-side login refusal with doctor\'s lines', () => {
  it('the Password grant is off: the refusal comes with the Casdoor setting to change', async () => {
    const grants = env.provider.application.grantTypes;
    env.provider.application.grantTypes = grants.filter((g) => g !== 'password');
    try {
      const run = await wizard({
        casdoorUrl: env.provider.issuer,
        casdoorCa: env.caFile,
        organization: DEFAULT,
        application: DEFAULT,
        clientId: env.provider.clientId,
        clientSecret: DEFAULT,
        grant: 'password',
        username: 'alice',
        password: 'correct-horse',
      });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('grant_type: password is not supported in this application');
      expect(run.stderr).toContain("What Casdoor's application says (casdoor-kubeconfig doctor):");
      expect(run.stderr).toMatch(/\[warn\] Password grant: .*\n\s+change: Casdoor → Applications → kubernetes → Grant types: add "Password"/);
      // Only the lines that need an action are shown.
      expect(run.stderr).not.toContain('[pass]');
      expect(run.stderr).not.toContain('correct-horse');
    } finally {
      env.provider.application.grantTypes = grants;
    }
  });
});
