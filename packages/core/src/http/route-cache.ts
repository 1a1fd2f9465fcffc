import { defaultLarder } from '../default-larder.js';
import type { Entry } from '../store/entry.js';
import { LarderError } from '../errors.js';
import type { LarderReason } from '../events.js';
import type { CacheSpace, Larder, ReadResult } from '../larder.js';
import { Capture, type LeaderOutcome } from './capture.js';
import { InputGuard, type InputKind } from './guard.js';
import { RecentKeys, varyKey, type RequestFacts } from './key.js';
import { normalizeCachedOptions, type RouteConfig } from './options.js';
import { hasBody, mergeVary, requestBypass } from './policy.js';
import { planReplay, type ReplayPlan } from './replay.js';
import { isAbsoluteForm } from './target.js';
import { LEADER_WAIT_MS, Leaders, type Leader } from './leaders.js';

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

/** Warnings one route prints at most: the names of headers a handler reads may come from clients. */
const MAX_WARNINGS = 32;

/**
 * The framework-free heart of `cached()`: decides bypass, hit, stale or miss for a request,
 * coalesces identical misses and stores what may be stored. Adapters only translate.
 */
export class RouteCache {
  readonly config: RouteConfig;
  readonly #spaces = new Map<Larder, Map<string, CacheSpace>>();
  readonly #leaders = new Leaders();
  /** Store reads in flight by key: identical requests share one, so they reach the leader check together. */
  readonly #reads = new Map<string, Promise<ReadResult>>();
  /** Keys whose staleWhileRevalidate refresh is running, with when it started (performance.now()). */
  readonly #refreshing = new Map<string, number>();
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
    // `GET http://other.test/x` names its own authority; Host says another. Neither read nor written.
    if (isAbsoluteForm(facts.url)) return this.#bypass(larder, space, 'absolute-form');
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
    const read = this.#read(larder, space, key, tags);
    // (A synchronous read is judged at once: turn 0, nothing to count.)
    if (!(read instanceof Promise)) return this.#afterRead(larder, space, key, tags, facts, read, refresh, 0);
    const turn = this.#leaders.arrive(key);
    return read.then((result) => this.#afterRead(larder, space, key, tags, facts, result, refresh, turn));
  }

  /** Drops every stored response of this middleware, in every process sharing the store. */
  async clear(): Promise<void> {
    const clears: Array<Promise<void>> = [];
    for (const [larder, spaces] of this.#spaces) {
      if (!larder.closed) for (const space of spaces.values()) clears.push(larder.clearSpace(space));
    }
    await Promise.all(clears);
  }

  /**
   * Reads an entry, sharing a read already in flight for the same key and tags: with a slow store,
   * identical requests then get their answer together, and all but one find its leader registered.
   */
  #read(larder: Larder, space: CacheSpace, key: string, tags: readonly string[]): ReadResult | Promise<ReadResult> {
    const id = tags.length === 0 ? key : `${key}\0${tags.join('\0')}`;
    const pending = this.#reads.size === 0 ? undefined : this.#reads.get(id);
    if (pending) return pending;
    const read = larder.read(space, key, tags);
    if (!(read instanceof Promise)) return read;
    this.#reads.set(id, read);
    const done = () => {
      if (this.#reads.get(id) === read) this.#reads.delete(id);
    };
    read.then(done, done);
    return read;
  }

