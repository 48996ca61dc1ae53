/**
 * Things that must be undone if the process is interrupted (Ctrl-C while a lock is held, a temp
 * file exists …). Owners register a synchronous undo while they hold the resource and remove it
 * when they release it; src/bin.ts runs what is left on SIGINT/SIGTERM before exiting 130.
 */
const pending = new Set<() => void>();

export function registerCleanup(undo: () => void): () => void {
  pending.add(undo);
  return () => {
    pending.delete(undo);
  };
}

export function runCleanups(): void {
  for (const undo of [...pending]) {
    pending.delete(undo);
    try {
      undo();
    } catch {
      // best effort: the process is going away
    }
  }
}
