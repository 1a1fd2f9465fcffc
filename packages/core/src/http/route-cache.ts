import { defaultLarder } from '../default-larder.js';
import type { Entry } from '../store/entry.js';
import { LarderError } from '../errors.js';
import type { LarderReason } from '../events.js';
import type { CacheSpace, Larder, ReadResult } from '../larder.js';
import { Capture, type LeaderOutcome } from './capture.js';
import { InputGuard } from './guard.js';
import { RecentKeys, stripUnkeyed, varyKey, type RequestFacts } from './key.js';
import { normalizeCachedOptions, type RouteConfig } from './options.js';
import { hasBody, requestBypass } from './policy.js';
import { planReplay, type ReplayPlan } from './replay.js';
import { strippedFieldMessage, watchStripped, type FieldSource } from './stripped-fields.js';

/** What an adapter must do with a request. */
export type Decision =
  /** Not a cached method: leave the request alone. */
  | { kind: 'pass' }
  /** Neither read nor written: add these headers and run the handler. */
  | { kind: 'bypass'; reason: LarderReason; headers: Array<[string, string]> }
  /** Answer from the cache; when `refresh` is set, also re-run the route detached (staleWhileRevalidate). */
  | { kind: 'replay'; plan: ReplayPlan; refresh: boolean }
  /** Run the handler and feed the capture. */
  | { kind: 'miss'; capture: Capture };

/**
 * The framework-free heart of `cached()`: decides bypass, hit, stale or miss for a request,
 * coalesces identical misses and stores what may be stored. Adapters only translate.
 */
export class RouteCache {
  readonly config: RouteConfig;
  readonly #spaces = new Map<Larder, Map<string, CacheSpace>>();
  readonly #leaders = new Map<string, Promise<LeaderOutcome | undefined>>();
  readonly #refreshing = new Set<string>();
  readonly #warned = new Set<string>();
  /** The space of the last request: one route's requests usually come in a row. */
  #lastSpace: { larder: Larder; method: string; routeId: string; codeHash: string; space: CacheSpace } | undefined;
  readonly #keys: RecentKeys;

  constructor(ttlOrOptions: unknown, options: unknown) {
    this.config = normalizeCachedOptions(ttlOrOptions, options);
    this.#keys = new RecentKeys(this.config);
  }

  /** Whether this method is cached at all (adapters skip all work otherwise). */
  handles(method: string): boolean {
    return this.config.methods.has(method);
  }

