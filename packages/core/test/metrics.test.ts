import parsePrometheus from 'parse-prometheus-text-format';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { cacheData, createLarder, larderMetrics } from '../src/index.js';
import { METRIC_FAMILIES, prometheusText } from '../src/inspector/metrics.js';
import type { CacheStats } from '../src/stats.js';
import { maybePromtool } from '../../../test/support/promtool.js';

const row = (kind: CacheStats['kind'], n: number): CacheStats => ({
  kind, hits: n, misses: n + 1, stale: n + 2, errors: n + 3, bypasses: n + 4, entries: n + 5, bytes: n + 6, computeMs: 1500,
});

/** Names a user can give a function or route, including every character the format escapes. */
const AWKWARD = ['GET /users/:id', 'say "hi"', 'C:\\cache\\dir', 'two\nlines', 'ünïcødé → ok', ''];

const promtool = maybePromtool();

describe('larder metrics in the Prometheus text format', () => {
  it('exposes one counter or gauge family per figure, each with HELP and TYPE, counters ending in _total', () => {
    const families = parsePrometheus(prometheusText({ 'GET /a': row('http', 1) }));
    expect(families.map((f) => [f.name, f.type])).toEqual([
      ['larder_hits_total', 'COUNTER'],
      ['larder_misses_total', 'COUNTER'],
      ['larder_stale_total', 'COUNTER'],
      ['larder_bypasses_total', 'COUNTER'],
      ['larder_errors_total', 'COUNTER'],
      ['larder_entries', 'GAUGE'],
      ['larder_bytes', 'GAUGE'],
      ['larder_compute_seconds_total', 'COUNTER'],
    ]);
    for (const family of families) expect(family.help).not.toBe('');
  });

  it('round-trips every cache name through label escaping', () => {
    const stats = Object.fromEntries(AWKWARD.map((name, i) => [name, row(i % 2 ? 'data' : 'http', i)]));
    const hits = parsePrometheus(prometheusText(stats)).find((f) => f.name === 'larder_hits_total')!;
    expect(hits.metrics.map((m) => m.labels?.cache)).toEqual(AWKWARD);
    expect(hits.metrics.map((m) => Number(m.value))).toEqual(AWKWARD.map((_, i) => i));
  });

  it('gives compute time in seconds', () => {
    const compute = parsePrometheus(prometheusText({ f: row('data', 0) })).find((f) => f.name === 'larder_compute_seconds_total')!;
    expect(compute.metrics[0]!.value).toBe('1.5');
  });

  it('is a valid exposition even before anything ran', () => {
    const text = larderMetrics(createLarder());
    expect(parsePrometheus(text).every((f) => f.metrics.length === 0)).toBe(true);
  });

  it.skipIf(!promtool)("passes promtool's parser and linter, with awkward names and without any", () => {
    const stats = Object.fromEntries(AWKWARD.map((name, i) => [name, row('http', i)]));
    for (const text of [prometheusText(stats), prometheusText({})]) expect(promtool!(text)).toEqual({ status: 0, output: '' });
  });

  it.skipIf(!promtool)('positive control: promtool rejects a label value with an unescaped quote', () => {
    const broken = prometheusText({ x: row('http', 1) }).replace('cache="x"', 'cache="x"y"');
    expect(promtool!(broken).status).not.toBe(0);
  });

  it("joins a prom-client registry's output into one valid exposition", async () => {
    const registry = new Registry();
    new Counter({ name: 'app_requests_total', help: 'Requests.', registers: [registry] }).inc(3);
    const larder = createLarder();
    const double = cacheData(async function double(n: number) { return n * 2; }, { larder });
    await double(2);
    await double(2);
    const text = (await registry.metrics()) + larderMetrics(larder);
    const families = parsePrometheus(text);
    expect(families.find((f) => f.name === 'app_requests_total')!.metrics[0]!.value).toBe('3');
    expect(families.find((f) => f.name === 'larder_hits_total')!.metrics).toEqual([{ value: '1', labels: { cache: 'double', kind: 'data' } }]);
    if (promtool) expect(promtool(text).status).toBe(0);
    await larder.close();
  });

  it('lists its families once (the README documents these names)', () => {
    expect(new Set(METRIC_FAMILIES.map((f) => f.name)).size).toBe(METRIC_FAMILIES.length);
  });
});
