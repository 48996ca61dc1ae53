/**
 * The team roster and the admin's password file for `generate` (pure parsing and validation).
 *
 * Roster, YAML:  a list of usernames, a list of {username, namespace?, context?, cluster?, user?},
 *                or {users: [...]} holding either.
 * Roster, CSV:   one teammate per line; a header line naming the columns (username, namespace,
 *                context, cluster, user) or, without one, those columns in that order.
 * Passwords:     YAML {username: password} or a list of {username, password}; or CSV username,password.
 * '#' starts a comment line in CSV; blank lines are skipped. Every value is read as a string (YAML's
 * failsafe schema), so a password like 0123 or yes stays exactly what was typed.
 *
 * A bad row does not fail the file: it becomes a row with an `error`, reported in the summary while
 * the other rows are still written. Only a file that cannot be read as a roster at all is refused.
 */
import yaml from 'js-yaml';
import { usageError } from '../errors.js';
import { isNamespace, NAMESPACE_RULE } from '../validate.js';

export const ROSTER_FIELDS = ['username', 'namespace', 'context', 'cluster', 'user', 'groups'] as const;
export type RosterField = (typeof ROSTER_FIELDS)[number];

export interface RosterRow {
  username: string;
  namespace?: string;
  context?: string;
  cluster?: string;
  user?: string;
  /** Casdoor groups "<org>/<group>", separated by spaces or ';' (a YAML list is joined so); read by casdoor-app apply --users. */
  groups?: string;
}

/** The groups of a row as a list (see RosterRow.groups). */
export const rowGroups = (row: RosterRow): string[] => (row.groups ?? '').split(/[\s;]+/).filter((g) => g !== '');

export interface RosterEntry {
  /** Where the row is, for messages: "line 4" (CSV), "item 3" (a YAML list) or "users[2]" (a YAML users: list). */
  where: string;
  /** The row as read (username may be empty or invalid when `error` is set). */
  row: RosterRow;
  /** Set when the row cannot be used; the other rows still are. */
  error?: string;
  /** The file name this row's kubeconfig gets (set when there is no error). */
  fileName?: string;
}

export type TableFormat = 'yaml' | 'csv';

const hasControl = (s: string): boolean => [...s].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\u007f');

/** YAML for .yaml/.yml/.json, CSV for .csv; otherwise YAML when the text parses to a list or map. */
export function detectFormat(file: string, text: string): TableFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (/\.(ya?ml|json)$/.test(lower)) return 'yaml';
  try {
    const v = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA });
    return v !== null && typeof v === 'object' ? 'yaml' : 'csv';
  } catch {
    return 'csv';
  }
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. Returns rows with their line numbers. */
export function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const rows: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let wasQuoted = false;
  let line = 1;
  let rowLine = 1;
  const endCell = (): void => {
    cells.push(wasQuoted ? cell : cell.trim());
    cell = '';
    wasQuoted = false;
  };
  const endRow = (): void => {
    endCell();
    const blank = cells.every((c) => c === '');
    const comment = (cells[0] ?? '').startsWith('#');
    if (!blank && !comment) rows.push({ line: rowLine, cells });
    cells = [];
  };
  const src = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < src.length; i++) {
    const ch = src[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && cell.trim() === '') {
      quoted = true;
      wasQuoted = true;
      cell = '';
    } else if (ch === ',') endCell();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else cell += ch;
  }
  if (cell !== '' || cells.length > 0) endRow();
  return rows;
}

/**
 * The file name a user's kubeconfig gets: the username with anything but letters, digits and
 * `._@+-` replaced by `_`, no leading dot (no hidden files, no `..`), at most 100 characters.
 */
export function sanitizeFileName(username: string): string {
  let base = username.normalize('NFC').replace(/[^A-Za-z0-9._@+-]/g, '_').replace(/^\.+/, (m) => '_'.repeat(m.length));
  if (base.length > 100) base = base.slice(0, 100);
  return `${base || '_'}.kubeconfig`;
}

function checkRow(row: RosterRow): string | undefined {
  if (row.username === '') return 'username is empty';
  if (/\s/.test(row.username) || hasControl(row.username)) return `username "${row.username}" contains spaces or control characters`;
  if (row.namespace !== undefined && !isNamespace(row.namespace)) {
    return `namespace "${row.namespace}" is not a valid namespace name (${NAMESPACE_RULE})`;
  }
  for (const k of ['context', 'cluster', 'user'] as const) {
    const v = row[k];
    if (v !== undefined && (v.trim() === '' || hasControl(v))) return `${k} name "${v}" is empty or contains control characters`;
  }
  return undefined;
}

function rowFromCells(cells: string[], columns: readonly RosterField[]): RosterRow {
  const row: RosterRow = { username: '' };
  columns.forEach((col, i) => {
    const v = cells[i] ?? '';
    if (col === 'username') row.username = v;
    else if (v !== '') row[col] = v;
  });
  return row;
}

