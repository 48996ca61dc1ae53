/**
 * The Casdoor application: organization, application name, client id and client secret.
 */
import { registerSecret } from '../../redact.js';
import { Q } from '../questions.js';
import type { Run } from '../run.js';

/** Organization, application, client id and secret: each asked unless a flag gave it. */
export async function applicationStep(run: Run): Promise<void> {
  const { ask, a, given, suggested } = run;
  if (given.organization === undefined) a.organization = (await ask.input(Q.organization(suggested.organization))).trim() || undefined;
  if (given.application === undefined) a.application = (await ask.input(Q.application(suggested.application))).trim() || undefined;
  if (given.clientId === undefined) a.clientId = (await ask.input(Q.clientId(suggested.clientId, a.application, false))).trim();
  if (given.clientSecret === undefined) {
    const secret = await ask.password(Q.clientSecret());
    registerSecret(secret);
    a.clientSecret = secret || undefined;
  }
}
