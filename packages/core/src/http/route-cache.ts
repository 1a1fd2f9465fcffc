import { defaultLarder } from '../default-larder.js';
import type { Entry } from '../store/entry.js';
import { LarderError } from '../errors.js';
import type { LarderReason } from '../events.js';
import type { CacheSpace, Larder, ReadResult } from '../larder.js';
import { Capture, type LeaderOutcome } from './capture.js';
import { InputGuard, type InputKind } from './guard.js';
import { RecentKeys, stripUnkeyed, varyKey, type RequestFacts } from './key.js';
import { normalizeCachedOptions, type RouteConfig } from './options.js';
import { hasBody, mergeVary, requestBypass } from './policy.js';
import { planReplay, type ReplayPlan } from './replay.js';
import { judgeHttp, judgeRoute, type Verdict } from './verdict.js';
import { isWrite, markCachedRead, pathTag } from './write-invalidation.js';
import { strippedFieldMessage, watchStripped, type FieldSource } from './stripped-fields.js';
import { isAbsoluteForm } from './target.js';
import { LEADER_WAIT_MS, Leaders, type Leader } from './leaders.js';
import type { FleetLead, FleetTurn } from '../store/lease.js';

/** A fresh entry another process stored, as this request would replay it (see #freshRead). */
interface FleetEntry {
  read: Extract<ReadResult, { state: 'fresh' }>;
  outcome: LeaderOutcome;
}