function csvRoster(text: string, file: string): Array<Omit<RosterEntry, 'fileName'>> {
  const rows = parseCsv(text);
  if (rows.length === 0) return [];
  let columns: readonly RosterField[] = ROSTER_FIELDS;
  const first = rows[0] as { line: number; cells: string[] };
  let body = rows;
  if (first.cells.some((c) => c.toLowerCase() === 'username')) {
    const named = first.cells.map((c) => c.toLowerCase().replace(/[\s_-]+/g, ''));
    const unknown = named.filter((c) => !(ROSTER_FIELDS as readonly string[]).includes(c));
    if (unknown.length) {
      throw usageError(`${file}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')} in the header (line ${first.line}).`, `Columns: ${ROSTER_FIELDS.join(', ')}.`);
    }
    columns = named as RosterField[];
    body = rows.slice(1);
  }
  return body.map(({ line, cells }) => {
    const row = rowFromCells(cells, columns);
    if (cells.length > columns.length) return { where: `line ${line}`, row, error: `${cells.length} columns, expected at most ${columns.length} (${columns.join(', ')})` };
    return { where: `line ${line}`, row };
  });
}

function yamlRoster(text: string, file: string): Array<Omit<RosterEntry, 'fileName'>> {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA, filename: file });
  } catch (err) {
    throw usageError(`${file} is not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  let list: unknown = doc;
  let prefix = '';
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    list = (doc as Record<string, unknown>).users;
    prefix = 'users';
    if (!Array.isArray(list)) throw usageError(`${file}: expected a list of teammates, or a "users:" list.`, 'See casdoor-kubeconfig generate --help for the roster format.');
  }
  if (doc === undefined || doc === null) return [];
  if (!Array.isArray(list)) throw usageError(`${file}: expected a list of teammates, or a "users:" list.`, 'See casdoor-kubeconfig generate --help for the roster format.');
  return list.map((item, i): Omit<RosterEntry, 'fileName'> => {
    const where = prefix ? `${prefix}[${i}]` : `item ${i + 1}`;
    if (typeof item === 'string') return { where, row: { username: item.trim() } };
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return { where, row: { username: '' }, error: 'not a username or a map with "username"' };
    const rec = item as Record<string, unknown>;
    const unknown = Object.keys(rec).filter((k) => !(ROSTER_FIELDS as readonly string[]).includes(k));
    const row: RosterRow = { username: typeof rec.username === 'string' ? rec.username.trim() : '' };
    for (const k of ['namespace', 'context', 'cluster', 'user', 'groups'] as const) {
      const v = rec[k];
      if (typeof v === 'string' && v !== '') row[k] = v;
    }
    if (Array.isArray(rec.groups) && rec.groups.every((g) => typeof g === 'string')) {
      row.groups = (rec.groups as string[]).join(' ');
      delete rec.groups;
    }
    if (unknown.length) return { where, row, error: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${ROSTER_FIELDS.join(', ')})` };
    const bad = Object.entries(rec).find(([, v]) => v !== null && typeof v !== 'string');
    if (bad) return { where, row, error: `"${bad[0]}" must be a string` };
    return { where, row };
  });
}

/** Parses and validates a roster; duplicate usernames and colliding file names are row errors. */
export function parseRoster(text: string, file: string, format: TableFormat = detectFormat(file, text)): RosterEntry[] {
  const raw = format === 'csv' ? csvRoster(text, file) : yamlRoster(text, file);
  const byUser = new Map<string, string>();
  const byFile = new Map<string, string>();
  return raw.map((entry): RosterEntry => {
    const error = entry.error ?? checkRow(entry.row);
    if (error) return { ...entry, error };
    const seen = byUser.get(entry.row.username);
    if (seen) return { ...entry, error: `username "${entry.row.username}" is listed twice (first at ${seen})` };
    byUser.set(entry.row.username, entry.where);
    const fileName = sanitizeFileName(entry.row.username);
    // Case-insensitive: macOS and Windows file systems would make Alice and alice one file.
    const clash = byFile.get(fileName.toLowerCase());
    if (clash) return { ...entry, error: `its file name ${fileName} collides with the one for ${clash}` };
    byFile.set(fileName.toLowerCase(), entry.where);
    return { ...entry, fileName };
  });
}

/** Parses the admin's password file into username → password (the caller registers them as secrets). */
export function parsePasswords(text: string, file: string, format: TableFormat = detectFormat(file, text)): Map<string, string> {
  const out = new Map<string, string>();
  if (format === 'csv') {
    const rows = parseCsv(text);
    const header = rows[0]?.cells.map((c) => c.toLowerCase());
    const body = header && header[0] === 'username' && header[1] === 'password' ? rows.slice(1) : rows;
    for (const { line, cells } of body) {
      if (cells.length !== 2 || cells[0] === '') throw usageError(`${file}: line ${line} is not "username,password".`);
      out.set(cells[0] as string, cells[1] as string);
    }
    return out;
  }
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA, filename: file });
  } catch {
    // js-yaml's message would quote the line, which may hold a password.
    throw usageError(`${file} is not valid YAML.`, 'Expected "username: password" lines, or a list of {username, password}.');
  }
  if (doc === undefined || doc === null) return out;
  if (Array.isArray(doc)) {
    doc.forEach((item, i) => {
      const rec = item as Record<string, unknown> | null;
      if (!rec || typeof rec.username !== 'string' || typeof rec.password !== 'string') throw usageError(`${file}: [${i}] needs "username" and "password".`);
      out.set(rec.username, rec.password);
    });
    return out;
  }
  if (typeof doc !== 'object') throw usageError(`${file}: expected "username: password" lines, or a list of {username, password}.`);
  for (const [user, pw] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof pw !== 'string') throw usageError(`${file}: the password of "${user}" must be a plain value.`);
    out.set(user, pw);
  }
  return out;
}
