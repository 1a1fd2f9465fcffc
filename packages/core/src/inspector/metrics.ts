import { defaultLarder } from '../default-larder.js';
import type { Larder } from '../larder.js';
import type { CacheStats } from '../stats.js';

/** The `Content-Type` of the Prometheus text exposition format, version 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  value(stats: CacheStats): number;
}

/** Every metric Larder exposes, one sample per cached function, resource or route (labels `cache`, `kind`). */
export const METRIC_FAMILIES: readonly Family[] = [
  { name: 'larder_hits_total', type: 'counter', help: 'Lookups answered with a fresh entry.', value: (s) => s.hits },
  { name: 'larder_misses_total', type: 'counter', help: 'Lookups that found nothing usable and ran the function or handler.', value: (s) => s.misses },
  { name: 'larder_stale_total', type: 'counter', help: 'Stale entries served (staleWhileRevalidate, staleIfError).', value: (s) => s.stale },
  { name: 'larder_bypasses_total', type: 'counter', help: 'Requests that neither read nor wrote the cache (Authorization, a body on GET, an unhashable value, ...).', value: (s) => s.bypasses },
  { name: 'larder_errors_total', type: 'counter', help: 'Store failures, corrupt entries and errors thrown by the function or handler.', value: (s) => s.errors },
  { name: 'larder_entries', type: 'gauge', help: 'Entries this process knows to be stored (resources: live instances).', value: (s) => s.entries },
  { name: 'larder_bytes', type: 'gauge', help: 'Bytes of those entries as stored.', value: (s) => s.bytes },
  { name: 'larder_compute_seconds_total', type: 'counter', help: 'Time spent running the function or handler on misses, in seconds.', value: (s) => s.computeMs / 1000 },
];

/**
 * A larder's counters in the Prometheus text exposition format (what `GET <mount>/metrics` of the
 * inspector serves). Append it to another registry's output to serve both from one endpoint: the
 * names all start with `larder_`, so they never collide.
 * @example
 * app.get('/metrics', async (req, res) => {
 *   res.type(PROMETHEUS_CONTENT_TYPE).send((await register.metrics()) + larderMetrics(larder));
 * });
 */
export function larderMetrics(larder: Larder = defaultLarder()): string {
  return prometheusText(larder.stats());
}

/** The exposition text of a `larder.stats()` snapshot. */
export function prometheusText(stats: Record<string, CacheStats>): string {
  const rows = Object.entries(stats);
  let out = '';
  for (const family of METRIC_FAMILIES) {
    out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const [cache, row] of rows) {
      out += `${family.name}{cache="${escapeLabel(cache)}",kind="${escapeLabel(row.kind)}"} ${formatValue(family.value(row))}\n`;
    }
  }
  return out;
}

/** Label values escape backslash, double quote and line feed (the format's only escapes). */
export function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
