/**
 * A new setup: the four parts (Casdoor, login, cluster, kubeconfig) in order, then the preview and the
 * write, and for admins the API server configuration.
 */
import { buildSetupEntries, type SetupInput } from '../usecases/setup.js';
import { offerApiserverConfig } from './check.js';
import { inputOf } from './input.js';
import type { WizardResult } from './options.js';
import type { Run } from './run.js';
import { applicationStep } from './steps/application.js';
import { casdoorStep } from './steps/casdoor.js';
import { claimsStep } from './steps/claims.js';
import { clusterStep, namesStep } from './steps/cluster.js';
import { execCommandStep } from './steps/exec-command.js';
import { tokenStorageStep } from './steps/token-storage.js';
import { loginStep } from './steps/login.js';
import { modeStep, targetStep } from './steps/target.js';
import { previewAndWrite } from './write.js';

function heading(run: Run, title: string): void {
  run.out.info('');
  run.out.info(run.out.c.bold.underline(title));
}

/** Every question of a new setup, in order; the API server configuration is offered unless the write was declined. */
export async function fullSetup(run: Run): Promise<WizardResult> {
  heading(run, '1/4 Casdoor');
  const session = await casdoorStep(run);
  await applicationStep(run);
  heading(run, '2/4 Login');
  const login = await loginStep(run, session, { askMethod: true });
  const report = await claimsStep(run, session, login);
  heading(run, '3/4 Cluster');
  await clusterStep(run);
  const names = await namesStep(run);
  heading(run, '4/4 Kubeconfig');
  await targetStep(run, names);
  await modeStep(run);
  await execCommandStep(run);
  await tokenStorageStep(run);
  const input: SetupInput = inputOf(run, names);
  const { entries } = buildSetupEntries(input, login);
  const result = await previewAndWrite(run, input, names, entries, login, report, { fixedTarget: run.given.kubeconfig !== undefined || run.given.output !== undefined });
  if (result.outcome !== 'declined') await offerApiserverConfig(run, result.input, login);
  return result;
}
