/**
 * Exec mode: where the plugin keeps its tokens (`--token-cache-storage`, written into the exec args).
 * Asked only when the flag was not given; the default, disk, is what kubectl's own caches do.
 */
import { runningAsSea } from '../../install-info.js';
import type { TokenStorage } from '../../token/keyring.js';
import { Q } from '../questions.js';
import type { Run } from '../run.js';
import type { Choice } from '../types.js';

const choices = (sea: boolean): Array<Choice<TokenStorage>> => [
  { value: 'disk', name: 'disk (default)', description: 'id_token and refresh token in a private 0600 file under ~/.kube/cache: works everywhere, as kubectl\'s own caches do' },
  {
    value: 'keyring',
    name: 'OS keyring',
    description: 'the refresh token in macOS Keychain / Windows Credential Manager / a Linux Secret Service; only the short-lived id_token in the file. Fails clearly (never falls back) where no keyring runs',
    // The single executable cannot carry the keychain binding (a native module): src/token/keyring.ts.
    ...(sea ? { disabled: 'needs the npm package: the single executable cannot carry the keychain binding' } : {}),
  },
  { value: 'none', name: 'nothing', description: 'no token kept: every kubectl command logs in again. Only for CI with CASDOOR_PASSWORD' },
];

export async function tokenStorageStep(run: Run, sea = runningAsSea()): Promise<void> {
  if (run.a.mode !== 'exec' || run.opts.settings.tokenCacheStorage !== undefined) return;
  const storage = await run.ask.select(Q.tokenCacheStorage(choices(sea), 'disk' as TokenStorage));
  if (storage !== 'disk') run.opts.settings.tokenCacheStorage = storage;
}
