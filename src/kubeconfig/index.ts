// Re-exports only: the kubeconfig layer's public API.
export * from './model.js';
export * from './merge.js';
export * from './target.js';
export * from './view.js';
export * from './diff.js';
export { applyKubeconfigChange, DEFAULT_LOCK_WAIT_MS } from './store.js';
export type { ApplyOptions, ApplyResult, FileResult } from './store.js';
export { updateUserEntry } from './update.js';
export type { UserUpdateOptions, UserUpdateResult } from './update.js';
export { writeStandalone } from './standalone.js';
export type { StandaloneResult } from './standalone.js';
export { lockPathOf } from './lock.js';
export { BACKUP_MARK, MAX_BACKUPS } from './backup.js';
