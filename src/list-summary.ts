/**
 * A list for a person to read, shortened: a Casdoor user in 300 groups must not push everything else
 * off the screen. `--json` outputs keep the whole list (they are for programs).
 */
export const LIST_SHOWN = 10;

/** "a, b, c" or "a, b, …, j and 290 more (300 groups)" (pure). */
export function summarizeList(items: readonly string[], noun = 'groups', shown = LIST_SHOWN): string {
  if (items.length <= shown) return items.join(', ');
  return `${items.slice(0, shown).join(', ')} and ${items.length - shown} more (${items.length} ${noun}; --json lists them all)`;
}
