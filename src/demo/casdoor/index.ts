/**
 * The Casdoor emulator: routes over one `CasdoorModel`. `createCasdoorEmulator` returns the router
 * (extend it with `router.add`) and the shared state; `src/demo/provider.ts` serves it over HTTPS.
 *
 * How tests drive it (all through `startCasdoorProvider` / `startDemoEnvironment({ provider })`):
 * - a Casdoor release: `{ version: '3.26.0' }` (see `behaviourOf` in model.ts), or one switch at run
 *   time: `provider.behaviour.scopeValidation = false`;
 * - an application setting: `{ application: { tokenFormat: 'JWT-Standard' } }` at start, or at run
 *   time on the live object: `provider.application.scopes = [...]`, `.grantTypes`, `.signinMethods`
 *   (the "Device login" method), `.isShared`, `.tokenSigningMethod`, `.refreshExpireInHours` (0 = dies
 *   with the access token), `.tokenFields` / `.tokenAttributes` (JWT-Custom), `.codeResendTimeout`;
 * - the certificate's algorithm apart from the signing method: `{ certAlgorithm, tokenSigningMethod }`;
 * - Casdoor's server settings: `provider.model.config` (`origin`, `originFrontend`, `useGroupPathInToken`);
 * - users, groups, tokens, device codes: `provider.model` (`users`, `groups`, `tokens`, `deviceAuth`);
 * - more endpoints (admin API): `{ routes: (router, state) => router.add(...) }`; handlers get the model
 *   and answer with `ctx.responseOk` / `ctx.responseError` (HTTP 200 envelopes) or `ctx.json`.
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
