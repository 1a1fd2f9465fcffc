import { describe, expect, it } from 'vitest';
import type { Entry } from '../src/store/entry.js';
import { describeFreshness, type HttpFreshness } from '../src/http/freshness.js';
import { judgeHttp, judgeRoute } from '../src/http/verdict.js';

const T0 = Date.UTC(2030, 0, 1);
const date = (offsetSeconds = 0) => new Date(T0 + offsetSeconds * 1000).toUTCString();
const none = { ttlMs: 0, swrMs: 0, sieMs: 0 };

/** describeFreshness for a response received at T0 (sent at T0 − `delayMs`). */
function freshness(headers: Record<string, string | string[]>, status = 200, defaults = none, delayMs = 0): HttpFreshness {
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return describeFreshness(status, (name) => lower[name], { requestTime: T0 - delayMs, responseTime: T0 }, defaults);
}

describe('describeFreshness (RFC 9111 §4.2)', () => {
  it('takes the lifetime from CDN-Cache-Control, then s-maxage, then max-age, then Expires − Date', () => {
    expect(freshness({ 'CDN-Cache-Control': 'max-age=5', 'Cache-Control': 's-maxage=50, max-age=500' }).lifetimeMs).toBe(5_000);
    expect(freshness({ 'Cache-Control': 'max-age=500, s-maxage=50' }).lifetimeMs).toBe(50_000);
    expect(freshness({ 'Cache-Control': 'max-age=500', Expires: date(60), Date: date() }).lifetimeMs).toBe(500_000);
    expect(freshness({ Expires: date(60), Date: date(-10) }).lifetimeMs).toBe(70_000);
  });

  it('treats an invalid max-age or Expires as already stale, never as absent', () => {
    expect(freshness({ 'Cache-Control': 'max-age=-1', 'Last-Modified': date(-3600) }).lifetimeMs).toBe(0);
    expect(freshness({ Expires: '0', 'Last-Modified': date(-3600) }).lifetimeMs).toBe(0);
  });

  it('ignores Cache-Control and Expires when CDN-Cache-Control applies', () => {
    const targeted = freshness({ 'CDN-Cache-Control': 'max-age=60', 'Cache-Control': 'no-cache, must-revalidate', Expires: '0' });
    expect([targeted.lifetimeMs, targeted.noCache, targeted.noStale]).toEqual([60_000, false, false]);
  });

  it('gives heuristic freshness from Last-Modified, only to heuristically cacheable statuses or public responses', () => {
    const headers = { Date: date(), 'Last-Modified': date(-1000) };
    expect(freshness(headers).lifetimeMs).toBe(100_000);
    expect(freshness(headers, 201).lifetimeMs).toBe(0);
    expect(freshness({ ...headers, 'Cache-Control': 'public' }, 599).lifetimeMs).toBe(100_000);
    expect(freshness({ Date: date() }).lifetimeMs).toBe(0);
  });

  it('uses ttl for a response that states no lifetime, before the heuristic', () => {
    const defaults = { ...none, ttlMs: 30_000 };
    expect(freshness({ 'Last-Modified': date(-1000) }, 200, defaults).lifetimeMs).toBe(30_000);
    expect(freshness({ 'Cache-Control': 'max-age=5' }, 200, defaults).lifetimeMs).toBe(5_000);
    expect(freshness({}, 500, defaults).lifetimeMs).toBe(0);
  });

  it('computes the corrected initial age: the larger of the apparent age and the Age plus the request time', () => {
    expect(freshness({ Date: date(-30) }).initialAgeMs).toBe(30_000);
    expect(freshness({ Date: date(), Age: '100' }, 200, none, 2_000).initialAgeMs).toBe(102_000);
    expect(freshness({ Date: date(-500), Age: '100' }).initialAgeMs).toBe(500_000);
  });

  it.each([
    ['non-numeric', 'abc', 0], ['negative', '-7200', 0], ['a float', '7200.0', 0],
    ['the first of a list', '7200, 0', 7_200_000], ['the first line', ['0', '7200'], 0], ['beyond 2^31', '99999999999', 2 ** 31 * 1000],
  ])('reads an Age that is %s', (_label, age, expected) => {
    expect(freshness({ Date: date(), Age: age }).initialAgeMs).toBe(expected);
  });

  it('forbids stale use for must-revalidate, proxy-revalidate and s-maxage, and takes RFC 5861 windows otherwise', () => {
    for (const cc of ['max-age=1, must-revalidate', 'max-age=1, proxy-revalidate', 's-maxage=1']) {
      expect(freshness({ 'Cache-Control': `${cc}, stale-while-revalidate=60` })).toMatchObject({ noStale: true, swrMs: 0, sieMs: 0 });
    }
    expect(freshness({ 'Cache-Control': 'max-age=1, stale-while-revalidate=60, stale-if-error=120' })).toMatchObject({ noStale: false, swrMs: 60_000, sieMs: 120_000 });
    expect(freshness({ 'Cache-Control': 'max-age=1' }, 200, { ttlMs: 0, swrMs: 5_000, sieMs: 7_000 })).toMatchObject({ swrMs: 5_000, sieMs: 7_000 });
  });

  it('notes validators and no-cache', () => {
    expect(freshness({ ETag: '"a"', 'Cache-Control': 'no-cache' })).toMatchObject({ validators: true, noCache: true });
    expect(freshness({ 'Last-Modified': date(-1) }).validators).toBe(true);
    expect(freshness({}).validators).toBe(false);
  });
});

