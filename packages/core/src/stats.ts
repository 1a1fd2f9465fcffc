/** Counters for one cached function or route, as returned by `larder.stats()`. */
export interface CacheStats {
  /** `data`, `resource` or `http`. */
  kind: 'data' | 'resource' | 'http';
  hits: number;
  misses: number;
  /** Stale entries served (staleWhileRevalidate / staleIfError). */
  stale: number;
  /** Store failures, corrupt entries and errors thrown by the function or handler. */
  errors: number;
  /** Requests that neither read nor wrote the cache (HTTP only). */
  bypasses: number;
  /** Entries this process knows to be stored. */
  entries: number;
  /** Bytes of those entries as stored. */
  bytes: number;
  /** Total time spent running the function or handler on misses, in milliseconds. */
  computeMs: number;
}

export class StatsBook {
  readonly #rows = new Map<string, CacheStats>();

  row(name: string, kind: CacheStats['kind']): CacheStats {
    let row = this.#rows.get(name);
    if (!row) {
      row = { kind, hits: 0, misses: 0, stale: 0, errors: 0, bypasses: 0, entries: 0, bytes: 0, computeMs: 0 };
      this.#rows.set(name, row);
    }
    return row;
  }

  snapshot(): Record<string, CacheStats> {
    const out: Record<string, CacheStats> = {};
    for (const [name, row] of this.#rows) out[name] = { ...row };
    return out;
  }
}
