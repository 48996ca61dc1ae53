/**
 * When a login fails for a reason the Casdoor application can cause, the wizard runs doctor's
 * Casdoor-side checks (usecases/doctor.ts `diagnose`: anonymous probes, no token) and shows the lines
 * that need an action, naming the Casdoor setting, instead of a bare refusal.
 */
import { renderChecks } from '../../casdoor/checks.js';
import { CliError } from '../../errors.js';
import type { Session } from '../../usecases/login.js';
import type { Run } from '../run.js';

/** Refusals a typed answer cannot fix but an application setting can (see errors.ts ErrorReason). */
const APPLICATION_REASONS = new Set(['grant-disabled', 'invalid-client']);

export function worthDiagnosing(err: unknown, grant: string): boolean {
  if (!(err instanceof CliError) || err.code !== 'login') return false;
  if (err.reason !== undefined) return APPLICATION_REASONS.has(err.reason);
  // Browser and device refusals carry no reason ("Invalid scope" pages, unauthorized_client, …).
  return grant !== 'password';
}

export async function explainLoginFailure(run: Run, session: Session, err: unknown, grant: string): Promise<void> {
  if (!worthDiagnosing(err, grant) || !run.a.clientId) return;
  try {
    const { diagnose } = await import('../../usecases/doctor.js');
    const report = await diagnose(
      {
        casdoorUrl: session.casdoorUrl,
        clientId: run.a.clientId,
        claims: { usernameClaim: run.opts.settings.usernameClaim, groupsClaim: run.opts.settings.groupsClaim },
        // The device probe leaves a pending code in Casdoor: only when a device login is what failed.
        skipDeviceProbe: grant !== 'device',
      },
      { http: session.http, now: run.deps.now },
    );
    const lines = report.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
    if (lines.length) run.out.info(`What Casdoor's application says (casdoor-kubeconfig doctor):\n${renderChecks(lines)}`);
  } catch {
    // The refusal itself is reported by the caller; a failing diagnosis adds nothing.
  }
}
