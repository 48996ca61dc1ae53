import { describe, expect, it } from '@jest/globals';
import { detectFormat, parseCsv, parsePasswords, parseRoster, sanitizeFileName } from '../../src/usecases/roster.js';

describe('parseCsv', () => {
  it('handles quotes, embedded commas, quotes and line breaks, CRLF, comments and blank lines', () => {
    const text = '\uFEFFusername,namespace\r\n# a comment\r\n\r\n"doe, jane",team-a\r\n"say ""hi""","multi\nline"\nplain , spaced \n';
    expect(parseCsv(text)).toEqual([
      { line: 1, cells: ['username', 'namespace'] },
      { line: 4, cells: ['doe, jane', 'team-a'] },
      { line: 5, cells: ['say "hi"', 'multi\nline'] },
      { line: 7, cells: ['plain', 'spaced'] },
    ]);
  });

  it('keeps a last line without a newline', () => {
    expect(parseCsv('a,b')).toEqual([{ line: 1, cells: ['a', 'b'] }]);
  });
});

describe('detectFormat', () => {
  it('goes by extension, else sniffs', () => {
    expect(detectFormat('team.csv', '- alice')).toBe('csv');
    expect(detectFormat('team.YML', 'alice,b')).toBe('yaml');
    expect(detectFormat('team.txt', '- alice\n- bob\n')).toBe('yaml');
    expect(detectFormat('team.txt', 'alice,team-a\nbob,team-b\n')).toBe('csv');
    expect(detectFormat('team', 'users:\n- alice\n')).toBe('yaml');
  });
});

describe('parseRoster', () => {
  it('CSV with a header, any column order; a bad row in the middle is an error row, not a failure', () => {
    const text = 'namespace,username,context\nteam-a,alice,\n,,orphan\nteam-b,bob,bob@prod\n';
    const rows = parseRoster(text, 'team.csv');
    expect(rows).toEqual([
      { where: 'line 2', row: { username: 'alice', namespace: 'team-a' }, fileName: 'alice.kubeconfig' },
      { where: 'line 3', row: { username: '', context: 'orphan' }, error: 'username is empty' },
      { where: 'line 4', row: { username: 'bob', namespace: 'team-b', context: 'bob@prod' }, fileName: 'bob.kubeconfig' },
    ]);
  });

  it('CSV without a header: username, namespace, context, cluster, user', () => {
    expect(parseRoster('alice,team-a,ctx,clu,usr\n', 'x.csv')[0]?.row).toEqual({ username: 'alice', namespace: 'team-a', context: 'ctx', cluster: 'clu', user: 'usr' });
    expect(parseRoster('alice,a,b,c,d,e g,f\n', 'x.csv')[0]?.error).toMatch(/7 columns, expected at most 6/);
    // The sixth column is casdoor-app apply --users' groups (a YAML list is joined the same way).
    expect(parseRoster('alice,,,,,acme/dev;acme/ops\n', 'x.csv')[0]?.row.groups).toBe('acme/dev;acme/ops');
    expect(parseRoster('- {username: bob, groups: [acme/dev, acme/ops]}\n', 'x.yaml')[0]?.row.groups).toBe('acme/dev acme/ops');
  });

  it('an unknown CSV header column fails the file', () => {
    expect(() => parseRoster('username,namspace\nalice,x\n', 'x.csv')).toThrow(/unknown column "namspace"/);
  });

  it('YAML: a list of names, of maps, or under users:; every value a string', () => {
    expect(parseRoster('- alice\n- username: "0123"\n  namespace: team-a\n', 'x.yaml').map((r) => r.row)).toEqual([
      { username: 'alice' },
      { username: '0123', namespace: 'team-a' },
    ]);
    expect(parseRoster('users:\n- yes\n', 'x.yaml')[0]?.row.username).toBe('yes');
    expect(parseRoster('', 'x.yaml')).toEqual([]);
  });

  it('YAML row errors name the entry: unknown field, bad namespace, not a map', () => {
    const rows = parseRoster('users:\n- username: alice\n  namspace: x\n- username: bob\n  namespace: Team_B\n- [1, 2]\n- carol\n', 'x.yaml');
    expect(rows.map((r) => [r.where, r.error])).toEqual([
      ['users[0]', 'unknown field "namspace" (known: username, namespace, context, cluster, user, groups)'],
      ['users[1]', 'namespace "Team_B" is not a valid namespace name (lowercase letters, digits and \'-\', at most 63, starting and ending with a letter or digit)'],
      ['users[2]', 'not a username or a map with "username"'],
      ['users[3]', undefined],
    ]);
  });

  it('a namespace longer than 63 characters is a row error, as in setup and the wizard', () => {
    const rows = parseRoster(`username,namespace\nalice,${'a'.repeat(63)}\nbob,${'b'.repeat(64)}\n`, 'team.csv');
    expect(rows[0]?.error).toBeUndefined();
    expect(rows[1]?.error).toMatch(/at most 63/);
  });

  it('a YAML file that is not a list fails the file', () => {
    expect(() => parseRoster('alice: 1\n', 'x.yaml')).toThrow(/expected a list of teammates/);
    expect(() => parseRoster('- [\n', 'x.yaml')).toThrow(/not valid YAML/);
  });

  it('duplicates and colliding file names are row errors', () => {
    const rows = parseRoster('- alice\n- alice\n- a/b\n- a_b\n- Alice\n- bad name\n', 'x.yaml');
    expect(rows.map((r) => r.error)).toEqual([
      undefined,
      'username "alice" is listed twice (first at item 1)',
      undefined,
      'its file name a_b.kubeconfig collides with the one for item 3',
      'its file name Alice.kubeconfig collides with the one for item 1',
      'username "bad name" contains spaces or control characters',
    ]);
  });
});

describe('sanitizeFileName', () => {
  it('keeps safe characters, replaces the rest, never hidden or traversing', () => {
    expect(sanitizeFileName('alice')).toBe('alice.kubeconfig');
    expect(sanitizeFileName('jane.doe@example.com')).toBe('jane.doe@example.com.kubeconfig');
    expect(sanitizeFileName('../etc/passwd')).toBe('___etc_passwd.kubeconfig');
    expect(sanitizeFileName('.hidden')).toBe('_hidden.kubeconfig');
    expect(sanitizeFileName('ünï')).toBe('_n_.kubeconfig');
    expect(sanitizeFileName('x'.repeat(300))).toHaveLength(100 + '.kubeconfig'.length);
  });
});

describe('parsePasswords', () => {
  it('YAML map, YAML list and CSV (with or without header); values stay strings', () => {
    expect([...parsePasswords('alice: 0123\nbob: "yes"\ncarol: yes\n', 'pw.yaml')]).toEqual([['alice', '0123'], ['bob', 'yes'], ['carol', 'yes']]);
    expect([...parsePasswords('- {username: alice, password: p1}\n', 'pw.yaml')]).toEqual([['alice', 'p1']]);
    expect([...parsePasswords('username,password\nalice,"p,1"\n', 'pw.csv')]).toEqual([['alice', 'p,1']]);
    expect([...parsePasswords('alice,p1\n', 'pw.csv')]).toEqual([['alice', 'p1']]);
  });

  it('refuses malformed files without quoting their content', () => {
    expect(() => parsePasswords('alice,p1,extra\n', 'pw.csv')).toThrow(/line 1 is not "username,password"/);
    let message = '';
    try {
      parsePasswords('alice: [secret-value\n', 'pw.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/not valid YAML/);
    expect(message).not.toContain('secret-value');
  });
});
