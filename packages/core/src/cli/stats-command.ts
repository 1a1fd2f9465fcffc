import { bytesText, count } from '../inspector/units.js';
import { table } from './format.js';
import type { Output } from './output.js';
import { SpaceNames } from './space-names.js';
import type { StoreReader } from './store-reader.js';

/** One function or route as stored: all its code versions together. */
export interface StoredSpace {
  name: string;
  kind: 'data' | 'http';
  entries: number;
  bytes: number;
  /** The space ids (one per version of the code) that hold its entries. */
  versions: string[];
}

/**
 * `larder stats`: entries and bytes per function and route, as stored. One pass over the keys
 * (sizes and expiries only) plus one header per space for its name.
 */
export async function statsCommand(reader: StoreReader, out: Output): Promise<void> {
  const names = new SpaceNames();
  const spaces = new Map<string, StoredSpace>();
  for await (const batch of reader.entries()) {
    await names.learn(reader, batch);
    for (const entry of batch) {
      const { name, kind } = names.of(entry.spaceId);
      const id = `${kind} ${name}`;
      let space = spaces.get(id);
      if (!space) spaces.set(id, (space = { name, kind, entries: 0, bytes: 0, versions: [] }));
      space.entries++;
      space.bytes += entry.bytes;
      if (!space.versions.includes(entry.spaceId)) space.versions.push(entry.spaceId);
    }
  }
  const list = [...spaces.values()].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  const totals = { spaces: list.length, entries: sum(list, 'entries'), bytes: sum(list, 'bytes') };
  if (out.json) return out.data({ store: reader.location, namespace: reader.namespace, totals, spaces: list });
  out.text(`${reader.location} (namespace ${reader.namespace}): ${count(totals.entries)} entries, ${bytesText(totals.bytes)} in ${count(totals.spaces)} spaces\n`);
  if (list.length === 0) return;
  out.text(
    '\n' +
      table(
        [{ heading: 'KIND' }, { heading: 'SPACE' }, { heading: 'ENTRIES', align: 'right' }, { heading: 'BYTES', align: 'right' }, { heading: 'VERSIONS', align: 'right' }],
        list.map((s) => [s.kind, s.name, count(s.entries), bytesText(s.bytes), String(s.versions.length)]),
      ),
  );
  if (list.some((s) => s.versions.length > 1)) {
    out.text('\nVERSIONS counts the identities stored under one name: each version of the code (a hash of the source is part of each key), and each module defining a function of that name. Entries of earlier code are never read again and go when they expire, or with `larder clear --space NAME`.\n');
  }
}

function sum(list: readonly StoredSpace[], field: 'entries' | 'bytes'): number {
  return list.reduce((total, space) => total + space[field], 0);
}