  /**
   * Decides what to do with a request. Answers synchronously on a memory hit.
   * `refresh` marks the detached re-run of a staleWhileRevalidate refresh: it never reads.
   */
  decide(facts: RequestFacts, refresh = false): Decision | Promise<Decision> {
    const larder = this.config.larder ?? facts.larder ?? defaultLarder();
    const bypass = larder.closed ? 'store-error' : requestBypass(this.config, facts.method, facts.headers);
    if (bypass === 'pass') return { kind: 'pass' };
    const space = this.#space(larder, facts);
    if (bypass) return this.#bypass(larder, space, bypass);
    if (facts.method !== 'GET' && facts.method !== 'HEAD' && facts.body === undefined && hasBody(facts.headers)) {
      // The body is part of the key; without a parser before cached() two different bodies would share an entry.
      this.#warnOnce(`${space.name}\0body`, `Larder did not cache ${space.name}: the request has a body but nothing parsed it before cached(). Put your body parser (express.json(), koa-bodyparser) before cached() on this route.`, 'LARDER_BODY_NOT_PARSED');
      return this.#bypass(larder, space, 'body-not-parsed');
    }
    let key: string;
    let tags: readonly string[];
    try {
      key = this.#keys.key(facts, larder, space);
      tags = this.config.tags ? this.config.tags(facts.request) : [];
    } catch (error) {
      if (!(error instanceof LarderError)) throw error;
      this.#warnOnce(`${space.name}\0${error.code}`, `${error.message}\nLarder served ${space.name} without caching.`, error.code);
      larder.emitEvent('error', { cache: space.name, kind: 'http', reason: 'unhashable', error });
      return this.#bypass(larder, space, 'unhashable');
    }
    const read = larder.read(space, key, tags);
    if (read instanceof Promise) return read.then((result) => this.#afterRead(larder, space, key, tags, facts, result, refresh));
    return this.#afterRead(larder, space, key, tags, facts, read, refresh);
  }

  /**
   * Leaves the unkeyed fields of a query or body out (`_`-prefixed ones and `exclude`, unless `include`d):
   * the copy to key, or `fields` itself when nothing was removed.
   */
  strip<T>(fields: T, source: FieldSource): T {
    const { excludeQuery, includeQuery, excludeBody, includeBody } = this.config;
    return source === 'query' ? stripUnkeyed(fields, excludeQuery, includeQuery) : stripUnkeyed(fields, excludeBody, includeBody);
  }

  /**
   * What the handler gets of a stripped query or body: reading a field Larder removed warns once per
   * field (`LARDER_STRIPPED_FIELD`), naming `route` and the fix. `stripped` itself when nothing was removed.
   */
  watchStripped<T>(original: T, stripped: T, source: FieldSource, route: string): T {
    const excluded = source === 'query' ? this.config.excludeQuery : this.config.excludeBody;
    return watchStripped(original, stripped, (field) =>
      this.#warnOnce(`stripped\0${source}.${field}`, strippedFieldMessage(source, field, route, excluded.has(field)), 'LARDER_STRIPPED_FIELD'),
    );
  }

  /** Drops every stored response of this middleware, in every process sharing the store. */
  async clear(): Promise<void> {
    const clears: Array<Promise<void>> = [];
    for (const [larder, spaces] of this.#spaces) {
      if (!larder.closed) for (const space of spaces.values()) clears.push(larder.clearSpace(space));
    }
    await Promise.all(clears);
  }

  #afterRead(larder: Larder, space: CacheSpace, key: string, tags: readonly string[], facts: RequestFacts, read: ReadResult, refresh: boolean): Decision | Promise<Decision> {
    const vary = read.state !== 'miss' ? (read.entry.header.meta as { vary?: string[] } | undefined)?.vary : undefined;
    if (vary) {
      const secondary = larder.read(space, `${key}~${varyKey(vary, facts.headers)}`, tags);
      const judge = (result: ReadResult) => this.#judge(larder, space, key, facts, result, refresh);
      return secondary instanceof Promise ? secondary.then(judge) : judge(secondary);
    }
    return this.#judge(larder, space, key, facts, read, refresh);
  }

  #judge(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, read: ReadResult, refresh: boolean): Decision | Promise<Decision> {
    const reasons = this.config.debugHeaders;
    if (!refresh && read.state === 'fresh') {
      space.stats.hits++;
      if (larder.listenerCount('hit') > 0) larder.emitEvent('hit', { cache: space.name, kind: 'http', key, ageMs: read.ageMs });
      return { kind: 'replay', plan: planReplay(read.entry, facts, 'HIT', read.ageMs), refresh: false };
    }
    const staleEntry = read.state === 'stale' || (refresh && read.state === 'fresh') ? read.entry : undefined;
    if (!refresh && staleEntry && staleEntry.header.freshUntil !== null && larder.clock.now() < staleEntry.header.freshUntil + this.config.swrMs) {
      space.stats.stale++;
      larder.emitEvent('stale', { cache: space.name, kind: 'http', key, ageMs: read.state === 'stale' ? read.ageMs : 0, reason: 'stale-while-revalidate' });
      const startRefresh = !this.#refreshing.has(key);
      if (startRefresh) this.#refreshing.add(key);
      const ageMs = larder.clock.now() - staleEntry.header.storedAt;
      return { kind: 'replay', plan: planReplay(staleEntry, facts, 'STALE', ageMs, reasons ? 'stale-while-revalidate' : undefined), refresh: startRefresh };
    }
    const missReason: LarderReason = read.state === 'miss' ? read.reason : 'expired';
    const leader = this.#leaders.get(key);
    if (leader && !refresh) return leader.then((outcome) => this.#follow(larder, space, key, facts, read, outcome));
    return this.#lead(larder, space, key, facts, read.tagVersions, staleEntry, missReason, refresh);
  }

