import type { Larder } from '../larder.js';
import type { CacheStats } from '../stats.js';
import { reasonInWords } from './reasons.js';

/** How often one reason came up among a cache's recent misses, bypasses and errors. */
export interface ReasonCount {
  event: 'miss' | 'bypass' | 'error';
  reason: string;
  count: number;
  /** When it last happened (ms since the epoch). */
  lastAt: number;
  /** The reason in words (docs/troubleshooting.md). */
  words: string;
}

/** One cached function, resource or route, as `stats.json` reports it. */
export interface SpaceReport extends CacheStats {
  /** Its name in `larder.stats()`: `GET /users/:id`, `loadData`. */
  cache: string;
  /** (hits + stale) / (hits + stale + misses); null before the first lookup. */
  hitRate: number | null;
  /** Recent reasons grouped by code, most recent first. */
  recentReasons: ReasonCount[];
}

/** What `GET <mount>/stats.json` answers and the page shows. */
export interface InspectorSnapshot {
  /** When it was taken (ISO 8601). */
  generatedAt: string;
  /** The store backend: `memory`, `sqlite`, `redis` or `keyv`. */
  store: string;
  spaces: SpaceReport[];
}

const KIND_ORDER = { http: 0, data: 1, resource: 2 } as const;

/** The larder's counters with hit rates and grouped recent reasons, routes first, then by name. */
export function takeSnapshot(larder: Larder): InspectorSnapshot {
  const spaces = Object.entries(larder.stats()).map(([cache, stats]): SpaceReport => {
    const lookups = stats.hits + stats.stale + stats.misses;
    return { cache, ...stats, hitRate: lookups === 0 ? null : (stats.hits + stats.stale) / lookups, recentReasons: grouped(larder, cache) };
  });
  spaces.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.cache.localeCompare(b.cache));
  return { generatedAt: new Date(larder.clock.now()).toISOString(), store: larder.storeKind, spaces };
}

function grouped(larder: Larder, cache: string): ReasonCount[] {
  const counts = new Map<string, ReasonCount>();
  for (const { event, reason, at } of larder.recentReasons(cache)) {
    const id = `${event} ${reason}`;
    const seen = counts.get(id);
    if (seen) seen.count++;
    else counts.set(id, { event, reason, count: 1, lastAt: at, words: reasonInWords(reason) });
  }
  return [...counts.values()];
}
