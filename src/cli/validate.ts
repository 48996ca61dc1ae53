/**
 * The checks of values the user types live in src/validate.ts, where use cases and the wizard import
 * them without reaching into cli/; re-exported here for the commands.
 */
export * from '../validate.js';
