/**
 * Plain scalars as kubectl reads them. kubectl decodes a kubeconfig with sigs.k8s.io/yaml, which runs
 * go-yaml v2 (YAML 1.1) and turns the result into JSON: `yes`/`on`/`y` are `true`, `0644` is the octal
 * number 420, `1_000` is 1000, `0x1F` is 31. js-yaml's schemas follow YAML 1.2, where all of these are
 * strings, so a value kept untouched (an extension, an unknown key) would change its meaning on the
 * way through us: read as the string "yes", written back quoted, and kubectl would then see a string
 * where it saw `true` before. Reading with kubectl's rules and quoting on write every string kubectl
 * would take for something else keeps the meaning.
 *
 * The rules are go-yaml v2's `resolve` (gopkg.in/yaml.v2 resolve.go, v2.4.0, also vendored by
 * sigs.k8s.io/yaml as goyaml.v2): a table of words, then for a scalar starting with a digit or a sign
 * a timestamp check, `strconv.ParseInt(s without '_', 0, 64)`, `ParseUint`, then `yamlStyleFloat`.
 * Timestamps stay strings (decode.go `scalar`: "for backward compatibility reasons we set it as a
 * string"); base-60 numbers are not supported by go-yaml v2 and stay strings too.
 */
import * as jsYaml from 'js-yaml';
import { FAILSAFE_SCHEMA, Type } from 'js-yaml';

/** What a plain scalar means to go-yaml v2, or STRING when it stays the text itself. */
export const STRING: unique symbol = Symbol('string');

/**
 * An integer beyond 2^53, which a JS number cannot hold exactly (go-yaml v2 keeps int64/uint64): kept as
 * its decimal text and written back unquoted, so kubectl reads the same number. As a mapping key it
 * becomes that text (js-yaml calls toString on a key carrying @@toStringTag), which is also what kubectl's
 * JSON conversion makes of an integer key (sigs.k8s.io/yaml: strconv.FormatInt).
 */
export class GoInt {
  constructor(readonly text: string) {}
  get [Symbol.toStringTag](): string {
    return 'GoInt';
  }
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

/** A deep copy of parsed YAML that keeps GoInt values (structuredClone would turn them into mappings). */
export function cloneYaml<T>(value: T): T {
  if (value instanceof GoInt || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => cloneYaml(v)) as T;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneYaml(v)])) as T;
}

const WORDS = new Map<string, boolean | null | number>();
for (const w of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) WORDS.set(w, true);
for (const w of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']) WORDS.set(w, false);
for (const w of ['', '~', 'null', 'Null', 'NULL']) WORDS.set(w, null);
for (const w of ['.nan', '.NaN', '.NAN']) WORDS.set(w, Number.NaN);
for (const w of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) WORDS.set(w, Number.POSITIVE_INFINITY);
for (const w of ['-.inf', '-.Inf', '-.INF']) WORDS.set(w, Number.NEGATIVE_INFINITY);

// resolve.go yamlStyleFloat.
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64) (underscores already removed): the value, or undefined. */
function parseGoInt(s: string, signed: boolean): bigint | undefined {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const [, sign = '', body = ''] = m;
  if (sign !== '' && !signed) return undefined;
  let digits: string;
  if (/^0[xXoObB]/.test(body)) digits = `0${body[1]!.toLowerCase()}${body.slice(2)}`;
  else if (body.length > 1 && body.startsWith('0')) digits = `0o${body.slice(1)}`; // a leading 0 means octal
  else digits = body;
  const magnitude = BigInt(digits);
  const value = sign === '-' ? -magnitude : magnitude;
  if (signed ? value < INT64_MIN || value > INT64_MAX : value > UINT64_MAX) return undefined;
  return value;
}

/** go-yaml v2 timestamp formats (parseTimestamp): YYYY-M-D, optionally with a time. They stay strings. */
function looksLikeTimestamp(s: string): boolean {
  return /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2})?)?$/.test(s);
}

/** The meaning of a plain (unquoted, untagged) scalar to go-yaml v2. */
export function resolveGoYaml(s: string): boolean | null | number | GoInt | typeof STRING {
  if (WORDS.has(s)) return WORDS.get(s) as boolean | null | number;
  const first = s[0];
  if (first === '.') {
    // strconv.ParseFloat: no underscores without a base prefix; a result out of range is an error.
    if (!/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s)) return STRING;
    const f = Number(s);
    return Number.isFinite(f) ? f : STRING;
  }
  if (first === undefined || !/[-+0-9]/.test(first)) return STRING;
  if (looksLikeTimestamp(s)) return STRING;
  const plain = s.replace(/_/g, '');
  const int = parseGoInt(plain, true) ?? parseGoInt(plain, false);
  if (int !== undefined) return Number.isSafeInteger(Number(int)) ? Number(int) : new GoInt(int.toString());
  if (YAML_STYLE_FLOAT.test(plain)) {
    const f = Number(plain);
    if (Number.isFinite(f)) return f;
  }
  return STRING;
}

const isNonString = (s: string): boolean => resolveGoYaml(s) !== STRING;

/** One js-yaml type per YAML tag, each resolving what go-yaml v2 resolves to that tag. */
function readType(tag: string, accept: (v: unknown) => boolean, kind: string): Type {
  return new Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (data: string | null) => data === null ? tag === 'null' : accept(resolveGoYaml(data)),
    construct: (data: string | null) => (data === null ? null : resolveGoYaml(data)),
    predicate: (v: unknown) => typeof v === kind,
  });
}

const NULL_TYPE = readType('null', (v) => v === null, 'object');
const BOOL_TYPE = readType('bool', (v) => typeof v === 'boolean', 'boolean');
const INT_TYPE = readType('int', (v) => (typeof v === 'number' && Number.isInteger(v)) || v instanceof GoInt, 'number');
const FLOAT_TYPE = readType('float', (v) => typeof v === 'number', 'number');

// (@types/js-yaml does not declare `types`, which js-yaml 4 exports.)
const { merge: MERGE_TYPE } = (jsYaml as unknown as { types: { merge: jsYaml.Type } }).types;

/** Reading: go-yaml v2's scalars, plus `<<` merge keys (which go-yaml v2 honours). */
export const GO_YAML_READ_SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [NULL_TYPE, BOOL_TYPE, INT_TYPE, FLOAT_TYPE, MERGE_TYPE] });

/** Writes a GoInt as its digits, untagged (the writer only uses `represent`; `resolve` never matches). */
export const GO_INT_WRITER = new Type('tag:casdoor-kubeconfig,2025:go-int', {
  kind: 'scalar',
  resolve: () => false,
  instanceOf: GoInt,
  represent: (v: object) => (v as GoInt).text,
});

/**
 * Writing: js-yaml quotes a string when a type of the schema would resolve it; this type is never used
 * to read, it only makes the writer quote every string go-yaml v2 would take for a bool, null or number
 * (`'yes'`, `'0644'`, `'1_000'`, also as mapping keys).
 */
export const GO_NON_STRING = new Type('tag:casdoor-kubeconfig,2025:go-yaml-non-string', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && isNonString(s),
});