  #afterRead(larder: Larder, space: CacheSpace, key: string, tags: readonly string[], facts: RequestFacts, read: ReadResult, refresh: boolean, turn: number): Decision | Promise<Decision> {
    const vary = read.state !== 'miss' ? (read.entry.header.meta as { vary?: string[] } | undefined)?.vary : undefined;
    if (vary) {
      const secondary = this.#read(larder, space, `${key}~${varyKey(vary, facts)}`, tags);
      const judge = (result: ReadResult) => this.#judge(larder, space, key, facts, result, refresh, turn);
      return secondary instanceof Promise ? secondary.then(judge) : judge(secondary);
    }
    return this.#judge(larder, space, key, facts, read, refresh, turn);
  }

  #judge(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, read: ReadResult, refresh: boolean, turn: number): Decision | Promise<Decision> {
    // An asynchronous read settles its turn now, whatever it found; a synchronous one looks only on a miss.
    const leader = turn === 0 ? undefined : this.#leaders.leaderFor(key, turn);
    const { debugHeaders: reasons, vary } = this.config;
    if (!refresh && read.state === 'fresh') {
      space.stats.hits++;
      if (larder.listenerCount('hit') > 0) larder.emitEvent('hit', { cache: space.name, kind: 'http', key, ageMs: read.ageMs });
      return { kind: 'replay', plan: planReplay(read.entry, facts, 'HIT', read.ageMs, undefined, vary), refresh: false };
    }
    const staleEntry = read.state === 'stale' || (refresh && read.state === 'fresh') ? read.entry : undefined;
    if (!refresh && staleEntry && staleEntry.header.freshUntil !== null && larder.clock.now() < staleEntry.header.freshUntil + this.config.swrMs) {
      space.stats.stale++;
      larder.emitEvent('stale', { cache: space.name, kind: 'http', key, ageMs: read.state === 'stale' ? read.ageMs : 0, reason: 'stale-while-revalidate' });
      // A refresh that never finished (its handler hangs, or never reached cached()) stops counting after the bound.
      const since = this.#refreshing.get(key);
      const startRefresh = since === undefined || performance.now() - since > LEADER_WAIT_MS;
      if (startRefresh) this.#refreshing.set(key, performance.now());
      const ageMs = larder.clock.now() - staleEntry.header.storedAt;
      return { kind: 'replay', plan: planReplay(staleEntry, facts, 'STALE', ageMs, reasons ? 'stale-while-revalidate' : undefined, vary), refresh: startRefresh };
    }
    const missReason: LarderReason = read.state === 'miss' ? read.reason : 'expired';
    const waitFor = turn === 0 ? this.#leaders.leaderFor(key, 0) : leader;
    if (waitFor && !refresh) return this.#wait(larder, space, key, facts, read, waitFor, 0);
    return this.#lead(larder, space, key, facts, read.tagVersions, staleEntry, missReason, refresh);
  }

  /**
   * Waits for a leader's outcome, at most LEADER_WAIT_MS. A lapsed leader is replaced: the first
   * waiter to notice leads, the others follow it once more, then run the handler themselves.
   */
  #wait(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, read: ReadResult, leader: Leader, hops: number): Promise<Decision> {
    return leader.outcome.then((outcome) => {
      if (outcome !== 'lapsed') return this.#follow(larder, space, key, facts, read, outcome);
      const successor = this.#leaders.lapsed(key, leader);
      if (successor && hops === 0) return this.#wait(larder, space, key, facts, read, successor, 1);
      return this.#lead(larder, space, key, facts, read.tagVersions, read.state === 'stale' ? read.entry : undefined, 'absent', false);
    });
  }

  #follow(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, read: ReadResult, outcome: LeaderOutcome | undefined): Decision {
    if (outcome && (outcome.vary.length === 0 || varyKey(outcome.vary, facts) === outcome.varyHash)) {
      space.stats.hits++;
      const ageMs = Math.max(0, larder.clock.now() - outcome.entry.header.storedAt);
      larder.emitEvent('hit', { cache: space.name, kind: 'http', key, ageMs });
      return { kind: 'replay', plan: planReplay(outcome.entry, facts, 'HIT', ageMs, undefined, this.config.vary), refresh: false };
    }
    // The leader's response was not storable (or varies otherwise): run the handler ourselves.
    return this.#lead(larder, space, key, facts, read.tagVersions, read.state === 'stale' ? read.entry : undefined, 'absent', false);
  }

  #lead(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, tagVersions: Record<string, string> | undefined, fallback: Entry | undefined, missReason: LarderReason, refresh: boolean): Decision {
    space.stats.misses++;
    larder.emitEvent('miss', { cache: space.name, kind: 'http', key, reason: missReason });
    const settle = this.#leaders.lead(key);
    const capture = new Capture({
      config: this.config,
      larder,
      space,
      key,
      facts,
      tagVersions,
      fallback,
      missReason,
      onUnkeyedRead: (route, input, kind) => this.#warnUnkeyed(route, input, kind),
      settle: (result) => {
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
    // A cache in front keys on what this route keys on, even for a response this one does not keep.
    if (this.config.vary.length > 0) headers.push(['Vary', mergeVary(undefined, this.config.vary)!]);
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

  #warnUnkeyed(route: string, input: string, kind: InputKind): void {
    this.#warnOnce(`${route}\0${input}`, InputGuard.message(route, input, kind), 'LARDER_UNKEYED_INPUT');
  }

  /** Warns once per id, and at most MAX_WARNINGS times per route: ids may carry names clients chose. */
  #warnOnce(id: string, message: string, code: string): void {
    if (this.#warned.has(id) || this.#warned.size > MAX_WARNINGS) return;
    this.#warned.add(id);
    if (this.#warned.size > MAX_WARNINGS) {
      process.emitWarning(`Larder has printed ${MAX_WARNINGS} warnings for this cached() route and prints no more; the 'bypass' and 'error' events still report every case.`, { code });
      return;
    }
    process.emitWarning(message, { code });
  }
}
