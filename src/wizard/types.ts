/**
 * The four kinds of question the wizard asks, as data. The flow only ever talks to a `Prompts`
 * object: src/wizard/prompts.ts answers it from the terminal (inquirer), src/wizard/scripted.ts from
 * a script (the headless demo and the tests). Every question has a stable `id`, which is what a
 * script answers and what tests assert on.
 */
export type Validator = (value: string) => true | string;

interface Question {
  /** Stable name of the question (the matching setup flag's name where there is one). */
  id: string;
  message: string;
}

export interface InputQuestion extends Question {
  default?: string;
  /** Put the default in the edit buffer, ready to be corrected (used when re-asking after an error). */
  editable?: boolean;
  /** Pure check run on Enter; a string is shown under the prompt and the value stays for editing. */
  validate?: Validator;
}

export interface PasswordQuestion extends Question {
  validate?: Validator;
}

export interface ConfirmQuestion extends Question {
  default: boolean;
}

export interface Choice<T> {
  value: T;
  name: string;
  /** One line shown under the list while this choice is highlighted. */
  description?: string;
  /** What the answer line shows once chosen (default: name). */
  short?: string;
  /** A choice that is shown but cannot be picked; a string says why. */
  disabled?: boolean | string;
}

export interface SelectQuestion<T> extends Question {
  choices: Array<Choice<T>>;
  default?: T;
}

export interface Prompts {
  input(q: InputQuestion): Promise<string>;
  password(q: PasswordQuestion): Promise<string>;
  confirm(q: ConfirmQuestion): Promise<boolean>;
  select<T>(q: SelectQuestion<T>): Promise<T>;
}

/** Raised by a prompt when the user presses Ctrl-C; main.ts maps it to exit 130 (name-based, like inquirer's). */
export class PromptInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'ExitPromptError';
  }
}
