/**
 * `--token-cache-storage` values (a leaf: the commands' options name them at start-up, and
 * token/keyring.ts, which re-exports them, pulls in install-info).
 */
export const TOKEN_STORAGES = ['disk', 'keyring', 'none'] as const;
export type TokenStorage = (typeof TOKEN_STORAGES)[number];
