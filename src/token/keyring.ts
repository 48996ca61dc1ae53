/**
 * `--token-cache-storage keyring`: the refresh token (long-lived, and what a thief would want) lives in
 * the OS keychain — macOS Keychain, Windows Credential Manager, the Secret Service on Linux — through
 * @napi-rs/keyring, while the short-lived id_token stays in the 0600 cache file so that the hot path
 * (token/fast.ts) reads it as before. The binding is imported here only, dynamically, on the slow path.
 *
 * One keychain item per cache entry: service `casdoor-kubeconfig`, account = the cache file's name
 * without `.json` (the 16-hex hash of the cache key). No usable keychain → a clear error that names
 * `--token-cache-storage disk`; this module never falls back to the file by itself.
 */
import path from 'node:path';
import type * as KeyringBinding from '@napi-rs/keyring';
import { CliError } from '../errors.js';
import { PACKAGE_NAME, runningAsSea } from '../install-info.js';

export { TOKEN_STORAGES, type TokenStorage } from './storage-kinds.js';

export const KEYRING_SERVICE = 'casdoor-kubeconfig';

/** Where one refresh token goes: get/set/delete by account. */
export interface SecretStore {
  get(account: string): Promise<string | undefined>;
  set(account: string, secret: string): Promise<void>;
  /** Returns whether an item was there. */
  delete(account: string): Promise<boolean>;
}

/** The keychain account of a cache file: its name without `.json`. */
export function keyringAccount(file: string): string {
  return path.basename(file).replace(/\.json$/, '');
}

export function keyringError(err: unknown, doing: string): CliError {
  const detail = err instanceof Error ? err.message : String(err);
  return new CliError('kubeconfig', `cannot ${doing} the OS keyring (--token-cache-storage keyring): ${detail}.`, {
    hint:
      'On Linux a Secret Service must be running and unlocked in this session (GNOME Keyring, KWallet, KeePassXC), reachable over D-Bus (DBUS_SESSION_BUS_ADDRESS). ' +
      'Without one, change the exec args to --token-cache-storage disk (the refresh token then sits in the 0600 cache file) and run the command again.',
    cause: err,
  });
}

type Binding = typeof KeyringBinding;

/** The OS keychain; loads the native binding on first use. */
export async function openKeyring(load: () => Promise<Binding> = () => import('@napi-rs/keyring')): Promise<SecretStore> {
  let binding: Binding;
  try {
    binding = await load();
  } catch (err) {
    // The single executable carries no native module (scripts/release.mjs, SEA_CLI_LOADER refuses the import).
    if (runningAsSea()) {
      throw new CliError('kubeconfig', 'the single executable cannot use the OS keyring (--token-cache-storage keyring): the keychain binding is a native module it cannot carry.', {
        hint: `Install the npm package (npm install -g ${PACKAGE_NAME}) and point the exec entry at it, or change the exec args to --token-cache-storage disk.`,
        cause: err,
      });
    }
    throw keyringError(err, 'load the keychain binding (@napi-rs/keyring has no prebuilt binary for this platform?) to use');
  }
  const entry = (account: string): InstanceType<Binding['AsyncEntry']> => new binding.AsyncEntry(KEYRING_SERVICE, account);
  return {
    async get(account) {
      try {
        return (await entry(account).getPassword()) ?? undefined;
      } catch (err) {
        throw keyringError(err, 'read the refresh token from');
      }
    },
    async set(account, secret) {
      try {
        await entry(account).setPassword(secret);
      } catch (err) {
        throw keyringError(err, 'store the refresh token in');
      }
    },
    async delete(account) {
      try {
        return await entry(account).deleteCredential();
      } catch (err) {
        throw keyringError(err, 'delete the refresh token from');
      }
    },
  };
}