  #follow(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, read: ReadResult, outcome: LeaderOutcome | undefined): Decision {
    if (outcome && (outcome.vary.length === 0 || varyKey(outcome.vary, facts.headers) === outcome.varyHash)) {
      space.stats.hits++;
      larder.emitEvent('hit', { cache: space.name, kind: 'http', key, ageMs: 0 });
      return { kind: 'replay', plan: planReplay(outcome.entry, facts, 'HIT', 0), refresh: false };
    }
    // The leader's response was not storable (or varies otherwise): run the handler ourselves.
    return this.#lead(larder, space, key, facts, read.tagVersions, read.state === 'stale' ? read.entry : undefined, 'absent', false);
  }

  #lead(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, tagVersions: Record<string, string> | undefined, fallback: Entry | undefined, missReason: LarderReason, refresh: boolean): Decision {
    space.stats.misses++;
    larder.emitEvent('miss', { cache: space.name, kind: 'http', key, reason: missReason });
    let settle!: (outcome: LeaderOutcome | undefined) => void;
    const outcome = new Promise<LeaderOutcome | undefined>((resolve) => (settle = resolve));
    const leads = !this.#leaders.has(key);
    if (leads) this.#leaders.set(key, outcome);
    const capture = new Capture({
      config: this.config,
      larder,
      space,
      key,
      facts,
      tagVersions,
      fallback,
      missReason,
      onUnkeyedRead: (route, input) => this.#warnOnce(`${route}\0${input}`, InputGuard.message(route, input), 'LARDER_UNKEYED_INPUT'),
      settle: (result) => {
        if (leads && this.#leaders.get(key) === outcome) this.#leaders.delete(key);
        if (refresh) this.#refreshing.delete(key);
        settle(result);
      },
    });
    return { kind: 'miss', capture };
  }

  #bypass(larder: Larder, space: CacheSpace, reason: LarderReason): Decision {
    space.stats.bypasses++;
    larder.emitEvent('bypass', { cache: space.name, kind: 'http', reason });
    const headers: Array<[string, string]> = [['X-Cache', 'BYPASS']];
    if (this.config.debugHeaders) headers.push(['X-Larder-Reason', reason]);
    return { kind: 'bypass', reason, headers };
  }

  #space(larder: Larder, facts: RequestFacts): CacheSpace {
    const last = this.#lastSpace;
    if (last !== undefined && last.larder === larder && last.method === facts.method && last.routeId === facts.routeId && last.codeHash === facts.codeHash) {
      return last.space;
    }
    const space = this.#findSpace(larder, facts);
    this.#lastSpace = { larder, method: facts.method, routeId: facts.routeId, codeHash: facts.codeHash, space };
    return space;
  }

  #findSpace(larder: Larder, facts: RequestFacts): CacheSpace {
    let spaces = this.#spaces.get(larder);
    if (!spaces) this.#spaces.set(larder, (spaces = new Map()));
    const method = facts.method === 'HEAD' ? 'GET' : facts.method;
    const id = `http:${method}:${facts.routeId}#${facts.codeHash}`;
    let space = spaces.get(id);
    if (!space) {
      space = larder.space(id, `${method} ${facts.routeId}`, 'http');
      spaces.set(id, space);
    }
    return space;
  }

  #warnOnce(id: string, message: string, code: string): void {
    if (this.#warned.has(id)) return;
    this.#warned.add(id);
    process.emitWarning(message, { code });
  }
}
