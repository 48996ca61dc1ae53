/**
 * Prompts answered from a script instead of a keyboard: `demo --non-interactive` (CI) and the tests
 * run the very same wizard flow through this. It behaves like the terminal prompts where it matters:
 * validators run and a rejected answer is followed by the next scripted one, a question nobody
 * scripted takes its default, and Ctrl-C can be scripted (`INTERRUPT`).
 */
import type { Choice, InputQuestion, Prompts, SelectQuestion } from './types.js';
import { PromptInterrupted } from './types.js';

/** Take the question's default (Enter). */
export const DEFAULT = Symbol('default');
/** Press Ctrl-C at this question. */
export const INTERRUPT = Symbol('interrupt');

export type ScriptedAnswer =
  | string
  | boolean
  | typeof DEFAULT
  | typeof INTERRUPT
  /** For select: picks the first enabled choice it accepts. */
  | ((choice: Choice<unknown>) => boolean)
  | { value: unknown };

/** Answers per question id, used in order; a question with no answer left takes its default. */
export type Script = Record<string, ScriptedAnswer | ScriptedAnswer[]>;

export interface AskedQuestion {
  id: string;
  kind: 'input' | 'password' | 'confirm' | 'select';
  message: string;
  default?: string;
  editable?: boolean;
  /** The answer given ('***' for passwords). */
  answer?: string;
  /** The validation error the answer got, if it was rejected. */
  error?: string;
}

export interface ScriptedPrompts extends Prompts {
  /** Every question asked, in order (a rejected answer is one entry with `error`). */
  asked: AskedQuestion[];
  /** Answers that were scripted but never used. */
  unused(): string[];
}

export function scriptedPrompts(script: Script, echo?: (line: string) => void): ScriptedPrompts {
  const queues = new Map<string, ScriptedAnswer[]>(
    Object.entries(script).map(([id, a]) => [id, Array.isArray(a) ? [...a] : [a]]),
  );
  const asked: AskedQuestion[] = [];
  const say = echo ?? (() => undefined);

  const next = (id: string): ScriptedAnswer | undefined => queues.get(id)?.shift();
  const record = (q: AskedQuestion): AskedQuestion => {
    asked.push(q);
    return q;
  };
  const interrupted = (entry: AskedQuestion): never => {
    entry.answer = '^C';
    say(`? ${entry.message} ^C`);
    throw new PromptInterrupted();
  };

  async function text(kind: 'input' | 'password', q: InputQuestion): Promise<string> {
    for (;;) {
      const entry = record({
        id: q.id,
        kind,
        message: q.message,
        ...(q.default !== undefined ? { default: q.default } : {}),
        ...(q.editable ? { editable: true } : {}),
      });
      const a = next(q.id);
      if (a === INTERRUPT) interrupted(entry);
      let value: string;
      if (a === undefined || a === DEFAULT) {
        if (q.default === undefined && a === undefined) {
          throw new Error(`scripted prompts: no answer for "${q.id}" (${q.message})`);
        }
        value = q.default ?? '';
      } else if (typeof a === 'string') {
        value = a;
      } else {
        throw new Error(`scripted prompts: the answer for "${q.id}" must be a string`);
      }
      entry.answer = kind === 'password' ? '*'.repeat(Math.min(value.length, 8)) : value;
      say(`? ${q.message} ${entry.answer}`);
      const verdict = q.validate ? q.validate(value) : true;
      if (verdict === true) return value;
      entry.error = verdict;
      say(`  > ${verdict}`);
    }
  }

  return {
    asked,
    unused: () => [...queues].filter(([, q]) => q.length > 0).map(([id]) => id),
    input: (q) => text('input', q),
    password: (q) => text('password', q),
    confirm: async (q) => {
      const entry = record({ id: q.id, kind: 'confirm', message: q.message, default: q.default ? 'yes' : 'no' });
      const a = next(q.id);
      if (a === INTERRUPT) interrupted(entry);
      const value = a === undefined || a === DEFAULT ? q.default : a;
      if (typeof value !== 'boolean') throw new Error(`scripted prompts: the answer for "${q.id}" must be true or false`);
      entry.answer = value ? 'yes' : 'no';
      say(`? ${q.message} ${entry.answer}`);
      return value;
    },
    select: async <T>(q: SelectQuestion<T>): Promise<T> => {
      const entry = record({ id: q.id, kind: 'select', message: q.message });
      const a = next(q.id);
      if (a === INTERRUPT) interrupted(entry);
      const enabled = q.choices.filter((c) => !c.disabled);
      let choice: Choice<T> | undefined;
      if (a === undefined || a === DEFAULT) {
        choice = enabled.find((c) => q.default !== undefined && c.value === q.default) ?? enabled[0];
      } else if (typeof a === 'function') {
        choice = enabled.find((c) => a(c as Choice<unknown>));
      } else if (typeof a === 'object' && a !== null && 'value' in a) {
        choice = enabled.find((c) => c.value === a.value);
      } else if (typeof a === 'string') {
        choice = enabled.find((c) => c.value === a) ?? enabled.find((c) => c.name.includes(a));
      }
      if (!choice) {
        throw new Error(`scripted prompts: no enabled choice of "${q.id}" matches the scripted answer (choices: ${q.choices.map((c) => c.name).join(' | ')})`);
      }
      entry.answer = choice.short ?? choice.name;
      say(`? ${q.message} ${entry.answer}`);
      return choice.value;
    },
  };
}
