/**
 * When a token expires, for messages: the local date and time and how far off it is. A leaf module
 * (pure, no imports), so that the commands that only print an expiry do not load setup's dependencies.
 */
export function describeExpiry(expiresAt: Date, now: Date): string {
  const mins = Math.round((expiresAt.getTime() - now.getTime()) / 60000);
  const local = expiresAt.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const rel = mins >= 120 ? `in ${Math.round(mins / 60)} h` : mins >= 0 ? `in ${mins} min` : `${-mins} min ago`;
  return `${local} (${rel})`;
}
