/**
 * The Casdoor emulator: routes over one `CasdoorModel`. `createCasdoorEmulator` returns the router
 * (extend it with `router.add`) and the shared state; `src/demo/provider.ts` serves it over HTTPS.
 */
import { registerAuthorizeRoutes } from './authorize.js';
import { registerDeviceRoutes } from './device.js';
import { registerDiscoveryRoutes } from './discovery.js';
import { registerIntrospectRoutes } from './introspect.js';
import { registerLogoutRoutes } from './logout.js';
import type { CasdoorModel } from './model.js';
import { Router } from './router.js';
import { newStats, type EmulatorState, type HarnessSettings } from './server.js';
import { registerTokenRoutes } from './token.js';

export interface CasdoorEmulator {
  router: Router;
  state: EmulatorState;
}

export function createCasdoorEmulator(model: CasdoorModel, harness: Partial<HarnessSettings> = {}): CasdoorEmulator {
  const state: EmulatorState = {
    model,
    stats: newStats(),
    harness: { autoLoginAs: undefined, accessTokenIsIdToken: true, ...harness },
  };
  const router = new Router();
  registerDiscoveryRoutes(router, state);
  registerTokenRoutes(router, state);
  registerDeviceRoutes(router, state);
  registerLogoutRoutes(router, state);
  registerIntrospectRoutes(router, state);
  registerAuthorizeRoutes(router, state);
  return { router, state };
}
