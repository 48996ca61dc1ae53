/**
 * What a re-pointing refusal says changed (kubeconfig/replace.ts repointConflicts): for our own entries
 * the issuer, client id or Casdoor user; for any other user entry (a static token, a client certificate,
 * another plugin) the name of the field that differs.
 */
import { describe, expect, it } from '@jest/globals';
import { repointConflicts } from '../../src/kubeconfig/replace.js';

const contexts = [
  { name: 'ours', context: { cluster: 'c', user: 'u' } },
  { name: 'other', context: { cluster: 'c', user: 'u' } },
];
const changeOf = (old: Record<string, unknown>, fresh: Record<string, unknown>): string | undefined =>
  repointConflicts({ user: { name: 'u', user: fresh }, context: { name: 'ours' } }, (kind) => (kind === 'user' ? { name: 'u', user: old } : undefined), contexts)[0]?.change;

describe('repointConflicts: the change named in the message', () => {
  it('a user entry of another kind: the field that differs, by its kubeconfig name', () => {
    expect(changeOf({ token: 'a' }, { token: 'b' })).toBe('another token');
    expect(changeOf({ 'client-certificate': '/a.crt', 'client-key': '/a.key' }, { 'client-certificate': '/a.crt', 'client-key': '/b.key' })).toBe('another client-key');
    expect(changeOf({ tokenFile: '/t' }, { tokenFile: '/t2' })).toBe('another tokenFile');
    expect(changeOf({ exec: { command: 'a', args: ['x'] } }, { exec: { command: 'a', args: ['y'] } })).toBe('another exec');
  });

  it('an oidc entry: issuer and client id by name; another kind of credential as such', () => {
    const oidc = (issuer: string, clientId: string) => ({ 'auth-provider': { name: 'oidc', config: { 'idp-issuer-url': issuer, 'client-id': clientId } } });
    expect(changeOf(oidc('https://a', 'x'), oidc('https://b', 'x'))).toBe('another issuer');
    expect(changeOf(oidc('https://a', 'x'), oidc('https://a', 'y'))).toBe('another client id');
    expect(changeOf({ token: 'a' }, oidc('https://a', 'x'))).toBe('another kind of credential');
    expect(changeOf(oidc('https://a', 'x'), oidc('https://a', 'x'))).toBeUndefined();
  });
});