/** The answer to a detached refresh that another process is doing: no client reads it. */
const NOTHING: ReplayPlan = { status: 204, headers: [], body: undefined };
/** After another process was found refreshing a key, this one tries again no sooner than this. */
const REFRESH_RETRY_MS = 1_000;

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
    if (isWrite(facts.method)) markCachedRead(facts.request as object);
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
      const routeTags = this.config.tags ? this.config.tags(facts.request) : [];
      tags = this.config.invalidateOnWrite ? withPathTag(routeTags, facts) : routeTags;
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
      const judge = (result: ReadResult) => this.#judge(larder, space, key, tags, facts, result, refresh, turn);
      return secondary instanceof Promise ? secondary.then(judge) : judge(secondary);
    }
    return this.#judge(larder, space, key, tags, facts, read, refresh, turn);
  }

  #verdict(read: ReadResult, facts: RequestFacts, now: number, refresh: boolean): Verdict {
    return this.config.mode === 'http' ? judgeHttp(read, facts.headers, now, refresh) : judgeRoute(read, this.config.swrMs, this.config.sieMs, now, refresh);
  }

  #judge(larder: Larder, space: CacheSpace, key: string, tags: readonly string[], facts: RequestFacts, read: ReadResult, refresh: boolean, turn: number): Decision | Promise<Decision> {
    // An asynchronous read settles its turn now, whatever it found; a synchronous one looks only on a miss.
    const leader = turn === 0 ? undefined : this.#leaders.leaderFor(key, turn);
    const { debugHeaders: reasons, vary } = this.config;
    const verdict = this.#verdict(read, facts, larder.clock.now(), refresh);
    if (verdict.kind === 'hit') {
      space.stats.hits++;
      if (larder.listenerCount('hit') > 0) larder.emitEvent('hit', { cache: space.name, kind: 'http', key, ageMs: verdict.ageMs });
      return { kind: 'replay', plan: planReplay(verdict.entry, facts, 'HIT', verdict.ageMs, undefined, vary), refresh: false };
    }
    if (verdict.kind === 'stale') {
      space.stats.stale++;
      larder.emitEvent('stale', { cache: space.name, kind: 'http', key, ageMs: read.state === 'stale' ? read.ageMs : 0, reason: verdict.reason });
      return { kind: 'replay', plan: planReplay(verdict.entry, facts, 'STALE', verdict.ageMs, reasons ? verdict.reason : undefined, vary), refresh: verdict.refresh && this.#startRefresh(key) };
    }
    if (verdict.kind === 'unsatisfiable') {
      space.stats.misses++;
      larder.emitEvent('miss', { cache: space.name, kind: 'http', key, reason: 'only-if-cached' });
      return { kind: 'replay', plan: gatewayTimeout(reasons), refresh: false };
    }
    const waitFor = turn === 0 ? this.#leaders.leaderFor(key, 0) : leader;
    if (waitFor && !refresh) return this.#wait(larder, space, key, facts, read, waitFor, 0);
    // Other processes sharing the store may be running this route for this key (store/lease.ts).
    const probe = () => this.#freshRead(larder, space, key, tags, facts);
    if (refresh) {
      const refreshing = larder.refreshTurn(key, this.config.leaseMs, probe);
      const refreshOrNot = (granted: FleetLead | undefined): Decision => {
        if (granted) return this.#lead(larder, space, key, facts, read.tagVersions, verdict, refresh, granted.release);
        // Another process is refreshing it: stale hits here start no refresh attempt for a while.
        setTimeout(() => this.#refreshing.delete(key), REFRESH_RETRY_MS).unref();
        return { kind: 'replay', plan: NOTHING, refresh: false };
      };
      return refreshing instanceof Promise ? refreshing.then(refreshOrNot) : refreshOrNot(refreshing);
    }
    const fleetTurn = larder.lead(key, read, leases(facts, verdict) ? this.config.leaseMs : 0, probe);
    if (fleetTurn instanceof Promise) return this.#fleet(larder, space, key, facts, read, verdict, fleetTurn);
    return this.#lead(larder, space, key, facts, read.tagVersions, verdict, refresh, fleetTurn.release);
  }

  /**
   * Waits for the fleet: leads (with the lease) or replays what another process stored. Requests of this
   * process for the same key wait behind this one, as behind a leader of this process (at most LEADER_WAIT_MS).
   */
  #fleet(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, read: ReadResult, verdict: Extract<Verdict, { kind: 'lead' }>, turn: Promise<FleetTurn<FleetEntry>>): Promise<Decision> {
    const settle = this.#leaders.lead(key);
    return turn.then(
      (result) => {
        if (result.kind === 'found') {
          const { read: found, outcome } = result.value;
          settle(outcome);
          space.stats.hits++;
          larder.emitEvent('hit', { cache: space.name, kind: 'http', key, ageMs: found.ageMs });
          return { kind: 'replay', plan: planReplay(found.entry, facts, 'HIT', found.ageMs, undefined, this.config.vary), refresh: false };
        }
        // The requests behind this one now wait for its handler.
        return this.#lead(larder, space, key, facts, read.tagVersions, verdict, false, result.release, settle);
      },
      (error: unknown) => {
        settle(undefined);
        throw error;
      },
    );
  }

  /**
   * The entry this request would replay, if there is one now (the secondary one when the response varies;
   * in mode 'http', one this request's own verdict takes as a hit).
   */
  async #freshRead(larder: Larder, space: CacheSpace, key: string, tags: readonly string[], facts: RequestFacts): Promise<FleetEntry | undefined> {
    const read = await larder.read(space, key, tags);
    if (read.state !== 'fresh') return undefined;
    const vary = (read.entry.header.meta as { vary?: string[] } | undefined)?.vary;
    const varyHash = vary ? varyKey(vary, facts) : '';
    const found = vary ? await larder.read(space, `${key}~${varyHash}`, tags) : read;
    if (found.state !== 'fresh' || this.#verdict(found, facts, larder.clock.now(), false).kind !== 'hit') return undefined;
    return { read: found, outcome: { entry: found.entry, vary: vary ?? [], varyHash } };
  }

  /** Whether a stale hit starts a refresh: none running, or one that never finished (its handler hangs) past the bound. */
  #startRefresh(key: string): boolean {
    const since = this.#refreshing.get(key);
    if (since !== undefined && performance.now() - since <= LEADER_WAIT_MS) return false;
    this.#refreshing.set(key, performance.now());
    return true;
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
      return this.#leadYourself(larder, space, key, facts, read);
    });
  }

  #follow(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, read: ReadResult, outcome: LeaderOutcome | undefined): Decision {
    // In mode 'http' the leader's response must also be reusable for this request (no-cache, max-age=0…).
    const reusable = (entry: Entry) => this.config.mode === 'route' || this.#verdict({ state: 'fresh', entry, ageMs: 0, tagVersions: {} }, facts, larder.clock.now(), false).kind === 'hit';
    if (outcome && (outcome.vary.length === 0 || varyKey(outcome.vary, facts) === outcome.varyHash) && reusable(outcome.entry)) {
      space.stats.hits++;
      const ageMs = Math.max(0, larder.clock.now() - outcome.entry.header.storedAt);
      larder.emitEvent('hit', { cache: space.name, kind: 'http', key, ageMs });
      return { kind: 'replay', plan: planReplay(outcome.entry, facts, 'HIT', ageMs, undefined, this.config.vary), refresh: false };
    }
    // The leader's response was not storable (or varies otherwise): run the handler ourselves.
    return this.#leadYourself(larder, space, key, facts, read);
  }

  /** Runs the handler after waiting for a leader in vain, keeping what this request's own read found as a fallback. */
  #leadYourself(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, read: ReadResult): Decision {
    const own = this.#verdict(read, facts, larder.clock.now(), false);
    const fallback = own.kind === 'lead' ? own : { fallback: undefined, fallbackUntil: -Infinity, revalidate: undefined };
    return this.#lead(larder, space, key, facts, read.tagVersions, { ...fallback, kind: 'lead', reason: 'absent' }, false);
  }

  /** `release`: the fleet lease, released once the response is stored (true) or known unstorable (false). */
  /**
   * Runs the handler for a miss. `release` ends the fleet lease this request holds; `held` is the settle
   * of the leader this request already registered while it waited for the fleet.
   */
  #lead(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, tagVersions: Record<string, string> | undefined, verdict: Extract<Verdict, { kind: 'lead' }>, refresh: boolean, release?: (stored: boolean) => void, held?: (outcome: LeaderOutcome | undefined) => void): Decision {
    const { fallback, fallbackUntil, revalidate, reason: missReason } = verdict;
    space.stats.misses++;
    larder.emitEvent('miss', { cache: space.name, kind: 'http', key, reason: missReason });
    const settle = held ?? this.#leaders.lead(key);
    const capture = new Capture({
      config: this.config,
      larder,
      space,
      key,
      facts,
      tagVersions,
      fallback,
      fallbackUntil,
      revalidate,
      missReason,
      onUnkeyedRead: (route, input, kind) => this.#warnUnkeyed(route, input, kind),
      settle: (result) => {
        if (refresh) this.#refreshing.delete(key);
        release?.(result !== undefined);
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

/**
 * Whether a miss takes part in the fleet's lease. Not a HEAD: its response is never stored (head-miss), so
 * GETs elsewhere would wait for nothing. Not a revalidation every request must make (a stored `no-cache`, a
 * request's `no-cache` or `max-age=0`): another process's answer could not be reused, and waiting for it
 * would only put the revalidations in a row.
 */
function leases(facts: RequestFacts, verdict: Extract<Verdict, { kind: 'lead' }>): boolean {
  return facts.method !== 'HEAD' && verdict.reason !== 'no-cache' && verdict.reason !== 'request-directive';
}

/** RFC 9111 §5.2.1.7: `only-if-cached` and no stored response to answer with. */
function gatewayTimeout(debug: boolean): ReplayPlan {
  const headers: Array<[string, string]> = [['Content-Length', '0'], ['X-Cache', 'MISS']];
  if (debug) headers.push(['X-Larder-Reason', 'only-if-cached']);
  return { status: 504, headers, body: Buffer.alloc(0) };
}

/** The route's tags plus its path's, which a write to the path moves (write-invalidation.ts). */
function withPathTag(tags: readonly string[], facts: RequestFacts): readonly string[] {
  const tag = pathTag(facts.host, facts.url);
  if (tag === undefined) return tags;
  if (tags.length > 0) return [...tags, tag];
  let alone = pathTagLists.get(tag);
  if (alone === undefined) pathTagLists.set(tag, (alone = Object.freeze([tag])));
  return alone;
}

/** One list per path tag, so that a hit on a route without tags allocates none (bounded by the number of path tags). */
const pathTagLists = new Map<string, readonly string[]>();
