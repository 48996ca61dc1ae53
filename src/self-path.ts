/**
 * Where this tool's entry point is in a build or a checkout: dist/bin.js, next to this module. The npm
 * bundle and the single executable have no such layout: scripts/release.mjs replaces this module for
 * them (entryUrl becomes undefined) and the callers ask src/install-info.ts instead.
 */
export const ENTRY_URL: string | undefined = new URL('./bin.js', import.meta.url).href;
