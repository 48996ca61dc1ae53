/**
 * A Casdoor with admins, for the doctor / casdoor-app e2e tests: the admin API module on the emulator's
 * router; the emulator already has what every Casdoor has (object/init.go: the built-in organization,
 * `app-built-in` with no grant types, `built-in/admin`, password ADMIN.password via the provider's
 * `adminPassword`); added here: an admin of the demo organization (carol) and an admin of another
 * organization (dave), and applications with the password grant so that each can get a real access
 * token from Casdoor's token endpoint without a browser.
 */
import type { CasdoorProvider } from '../../src/demo/provider.js';
import { registerAdminApiRoutes, newAdminApiStats, type AdminApiStats } from '../../src/demo/casdoor/admin-api.js';
import { makeApplication, makeOrganization, makeUser, type CasdoorModel } from '../../src/demo/casdoor/model.js';
import type { Router } from '../../src/demo/casdoor/router.js';
import type { EmulatorState } from '../../src/demo/casdoor/server.js';
import { createHttpClient } from '../../src/oidc/http.js';
import { discover } from '../../src/oidc/discovery.js';
import { passwordGrant } from '../../src/oidc/grants.js';

export const ADMIN_CLI_CLIENT_ID = 'adm1ncl10000client01';
export const OTHER_CLIENT_ID = '07her0rg0000client01';
export const ADMIN = { name: 'admin', password: 'admin-pass-123' };
export const ORG_ADMIN = { name: 'carol', password: 'carol-pass-123' };
export const OTHER_ADMIN = { name: 'dave', password: 'dave-pass-123' };

export interface AdminFixture {
  stats: AdminApiStats;
  routes: (router: Router, state: EmulatorState) => void;
  /** built-in/admin's password (the provider's `adminPassword` option). */
  adminPassword: string;
}

/** The `routes` hook of startCasdoorProvider (Casdoor's admin API over the same model) and the admin's password. */
export function adminRoutes(): AdminFixture {
  const stats = newAdminApiStats();
  return { stats, adminPassword: ADMIN.password, routes: (router, state) => registerAdminApiRoutes(router, { model: state.model, stats }) };
}

/** Adds the built-in organization, its applications and the admins to a running provider's model. */
export function addAdmins(model: CasdoorModel, demoOrganization: string): void {
  if (!model.getUser('built-in', ADMIN.name)) throw new Error('the emulator has no built-in/admin (object/init.go initBuiltInUser)');
  model.addOrganization(makeOrganization('other-org'));
  // Applications with the password grant, only to get admin tokens without a browser in the CLI tests.
  model.addApplication(makeApplication({ name: 'admin-cli', organization: 'built-in', cert: 'cert-built-in', clientId: ADMIN_CLI_CLIENT_ID, clientSecret: 'c'.repeat(40) }));
  model.addApplication(makeApplication({ name: 'other-app', organization: 'other-org', cert: 'cert-built-in', clientId: OTHER_CLIENT_ID, clientSecret: 'd'.repeat(40) }));
  model.addUser(makeUser({ owner: demoOrganization, name: ORG_ADMIN.name, password: ORG_ADMIN.password, isAdmin: true }));
  model.addUser(makeUser({ owner: 'other-org', name: OTHER_ADMIN.name, password: OTHER_ADMIN.password, isAdmin: true }));
}

/** A real access token (= id_token) from Casdoor's password grant, as the named user of that application's organization. */
export async function accessToken(provider: CasdoorProvider, clientId: string, user: { name: string; password: string }): Promise<string> {
  const http = createHttpClient({ env: {}, caPem: provider.caPem });
  try {
    const meta = await discover(http, provider.issuer);
    const tokens = await passwordGrant(http, meta, { clientId }, user.name, user.password);
    return tokens.accessToken ?? tokens.idToken;
  } finally {
    await http.close();
  }
}
