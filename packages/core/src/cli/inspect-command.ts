import type { EntryHeader } from '../store/entry.js';
import { bytesText } from '../inspector/units.js';
import { failure } from './errors.js';
import { shortDuration, table } from './format.js';
import type { Output } from './output.js';
import { matches, SpaceNames } from './space-names.js';
import type { StoredEntry, StoreReader } from './store-reader.js';

/** One entry as `larder inspect --json` lists it. */
export interface InspectedEntry {
  /** The store key, without the namespace prefix. */
  key: string;
  space: string;
  kind: 'data' | 'http';
  bytes: number;
  /** When it was written (ms since the epoch); null when the header is unreadable. */
  storedAt: number | null;
  ageMs: number | null;
  /** Fresh until then (null: forever, or unreadable). */
  freshUntil: number | null;
  /** When the store drops it (null: never). */
  expiresAt: number | null;
  /** Tags stamped with a version (tags never invalidated are not written). */
  tags: string[];
  /** HTTP entries: the stored status. */
  status?: number;
}

/**
 * `larder inspect [--space NAME] [--limit N]`: the first N entries (of one space), with their
 * keys, ages, sizes and expiries. Stops listing as soon as it has N; reads headers only.
 */
export async function inspectCommand(reader: StoreReader, options: { space?: string; limit: number }, out: Output): Promise<void> {
  const names = new SpaceNames();
  const found: InspectedEntry[] = [];
  let more = false;
  const now = Date.now();
  let matchedSpace = options.space === undefined;
  for await (const batch of reader.entries()) {
    await names.learn(reader, batch);
    const wanted = batch.filter((entry) => options.space === undefined || matches(options.space, entry.spaceId, names.of(entry.spaceId)));
    if (wanted.length === 0) continue;
    matchedSpace = true;
    // Full: one more entry is enough to say that there are more.
    if (found.length === options.limit) {
      more = true;
      break;
    }
    const taken = wanted.slice(0, options.limit - found.length);
    const headers = await reader.headers(taken);
    taken.forEach((entry, i) => found.push(describe(entry, headers[i], names, now)));
    if (taken.length < wanted.length) {
      more = true;
      break;
    }
  }
  if (!matchedSpace) throw failure(`no entries of a space named ${JSON.stringify(options.space)} in ${reader.location} (see \`larder stats\`)`);
  if (out.json) return out.data({ store: reader.location, namespace: reader.namespace, entries: found, truncated: more });
  if (found.length === 0) return out.text(`${reader.location} (namespace ${reader.namespace}): no entries\n`);
  out.text(
    table(
      [{ heading: 'SPACE' }, { heading: 'KEY' }, { heading: 'AGE', align: 'right' }, { heading: 'SIZE', align: 'right' }, { heading: 'FRESH FOR', align: 'right' }, { heading: 'EXPIRES IN', align: 'right' }, { heading: 'STATUS', align: 'right' }],
      found.map((e) => [
        e.space,
        shortKey(e.key),
        e.ageMs === null ? '?' : shortDuration(e.ageMs),
        bytesText(e.bytes),
        e.storedAt === null ? '?' : e.freshUntil === null ? 'forever' : e.freshUntil > now ? shortDuration(e.freshUntil - now) : 'stale',
        e.expiresAt === null ? 'never' : shortDuration(e.expiresAt - now),
        e.status === undefined ? '' : String(e.status),
      ]),
    ),
  );
  if (more) out.text(`(first ${found.length} shown; --limit N for more)\n`);
}

function describe(entry: StoredEntry, header: EntryHeader | undefined, names: SpaceNames, now: number): InspectedEntry {
  const { name, kind } = names.of(entry.spaceId, header);
  const status = (header?.meta as { status?: unknown } | undefined)?.status;
  return {
    key: entry.key,
    space: name,
    kind,
    bytes: entry.bytes,
    storedAt: header?.storedAt ?? null,
    ageMs: header ? Math.max(0, now - header.storedAt) : null,
    freshUntil: header?.freshUntil ?? null,
    expiresAt: entry.expiresAt,
    tags: header ? Object.keys(header.tags ?? {}) : [],
    ...(typeof status === 'number' ? { status } : {}),
  };
}

/** `e:<space id>|<hash>` → `…|<first 12 of the hash>`: the space is in its own column. */
function shortKey(key: string): string {
  const bar = key.lastIndexOf('|');
  return `…${key.slice(bar, bar + 13)}`;
}
