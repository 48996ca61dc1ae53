/** A leaf: `whoami --help` shows it, and cluster/review.ts, which uses it, loads only when a review runs. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
