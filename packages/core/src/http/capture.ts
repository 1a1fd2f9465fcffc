import type { ServerResponse } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import etag from 'etag';
import type { Entry } from '../store/entry.js';
import type { LarderReason } from '../events.js';
import type { CacheSpace, Larder } from '../larder.js';
import { InputGuard, type InputKind } from './guard.js';
import { varyKey, type RequestFacts } from './key.js';
import type { RouteConfig } from './options.js';
import { mergeVary, responseNotStorable, storableHeaders, varyNames } from './policy.js';
import { planReplay, type ReplayPlan, type StoredResponse } from './replay.js';
import { mergeNotModified, notModifiedMatches, revalidationHeaders } from './revalidate.js';
import { sharedCacheRefusal, sharedCacheStored } from './shared-cache.js';
import { canonicalSearch } from './target.js';

export type HeaderPairs = ReadonlyArray<readonly [string, string | string[]]>;

/** The headers set on a response so far, with the names in the case they were set. */
export function responseHeaders(res: ServerResponse): HeaderPairs {
  const names = (res as ServerResponse & { getRawHeaderNames(): string[] }).getRawHeaderNames();
  return names.map((name) => {
    const value = res.getHeader(name);
    return [name, Array.isArray(value) ? value : String(value)] as const;
  });
}

/**
 * What a leader hands the requests that waited for it: its response, when the rules allow sharing
 * it, whether or not the store took it (a store that is down must not make every waiter run the handler).
 */
export interface LeaderOutcome {
  entry: Entry;
  /** Names of the response's `Vary` request headers beyond the key, and the leader's values' hash. */
  vary: readonly string[];
  varyHash: string;
}

/** Everything a capture needs from the route cache that created it. */
export interface CaptureContext {
  config: RouteConfig;
  larder: Larder;
  space: CacheSpace;
  key: string;
  facts: RequestFacts;
  tagVersions: Record<string, string> | undefined;
  /** A stale entry that staleIfError may serve if the handler fails, until `fallbackUntil` (ms since the epoch). */
  fallback: Entry | undefined;
  fallbackUntil: number;
  /** `mode: 'http'`: the stored entry this run revalidates (the handler is asked with its validators). */
  revalidate: Entry | undefined;
  missReason: LarderReason;
  onUnkeyedRead(route: string, input: string, kind: InputKind): void;
  settle(outcome: LeaderOutcome | undefined): void;
}

/**
 * One miss in progress: the adapter reports the head, the body chunks and how it ended; the
 * capture decides whether the response is stored, and answers the requests that waited for it.
 * The client's bytes are never held back: chunks are copied, not delayed.
 */
export class Capture {
  readonly guard: InputGuard;
  readonly #ctx: CaptureContext;
  readonly #started = performance.now();
  #status = 0;
  #headers: HeaderPairs = [];
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #overflow = false;
  /** Why the handler's answer was replaced: a stale copy for its failure, or the stored response it revalidated. */
  #replaced: 'stale-if-error' | 'revalidated' | undefined;
  #done = false;
  readonly #requestTime: number;
  #responseTime = 0;
  #baseline: ReadonlyMap<string, string> = new Map();

  constructor(ctx: CaptureContext) {
    this.#ctx = ctx;
    this.guard = new InputGuard(ctx.config.vary, ctx.config.unkeyed, ctx.config.unkeyedHeaders);
    this.#requestTime = ctx.larder.clock.now();
  }

  /**
   * The request headers the handler sees: the client's, or when revalidating a stored response, with
   * its validators as If-None-Match / If-Modified-Since (RFC 9111 §4.3.1).
   */
  requestHeaders<T extends Readonly<Record<string, string | string[] | undefined>>>(headers: T): T {
    const { revalidate, facts } = this.#ctx;
    if (!revalidate) return headers;
    return revalidationHeaders(revalidate, { method: facts.method, url: facts.url, headers }) as T;
  }

  /**
   * Puts {@link requestHeaders} on `req` while the handler runs (nothing to do unless revalidating);
   * returns the undo. Adapters call it before the guard starts watching the headers.
   */
  askWithValidators(req: { headers: IncomingHttpHeaders }): () => void {
    const headers = req.headers;
    const asked = this.requestHeaders(headers);
    if (asked === headers) return () => {};
    req.headers = asked;
    return () => {
      if (req.headers === asked) req.headers = headers;
    };
  }

