/**
 * What a kubeconfig file may be before it is parsed, and what its YAML may expand to: the guards
 * against hostile or broken files (a FIFO, a 2 GB file, an alias bomb, bytes that are not text).
 * Each limit says which one was hit, so a person can tell a broken file from a limit of this tool.
 */
import { CliError } from '../errors.js';

/**
 * The largest kubeconfig read. kubectl has no limit (client-go clientcmd/loader.go LoadFromFile reads
 * the whole file); ours keeps the memory of one run bounded (js-yaml needs roughly 10-20 times the
 * file's size). A kubeconfig with 15,000 entries is about 5 MiB.
 */
export const MAX_KUBECONFIG_BYTES = 32 * 1024 * 1024;

/** js-yaml's nesting limit, made explicit (go-yaml v2 stops at 10,000; no kubeconfig nests past a dozen). */
export const MAX_YAML_DEPTH = 100;

const HINT = 'Fix the file or point --kubeconfig elsewhere; casdoor-kubeconfig did not change it.';

export function tooLarge(file: string, size: number): CliError {
  const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return new CliError('kubeconfig', `${file} is ${mib(size)}: kubeconfig files over ${mib(MAX_KUBECONFIG_BYTES)} are refused (a limit of casdoor-kubeconfig, to bound its memory).`, {
    hint: HINT,
  });
}

/**
 * The text of a kubeconfig's bytes, decoded as kubectl decodes them: go-yaml v2's reader
 * (gopkg.in/yaml.v2 readerc.go yaml_parser_determine_encoding) honours a UTF-16LE/BE byte-order mark
 * (Windows PowerShell's `>` writes UTF-16LE with one) and a UTF-8 BOM, and otherwise requires UTF-8:
 * a stray byte fails with "invalid leading UTF-8 octet" (seen with kubectl 1.33). UTF-16 without a BOM
 * is read as UTF-8 and fails on its NUL bytes ("control characters are not allowed").
 */
export function decodeKubeconfigBytes(raw: Buffer, file: string): string {
  let encoding: 'utf-8' | 'utf-16le' | 'utf-16be' = 'utf-8';
  let start = 0;
  if (raw.length >= 2 && raw[0] === 0xff && raw[1] === 0xfe) [encoding, start] = ['utf-16le', 2];
  else if (raw.length >= 2 && raw[0] === 0xfe && raw[1] === 0xff) [encoding, start] = ['utf-16be', 2];
  else if (raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) start = 3;
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(raw.subarray(start));
  } catch {
    const what = encoding === 'utf-8' ? `not valid UTF-8 (first bad byte at offset ${firstBadUtf8(raw, start)})` : `not valid ${encoding.toUpperCase()}`;
    throw new CliError('kubeconfig', `${file} is ${what}; kubectl refuses it too ("invalid leading UTF-8 octet").`, {
      hint: 'Save the file as UTF-8 (or UTF-16 with a byte-order mark); casdoor-kubeconfig did not change it.',
    });
  }
}

function firstBadUtf8(raw: Buffer, start: number): number {
  let i = start;
  while (i < raw.length) {
    const b = raw[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > raw.length) return i;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(raw.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return i;
}

/**
 * go-yaml v2's alias budget (gopkg.in/yaml.v2 decode.go `unmarshal` / allowedAliasRatio): once more than
 * 100 nodes came from alias expansion and more than 1000 were decoded, the share of alias-made nodes may
 * be at most 99 % up to 400,000 decoded nodes, falling to 10 % at 4,000,000. Past it kubectl fails with
 * "yaml: document contains excessive aliasing".
 */
function allowedAliasRatio(decodeCount: number): number {
  const low = 400_000;
  const high = 4_000_000;
  if (decodeCount <= low) return 0.99;
  if (decodeCount >= high) return 0.1;
  return 0.99 - 0.89 * ((decodeCount - low) / (high - low));
}

export interface AliasCount {
  /** Nodes kubectl decodes, aliases expanded (keys count too). */
  decoded: number;
  /** Of those, the nodes that came from expanding an alias. */
  fromAliases: number;
}

/**
 * js-yaml shares one object for an anchor and its aliases instead of copying it, so a "billion laughs"
 * file parses in a millisecond, but anything that walks it (validation, the diff, the writer, which
 * expands aliases) would not finish. This counts what kubectl's decoder would expand, in time linear in
 * the file: the expanded size of each shared object is computed once. A shared object seen again is an
 * alias (js-yaml makes a new object for every node written out). An object containing itself (`&a [*a]`)
 * is refused as go-yaml v2 refuses it ("anchor 'a' value contains itself").
 */
export function countAliasExpansion(value: unknown, file: string): AliasCount {
  const size = new Map<object, number>();
  const inProgress = new Set<object>();
  const sizeOf = (v: unknown): number => {
    if (v === null || typeof v !== 'object') return 1;
    const known = size.get(v);
    if (known !== undefined) return known;
    if (inProgress.has(v)) throw selfContaining(file);
    inProgress.add(v);
    let n = 1;
    if (Array.isArray(v)) for (const item of v) n += sizeOf(item);
    else for (const item of Object.values(v)) n += 1 + sizeOf(item); // the key, then the value
    inProgress.delete(v);
    size.set(v, n);
    return n;
  };
  const decoded = sizeOf(value);
  // Walk each object once; every later meeting of an object is an alias, worth its expanded size.
  let fromAliases = 0;
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (seen.has(v)) {
      fromAliases += size.get(v) ?? 1;
      return;
    }
    seen.add(v);
    for (const item of Array.isArray(v) ? v : Object.values(v)) walk(item);
  };
  walk(value);
  return { decoded, fromAliases };
}

function selfContaining(file: string): CliError {
  return new CliError('kubeconfig', `${file}: an anchor's value contains an alias of itself; kubectl refuses such a file too.`, { hint: HINT });
}

/** Refuses a parsed document that kubectl would refuse for excessive aliasing, before anything walks it. */
export function checkAliasing(value: unknown, file: string): void {
  const { decoded, fromAliases } = countAliasExpansion(value, file);
  if (fromAliases > 100 && decoded > 1000 && fromAliases / decoded > allowedAliasRatio(decoded)) {
    const n = decoded >= 1e9 ? decoded.toExponential(1) : String(decoded);
    throw new CliError('kubeconfig', `${file} contains excessive aliasing: its anchors and aliases expand to ${n} values, ${Math.round((fromAliases / decoded) * 100)} % of them copies; kubectl refuses it too ("yaml: document contains excessive aliasing").`, {
      hint: HINT,
    });
  }
}
