/**
 * The files in `templates/` and the two small, pure ways they are filled:
 *
 * - text templates (`renderText`): `{{name}}` placeholders replaced by strings. A line holding a
 *   placeholder whose value is `undefined` is dropped, which is how optional flags stay optional
 *   without any template logic.
 * - YAML templates (`renderYaml`): the file is parsed with js-yaml, every string that is exactly
 *   `'{{name}}'` is replaced by the typed value (string, list, object; a key whose value is
 *   `undefined` is removed) and the result is dumped again, so quoting and multi-line values such
 *   as PEM certificates are js-yaml's job, never string concatenation. The file's leading `#`
 *   lines are a text template too and become the output's header comment.
 *
 * Reading a template is the only I/O here: the files ship with the package (see package.json
 * "files") and are read once, relative to this module (src/ in development, dist/ when built).
 */
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

export type TemplateName = 'apiserver-flags.txt' | 'minikube.sh' | 'authentication-config.yaml' | 'rbac-binding.yaml';

const TEMPLATE_DIR = new URL('../templates/', import.meta.url);
const cache = new Map<TemplateName, string>();

/** The text of `templates/<name>` (read once). */
export function readTemplate(name: TemplateName): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(name, TEMPLATE_DIR), 'utf8');
    cache.set(name, text);
  }
  return text;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}$/;

/** A template asked for a value the code never provides: a bug in the template or the caller. */
function unknownPlaceholder(name: string): Error {
  return new Error(`template placeholder {{${name}}} has no value (not even undefined)`);
}

/**
 * Fills a text template (pure). Values may span several lines. A line that mentions a placeholder
 * whose value is `undefined` is left out entirely.
 */
export function renderText(template: string, values: Record<string, string | undefined>): string {
  const out: string[] = [];
  for (const line of template.split('\n')) {
    let drop = false;
    const filled = line.replace(PLACEHOLDER, (_m, name: string) => {
      if (!Object.hasOwn(values, name)) throw unknownPlaceholder(name);
      const v = values[name];
      if (v === undefined) {
        drop = true;
        return '';
      }
      return v;
    });
    if (!drop) out.push(filled);
  }
  return out.join('\n');
}

/**
 * Splits a YAML template into its header (the lines before the first blank line, when the file
 * starts with a comment) and the YAML body. Comments after that blank line are notes for readers
 * of the template: js-yaml skips them, so they are never printed.
 */
export function splitHeader(template: string): { header: string; body: string } {
  if (!template.startsWith('#')) return { header: '', body: template };
  const lines = template.split('\n');
  const blank = lines.findIndex((l) => l.trim() === '');
  if (blank === -1) return { header: template, body: '' };
  return { header: lines.slice(0, blank).join('\n'), body: lines.slice(blank + 1).join('\n') };
}

function fillValue(node: unknown, values: Record<string, unknown>): unknown {
  if (typeof node === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(node);
    if (whole) {
      const name = whole[1] as string;
      if (!Object.hasOwn(values, name)) throw unknownPlaceholder(name);
      return values[name];
    }
    return node.replace(PLACEHOLDER, (_m, name: string) => {
      if (!Object.hasOwn(values, name)) throw unknownPlaceholder(name);
      const v = values[name];
      if (typeof v !== 'string') throw new Error(`template placeholder {{${name}}} inside a longer string needs a string value`);
      return v;
    });
  }
  if (Array.isArray(node)) {
    return node.map((item) => fillValue(item, values)).filter((item) => item !== undefined);
  }
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      const filled = fillValue(v, values);
      if (filled !== undefined) out[k] = filled;
    }
    return out;
  }
  return node;
}

/** Parses a YAML template and fills its placeholders (pure); returns the object, not text. */
export function fillYaml(template: string, values: Record<string, unknown>): Record<string, unknown> {
  const { body } = splitHeader(template);
  const doc = yaml.load(body, { schema: yaml.JSON_SCHEMA });
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('a YAML template must hold a mapping');
  return fillValue(doc, values) as Record<string, unknown>;
}

/** Dumps an object as block-style YAML: long lines kept whole, PEM text as a `|` literal block. */
export function dumpYaml(value: unknown): string {
  return yaml.dump(value, { lineWidth: -1, noRefs: true, noArrayIndent: true });
}

/**
 * Renders a YAML template: the header comment filled as text (lines with an undefined value
 * dropped), then the filled document dumped by js-yaml.
 */
export function renderYaml(template: string, values: Record<string, unknown>): { text: string; object: Record<string, unknown> } {
  const { header } = splitHeader(template);
  const headerValues: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(values)) headerValues[k] = typeof v === 'string' ? v : v === undefined ? undefined : JSON.stringify(v);
  const object = fillYaml(template, values);
  const headerText = header ? `${renderText(header, headerValues)}\n` : '';
  return { text: `${headerText}${dumpYaml(object)}`, object };
}
