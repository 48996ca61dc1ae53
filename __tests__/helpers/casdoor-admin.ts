/**
 * A Casdoor with admins, for the doctor / casdoor-app e2e tests: the admin API module on the emulator's
 * router, the built-in organization with its `app-built-in` (Casdoor object/init.go
 * initBuiltInApplication: no grant types, so only authorization_code) and `built-in/admin`, an admin of
 * the demo organization (carol) and an admin of another organization (dave), each able to get a real
 * access token from Casdoor's token endpoint.
 */
import type { CasdoorProvider } from '../../src/demo/provider.js';
import { registerAdminApiRoutes, newAdminApiStats, type AdminApiStats } from '../../src/demo/casdoor/admin-api.js';
import { makeApplication, makeOrganization, makeUser, type CasdoorModel } from '../../src/demo/casdoor/model.js';
import type { Router } from '../../src/demo/casdoor/router.js';
import type { EmulatorState } from '../../src/demo/casdoor/server.js';
import { createHttpClient } from '../../src/oidc/http.js';
import { discover } from '../../src/oidc/discovery.js';
import { passwordGrant } from '../../src/oidc/grants.js';

export const BUILT_IN_CLIENT_ID = 'b1u1l7in0000client01';
export const ADMIN_CLI_CLIENT_ID = 'adm1ncl10000client01';
export const OTHER_CLIENT_ID = '07her0rg0000client01';
export const ADMIN = { name: 'admin', password: 'admin-pass-123' };
export const ORG_ADMIN = { name: 'carol', password: 'carol-pass-123' };
export const OTHER_ADMIN = { name: 'dave', password: 'dave-pass-123' };

export interface AdminFixture {
  stats: AdminApiStats;
  routes: (router: Router, state: EmulatorState) => void;
}

/** The `routes` hook of startCasdoorProvider: Casdoor's admin API over the same model. */
export function adminRoutes(): AdminFixture {
  const stats = newAdminApiStats();
  return { stats, routes: (router, state) => registerAdminApiRoutes(router, { model: state.model, stats }) };
}

/** Adds the built-in organization, its applications and the admins to a running provider's model. */
export function addAdmins(model: CasdoorModel, demoOrganization: string): void {
  model.addOrganization(makeOrganization('built-in'));
  model.addOrganization(makeOrganization('other-org'));
  model.addApplication(makeApplication({ name: 'app-built-in', organization: 'built-in', cert: 'cert-built-in', clientId: BUILT_IN_CLIENT_ID, clientSecret: 'b'.repeat(40), grantTypes: [], refreshExpireInHours: 0 }));
  // Applications with the password grant, only to get admin tokens without a browser in the CLI tests.
  model.addApplication(makeApplication({ name: 'admin-cli', organization: 'built-in', cert: 'cert-built-in', clientId: ADMIN_CLI_CLIENT_ID, clientSecret: 'c'.repeat(40) }));
  model.addApplication(makeApplication({ name: 'other-app', organization: 'other-org', cert: 'cert-built-in', clientId: OTHER_CLIENT_ID, clientSecret: 'd'.repeat(40) }));
  model.addUser(makeUser({ owner: 'built-in', name: ADMIN.name, password: ADMIN.password, isAdmin: true }));
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
