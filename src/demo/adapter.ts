/**
 * An in-memory storage adapter for oidc-provider, passed explicitly so the provider neither falls back
 * to its development adapter nor prints the warning that comes with it.
 */
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds; undefined = no expiry. */
  expiresAt: number | undefined;
}

export interface MemoryStore {
  adapter: AdapterFactory;
  /** Drops everything (tokens, sessions, grants). */
  clear(): void;
}

/**
 * @param deleteOnConsume models whose entries disappear when consumed instead of being marked.
 *   Casdoor deletes a refresh token the moment it is rotated, so presenting it again is simply
 *   "invalid or revoked"; oidc-provider would otherwise treat the reuse as theft and revoke the whole
 *   grant, killing the new refresh token too, which Casdoor does not do.
 */
export function createMemoryStore(deleteOnConsume: ReadonlySet<string> = new Set()): MemoryStore {
  const entries = new Map<string, Entry>();
  const byUserCode = new Map<string, string>();
  const byUid = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();

  const live = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  class MemoryAdapter implements Adapter {
    readonly #name: string;

    constructor(name: string) {
      this.#name = name;
    }

    #key(id: string): string {
      return `${this.#name}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const key = this.#key(id);
      entries.set(key, { payload: { ...payload }, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      if (typeof payload.grantId === 'string') {
        const set = byGrant.get(payload.grantId) ?? new Set<string>();
        set.add(key);
        byGrant.set(payload.grantId, set);
      }
      if (typeof payload.userCode === 'string') byUserCode.set(payload.userCode, id);
      if (typeof payload.uid === 'string') byUid.set(payload.uid, id);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const payload = live(this.#key(id));
      return payload === undefined ? undefined : { ...payload };
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = byUserCode.get(userCode);
      return id === undefined ? undefined : this.find(id);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = byUid.get(uid);
      return id === undefined ? undefined : this.find(id);
    }

    async consume(id: string): Promise<void> {
      const key = this.#key(id);
      if (deleteOnConsume.has(this.#name)) {
        entries.delete(key);
        return;
      }
      const entry = entries.get(key);
      if (entry !== undefined) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      entries.delete(this.#key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of byGrant.get(grantId) ?? []) entries.delete(key);
      byGrant.delete(grantId);
    }
  }

  return {
    adapter: MemoryAdapter,
    clear: () => {
      entries.clear();
      byUserCode.clear();
      byUid.clear();
      byGrant.clear();
    },
  };
}
