// Re-exports only: the wizard's public API (loaded with a dynamic import; it pulls in inquirer).
export { promptsFor, runWizardCommand, wizardOptionsFromFlags } from './command.js';
export { findRenewable, type RenewCandidate } from './existing.js';
export type { Answers, WizardDeps, WizardOptions, WizardResult, WizardSettings } from './options.js';
export { runWizard } from './run.js';
export { terminalPrompts } from './prompts.js';
export { DEFAULT, INTERRUPT, scriptedPrompts, type Script, type ScriptedPrompts } from './scripted.js';
export { spinnerOn, type Spin } from './spinner.js';
export { PromptInterrupted, type Prompts } from './types.js';
