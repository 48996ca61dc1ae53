/**
 * Issue 10, point 14 (the smaller ones), pure parts: rbac binding names never collide, a username
 * starting with '-' survives the exec args, huge group lists are summarised for people.
 */
import { describe, expect, it } from '@jest/globals';
import { summarizeList } from '../../src/list-summary.js';
import { tokenArgs } from '../../src/usecases/entries.js';
import { buildRbacBinding, type RbacInput } from '../../src/usecases/rbac.js';
import { tokenArgsOf } from '../../src/usecases/refresh.js';

const input = (over: Partial<RbacInput>): RbacInput => ({ users: [], groups: [], roleRef: { kind: 'ClusterRole', name: 'view' }, usernameClaim: 'name', usernamePrefix: '-', ...over });
const nameOf = (over: Partial<RbacInput>): string => buildRbacBinding(input(over)).object.metadata.name;

describe('14. rbac default binding names', () => {
  it.each([
    [{ users: ['Alice'] }, { users: ['alice'] }],
    [{ users: ['a_b'] }, { users: ['a-b'] }],
    [{ groups: ['org/team'] }, { groups: ['org-team'] }],
    [{ users: ['alice', 'bob'] }, { users: ['alice', 'carol'] }],
    [{ users: ['alice'], groups: ['ops'] }, { users: ['alice'], groups: ['dev'] }],
    [{ users: ['x'.repeat(80) + 'a'] }, { users: ['x'.repeat(80) + 'b'] }],
  ])('%j and %j get different names', (a, b) => {
    const na = nameOf(a);
    const nb = nameOf(b);
    expect(na).not.toBe(nb);
    for (const n of [na, nb]) expect(n).toMatch(/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/);
  });

  it('a name that loses nothing stays readable', () => {
    expect(nameOf({ users: ['alice'] })).toBe('casdoor-alice-view');
  });
});

describe("14. usernames starting with '-'", () => {
  it.each(['-bob', '--grant', '-', '--username'])('%s is written as --username=… and parsed back as the username', (username) => {
    const args = tokenArgs({ issuer: 'https://door.example.com', clientId: 'cid', username });
    expect(args).toContain(`--username=${username}`);
    expect(tokenArgsOf(args)?.username).toBe(username);
    expect(tokenArgsOf(args)?.grant).toBeUndefined();
  });

  it('an ordinary username keeps the two-argument form', () => {
    expect(tokenArgs({ issuer: 'https://door.example.com', clientId: 'cid', username: 'bob' }).slice(-2)).toEqual(['--username', 'bob']);
  });
});

describe('14. huge group lists', () => {
  it('are summarised after ten, naming the total', () => {
    const groups = Array.from({ length: 300 }, (_, i) => `org/group-${i}`);
    const text = summarizeList(groups);
    expect(text).toBe(`${groups.slice(0, 10).join(', ')} and 290 more (300 groups; --json lists them all)`);
    expect(summarizeList(groups.slice(0, 3))).toBe('org/group-0, org/group-1, org/group-2');
  });
});
