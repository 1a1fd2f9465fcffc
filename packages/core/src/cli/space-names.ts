import type { EntryHeader } from '../store/entry.js';
import type { StoredEntry, StoreReader } from './store-reader.js';

/** A function or route as users know it. */
export interface SpaceIdentity {
  /** `GET /users/:id`, `loadReport`. */
  name: string;
  kind: 'data' | 'http';
}

/**
 * The name and kind of each space id met while listing a store, from the header of one of its
 * entries (entries carry their space's name), or, for entries written before they did, from the id
 * itself (`http:GET:/users/:id#<code hash>`, `<name>:<code hash>`). One header per space is read.
 */
export class SpaceNames {
  readonly #known = new Map<string, SpaceIdentity>();

  /** Learns the spaces of these entries that are not known yet. */
  async learn(reader: StoreReader, entries: readonly StoredEntry[]): Promise<void> {
    const firsts = new Map<string, StoredEntry>();
    for (const entry of entries) if (!this.#known.has(entry.spaceId) && !firsts.has(entry.spaceId)) firsts.set(entry.spaceId, entry);
    if (firsts.size === 0) return;
    const headers = await reader.headers([...firsts.values()]);
    [...firsts.keys()].forEach((id, i) => this.#known.set(id, identityOf(id, headers[i])));
  }

  /** A space learned before (or one from a header already read). */
  of(spaceId: string, header?: EntryHeader): SpaceIdentity {
    let identity = this.#known.get(spaceId);
    if (!identity) this.#known.set(spaceId, (identity = identityOf(spaceId, header)));
    return identity;
  }
}

/** Whether `query` names this space: its name as users know it, or its exact id. */
export function matches(query: string, spaceId: string, identity: SpaceIdentity): boolean {
  return identity.name === query || spaceId === query;
}

function identityOf(spaceId: string, header: EntryHeader | undefined): SpaceIdentity {
  const kind = header?.kind ?? (spaceId.startsWith('http:') ? 'http' : 'data');
  if (typeof header?.name === 'string' && header.name !== '') return { name: header.name, kind };
  const route = /^http:([A-Z]+):(.*)#[0-9a-f]+$/.exec(spaceId);
  if (route) return { name: `${route[1]} ${route[2]}`, kind: 'http' };
  const fn = /^(.*):[0-9a-f]{16}$/.exec(spaceId);
  return { name: fn ? fn[1]! : spaceId, kind };
}