  /**
   * The query string the handler must see (`''` or `'?…'`): the parsed, stripped query written out
   * again, so `req.url`, `req.originalUrl`, `ctx.querystring` and `ctx.href` carry nothing the key
   * does not (target.ts). Adapters put it in place of the received one while the handler runs.
   */
  get search(): string {
    return canonicalSearch(this.#ctx.facts.query);
  }

  /**
   * The status and headers are about to be sent. Returns headers to add (`X-Cache: MISS`,
   * `Server-Timing`), or, when staleIfError applies to a 5xx, a stored response to send instead.
   */
  head(status: number, headers: HeaderPairs): { add: Array<[string, string]> } | { replace: ReplayPlan } {
    this.#status = status;
    this.#headers = headers;
    this.#responseTime = this.#ctx.larder.clock.now();
    if (status === 304 && this.#ctx.revalidate) {
      const refreshed = this.#notModified(this.#ctx.revalidate, headers);
      if (refreshed) return { replace: refreshed };
    }
    if (status >= 500) {
      const stale = this.#staleIfError();
      if (stale) return { replace: stale };
    }
    const add: Array<[string, string]> = [
      ['X-Cache', 'MISS'],
      ['Server-Timing', `larder;desc="miss";dur=${(performance.now() - this.#started).toFixed(1)}`],
    ];
    if (this.#ctx.config.debugHeaders) add.push(['X-Larder-Reason', this.#ctx.missReason]);
    const vary = this.#ctx.config.vary.length > 0 ? mergeVary(header(headers, 'vary'), this.#ctx.config.vary) : undefined;
    if (vary !== undefined) add.push(['Vary', vary]);
    return { add };
  }

  /**
   * Headers already set when the handler started, by middleware in front of `cached()`. That
   * middleware runs again on every hit, so its headers (a request id, CORS) are not stored:
   * a replayed copy would overwrite the fresh ones. A value the handler changed is stored.
   */
  baseline(headers: HeaderPairs): void {
    this.#baseline = new Map(headers.map(([name, value]) => [name.toLowerCase(), String(value)]));
  }

  /**
   * The handler answered 304 to a revalidation: when the 304 is about the stored response (§4.3.4),
   * its fields update the stored ones (§3.2), the updated response is stored when the exchange ends,
   * and the client gets it (or its own 304). Undefined: the 304 goes to the client as it is.
   */
  #notModified(stored: Entry, headers: HeaderPairs): ReplayPlan | undefined {
    const { facts, config, larder } = this.#ctx;
    const own = this.#own(headers);
    const clientAsked = facts.headers['if-none-match'] !== undefined || facts.headers['if-modified-since'] !== undefined;
    const request = { method: facts.method, url: facts.url, headers: facts.headers };
    const previous = stored.header.meta as StoredResponse;
    if (!notModifiedMatches(stored, request, own)) {
      // Not about our copy (the client's own validator matched, or the origin is confused): a client
      // that asked conditionally gets the 304; one that did not gets the copy, unchanged.
      return clientAsked ? undefined : this.#replace('revalidated', planReplay(stored, facts, 'HIT', 0, config.debugHeaders ? 'revalidated' : undefined, config.vary));
    }
    this.#status = previous.status;
    this.#headers = mergeNotModified(previous, own, this.#responseTime);
    this.#chunks.length = 0;
    this.#chunks.push(stored.payload);
    this.#bytes = stored.payload.length;
    const written = this.#describe();
    const entry: Entry = { header: { ...stored.header, storedAt: larder.clock.now(), meta: written?.meta ?? { ...previous, headers: this.#headers } }, payload: stored.payload };
    const ageMs = written?.meta.http ? written.meta.http.initialAgeMs : 0;
    return this.#replace('revalidated', planReplay(entry, facts, 'HIT', ageMs, config.debugHeaders ? 'revalidated' : undefined, config.vary));
  }

  #replace(why: 'stale-if-error' | 'revalidated', plan: ReplayPlan): ReplayPlan {
    this.#replaced = why;
    return plan;
  }

  /** A body chunk on its way to the client. */
  chunk(data: Buffer): void {
    if (this.#replaced || this.#overflow) return;
    this.#bytes += data.length;
    if (this.#bytes > this.#ctx.config.maxBodyBytes) {
      this.#overflow = true;
      this.#chunks.length = 0;
      return;
    }
    this.#chunks.push(data);
  }

  /** The handler threw before answering: the stale response to serve instead, if staleIfError allows. */
  failed(): ReplayPlan | undefined {
    return this.#staleIfError();
  }

  /**
   * The body is complete: every byte the handler produced was reported. The response is judged and
   * stored now, and the requests that waited for it are answered — not when a slow client has read
   * it (the store copy is complete whether or not this client takes it).
   */
  complete(): void {
    this.guard.stop();
    this.finish({});
  }

  /**
   * The response ended (or was abandoned). Stores it when every rule allows; idempotent. Always
   * answers the requests that waited, whatever throws on the way (a store, a listener).
   * `incomplete`: the adapter cannot see the bytes that will be sent (Koa writes a body-less
   * response's body after the middleware returned).
   */
  finish(outcome: { aborted?: boolean; error?: unknown; incomplete?: boolean } = {}): void {
    if (this.#done) return;
    this.#done = true;
    this.guard.stop();
    const { config, larder, space, key, facts } = this.#ctx;
    let shared: LeaderOutcome | undefined;
    try {
      space.stats.computeMs += performance.now() - this.#started;
      const reason = this.#whyNotStored(outcome);
      const described = reason ? undefined : this.#describe();
      if (reason || !described) {
        // A thrown handler (Koa) and a 5xx answer (Express's error handler) are both route failures.
        if (reason === 'handler-error' || this.#status >= 500) space.stats.errors++;
        larder.emitEvent('bypass', { cache: space.name, kind: 'http', key, reason: reason ?? 'no-freshness' });
        return;
      }
      // Without the tag versions of a successful read nothing is stored, but the waiting requests get the response.
      if (this.#ctx.tagVersions === undefined) larder.emitEvent('bypass', { cache: space.name, kind: 'http', key, reason: 'store-error' });
      const { meta: stored, freshForMs, staleForMs } = described;
      const spec = { freshForMs, staleForMs };
      // An unencoded body suits every Accept-Encoding: compression in front of the cache (koa-compress
      // declares Vary before the route runs) must not split the entry per Accept-Encoding value.
      const encoded = header(this.#headers, 'content-encoding') !== undefined;
      const vary = varyNames(header(this.#headers, 'vary')).filter((name) => !config.vary.includes(name) && (encoded || name !== 'accept-encoding'));
      const varyHash = vary.length > 0 ? varyKey(vary, facts) : '';
      if (vary.length > 0) larder.write(space, key, Buffer.alloc(0), { ...spec, meta: { vary } }, this.#ctx.tagVersions);
      // The body is copied once, from its chunks into the envelope; waiting requests replay that copy.
      const entry = larder.write(space, vary.length > 0 ? `${key}~${varyHash}` : key, this.#chunks, { ...spec, meta: stored }, this.#ctx.tagVersions);
      shared = { entry, vary, varyHash };
    } catch (error) {
      larder.emitEvent('error', { cache: space.name, kind: 'http', key, reason: 'store-error', error });
    } finally {
      this.#chunks.length = 0;
      this.#ctx.settle(shared);
    }
  }

  /** The stored form of the response and how long it is fresh and kept, per the route's mode. */
  #describe(): { meta: StoredResponse; freshForMs: number; staleForMs: number } | undefined {
    const { config, larder } = this.#ctx;
    if (config.mode === 'route') {
      const meta = storedResponse(this.#status, this.#own(storableHeaders(this.#headers)), this.#chunks, this.#bytes);
      return { meta, freshForMs: config.ttlMs, staleForMs: Math.max(config.swrMs, config.sieMs) };
    }
    const timing = { requestTime: this.#requestTime, responseTime: this.#responseTime, storeTime: larder.clock.now() };
    return sharedCacheStored(this.#status, this.#own(this.#headers), timing, config);
  }

  /** The handler's own headers: those middleware in front of cached() set are left out unless changed. */
  #own<T extends readonly [string, string | string[]]>(headers: readonly T[]): T[] {
    return headers.filter(([name, value]) => this.#baseline.get(name.toLowerCase()) !== String(value));
  }

  #whyNotStored(outcome: { aborted?: boolean; error?: unknown; incomplete?: boolean }): LarderReason | undefined {
    if (this.#replaced === 'stale-if-error') return 'stale-if-error';
    if (outcome.error !== undefined) return 'handler-error';
    if (outcome.aborted) return 'aborted';
    if (this.#status === 0 || outcome.incomplete) return 'incomplete-body';
    // RFC 9112 §3.2: one Host field. The key holds the first; a handler reading rawHeaders may take another.
    if (repeats(this.#ctx.facts.rawHeaders, 'host')) return 'ambiguous-host';
    if (this.#overflow) return 'body-too-large';
    // The response's own refusals first (Set-Cookie, a status, no-store…): the guard's warning is for
    // a response that would otherwise have been stored (`ctx.cookies.set()` is not a read of cookies).
    const response = { status: this.#status, headers: this.#headers, bodyBytes: this.#bytes };
    const refused = this.#ctx.config.mode === 'http' ? sharedCacheRefusal(this.#ctx.config, this.#ctx.facts, response) : responseNotStorable(this.#ctx.config, response);
    if (refused) return refused;
    // A header the response itself declares in Vary is keyed (as a secondary key) when stored.
    const declared = varyNames(header(this.#headers, 'vary'));
    const unkeyed = this.guard.tripped.filter((input) => !declared.includes(input));
    if (unkeyed.length > 0) {
      for (const input of unkeyed) this.#ctx.onUnkeyedRead(this.#ctx.space.name, input, this.guard.kindOf(input));
      return 'guard';
    }
    return undefined;
  }

  #staleIfError(): ReplayPlan | undefined {
    const { fallback, fallbackUntil, config, larder, facts, space, key } = this.#ctx;
    if (!fallback) return undefined;
    const now = larder.clock.now();
    if (now >= fallbackUntil) return undefined;
    space.stats.stale++;
    const ageMs = now - fallback.header.storedAt + ((fallback.header.meta as StoredResponse).http?.initialAgeMs ?? 0);
    larder.emitEvent('stale', { cache: space.name, kind: 'http', key, reason: 'stale-if-error', ageMs });
    return this.#replace('stale-if-error', planReplay(fallback, facts, 'STALE', ageMs, config.debugHeaders ? 'stale-if-error' : undefined, config.vary));
  }
}

function repeats(raw: readonly string[] | undefined, name: string): boolean {
  let seen = 0;
  for (let i = 0; raw !== undefined && i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name && ++seen > 1) return true;
  return false;
}

function header(headers: HeaderPairs, name: string): string | string[] | undefined {
  for (const [key, value] of headers) if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * The stored copy always carries a strong validator: the handler's own ETag, or one computed from
 * the bytes. Express adds a weak ETag of the same bytes to everything res.send() answers; its
 * opaque part is exactly what etag() computes, so it is made strong instead of hashing 10 MB again.
 */
function storedResponse(status: number, headers: Array<[string, string | string[]]>, chunks: readonly Buffer[], length: number): StoredResponse {
  const index = headers.findIndex(([name]) => name.toLowerCase() === 'etag');
  if (index === -1) {
    headers.push(['ETag', etag(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length))]);
  } else {
    const own = String(headers[index]![1]);
    if (isGeneratedWeakTag(own, length)) headers[index] = [headers[index]![0], own.slice(2)];
  }
  return { status, headers };
}

/** The `etag` package's weak form: W/"<length in hex>-<27-character base64 SHA-1>" of these bytes. */
const GENERATED_WEAK_TAG = /^W\/"([0-9a-f]+)-[A-Za-z0-9+/]{27}"$/;

function isGeneratedWeakTag(tag: string, length: number): boolean {
  const match = GENERATED_WEAK_TAG.exec(tag);
  return match !== null && Number.parseInt(match[1]!, 16) === length;
}
