/**
 * The login grants `token`, `setup`, `refresh` and `doctor` offer. A leaf module (no imports): the
 * commands' option definitions name the choices on every start, `--help` included, without loading
 * the token use case (usecases/token.ts re-exports both).
 */
export const GRANTS = ['password', 'browser', 'device', 'client-credentials'] as const;
export type GrantType = (typeof GRANTS)[number];