describe('judgeHttp (RFC 9111 §4, RFC 5861)', () => {
  function entry(f: Partial<HttpFreshness>): Entry {
    const http: HttpFreshness = { initialAgeMs: 0, lifetimeMs: 60_000, noCache: false, noStale: false, swrMs: 0, sieMs: 0, validators: false, ...f };
    return { header: { kind: 'http', storedAt: T0, freshUntil: null, staleUntil: null, tags: {}, meta: { status: 200, headers: [], http } }, payload: Buffer.alloc(0) };
  }
  const read = (e: Entry) => ({ state: 'fresh' as const, entry: e, ageMs: 0, tagVersions: {} });
  const judge = (f: Partial<HttpFreshness>, atSeconds: number, headers: Record<string, string> = {}) => judgeHttp(read(entry(f)), headers, T0 + atSeconds * 1000, false);

  it('answers from a fresh entry with its current age (initial age plus time in the store)', () => {
    expect(judge({ initialAgeMs: 10_000 }, 20)).toMatchObject({ kind: 'hit', ageMs: 30_000 });
    expect(judge({ initialAgeMs: 10_000 }, 50)).toMatchObject({ kind: 'lead', reason: 'expired' });
  });

  it('revalidates a no-cache entry on every use, and an entry with a validator when it is stale', () => {
    expect(judge({ noCache: true, validators: true }, 0)).toMatchObject({ kind: 'lead', reason: 'no-cache', revalidate: expect.anything() });
    expect(judge({ validators: true }, 61)).toMatchObject({ kind: 'lead', revalidate: expect.anything() });
    expect(judge({}, 61)).toMatchObject({ kind: 'lead', revalidate: undefined });
  });

  it('serves stale within stale-while-revalidate (refreshing) and keeps a fallback within stale-if-error', () => {
    expect(judge({ swrMs: 30_000 }, 70)).toMatchObject({ kind: 'stale', refresh: true, reason: 'stale-while-revalidate' });
    const lead = judge({ sieMs: 30_000 }, 70);
    expect(lead).toMatchObject({ kind: 'lead', fallback: expect.anything(), fallbackUntil: T0 + 90_000 });
    expect(judge({ sieMs: 30_000, noStale: true }, 70)).toMatchObject({ kind: 'lead', fallback: undefined });
  });

  it.each([
    ['no-cache', { 'cache-control': 'no-cache' }, 10, 'lead'],
    ['Pragma: no-cache without Cache-Control', { pragma: 'no-cache' }, 10, 'lead'],
    ['Pragma: no-cache beside Cache-Control', { pragma: 'no-cache', 'cache-control': 'max-stale' }, 10, 'hit'],
    ['max-age below the age', { 'cache-control': 'max-age=5' }, 10, 'lead'],
    ['max-age above the age', { 'cache-control': 'max-age=50' }, 10, 'hit'],
    ['max-age=0', { 'cache-control': 'max-age=0' }, 0, 'lead'],
    ['min-fresh beyond the lifetime left', { 'cache-control': 'min-fresh=55' }, 10, 'lead'],
    ['max-stale on a stale entry', { 'cache-control': 'max-stale=20' }, 70, 'stale'],
    ['max-stale too short', { 'cache-control': 'max-stale=5' }, 70, 'lead'],
    ['max-stale without a value', { 'cache-control': 'max-stale' }, 7000, 'stale'],
    ['only-if-cached with nothing fresh', { 'cache-control': 'only-if-cached' }, 70, 'unsatisfiable'],
  ])('honours the request: %s', (_label, headers, at, kind) => {
    expect(judge({}, at, headers).kind).toBe(kind);
  });

  it('never serves a must-revalidate entry stale, not even for max-stale', () => {
    expect(judge({ noStale: true }, 70, { 'cache-control': 'max-stale' }).kind).toBe('lead');
  });
});

describe('judgeRoute', () => {
  it("judges by the entry's ttl window, with staleWhileRevalidate and staleIfError after it", () => {
    const e: Entry = { header: { kind: 'http', storedAt: T0, freshUntil: T0 + 60_000, staleUntil: T0 + 120_000, tags: {}, meta: {} }, payload: Buffer.alloc(0) };
    expect(judgeRoute({ state: 'fresh', entry: e, ageMs: 5, tagVersions: {} }, 0, 0, T0, false)).toMatchObject({ kind: 'hit', ageMs: 5 });
    expect(judgeRoute({ state: 'stale', entry: e, ageMs: 70_000, tagVersions: {} }, 30_000, 0, T0 + 70_000, false)).toMatchObject({ kind: 'stale', refresh: true });
    expect(judgeRoute({ state: 'stale', entry: e, ageMs: 70_000, tagVersions: {} }, 0, 30_000, T0 + 70_000, false)).toMatchObject({ kind: 'lead', fallbackUntil: T0 + 90_000 });
  });
});
