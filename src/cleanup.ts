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

/**
 * Undone synchronously when the process exits (process.exit() after a signal, an uncaught error) unless
 * forgotten first: what a held lock needs, since a lock left behind blocks kubectl and the next run. Only
 * 'exit' is hooked (signal handling belongs to src/bin.ts). Returns the function that forgets `undo`.
 */
const atExit = new Set<() => void>();
let exitHooked = false;

export function undoAtExit(undo: () => void): () => void {
  atExit.add(undo);
  if (!exitHooked) {
    process.once('exit', () => {
      for (const u of [...atExit]) {
        try {
          u();
        } catch {
          // Exiting: nothing more can be done.
        }
      }
      atExit.clear();
    });
    exitHooked = true;
  }
  return () => {
    atExit.delete(undo);
  };
}
