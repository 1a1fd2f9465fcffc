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
import { judgeHttp, judgeRoute, type Verdict } from './verdict.js';
import { isWrite, markCachedRead, pathTag } from './write-invalidation.js';
import { strippedFieldMessage, watchStripped, type FieldSource } from './stripped-fields.js';
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
    if (isWrite(facts.method)) markCachedRead(facts.request as object);
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
      tags = withPathTag(this.config.tags ? this.config.tags(facts.request) : [], facts);
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
      const judge = (result: ReadResult) => this.#judge(larder, space, key, tags, facts, result, refresh);
      return secondary instanceof Promise ? secondary.then(judge) : judge(secondary);
    }
    return this.#judge(larder, space, key, tags, facts, read, refresh);
  }

  #verdict(read: ReadResult, facts: RequestFacts, now: number, refresh: boolean): Verdict {
    return this.config.mode === 'http' ? judgeHttp(read, facts.headers, now, refresh) : judgeRoute(read, this.config.swrMs, this.config.sieMs, now, refresh);
  }

  #judge(larder: Larder, space: CacheSpace, key: string, tags: readonly string[], facts: RequestFacts, read: ReadResult, refresh: boolean): Decision | Promise<Decision> {
    const reasons = this.config.debugHeaders;
    const verdict = this.#verdict(read, facts, larder.clock.now(), refresh);
    if (verdict.kind === 'hit') {
      space.stats.hits++;
      if (larder.listenerCount('hit') > 0) larder.emitEvent('hit', { cache: space.name, kind: 'http', key, ageMs: verdict.ageMs });
      return { kind: 'replay', plan: planReplay(verdict.entry, facts, 'HIT', verdict.ageMs), refresh: false };
    }
    if (verdict.kind === 'stale') {
      space.stats.stale++;
      larder.emitEvent('stale', { cache: space.name, kind: 'http', key, ageMs: read.state === 'stale' ? read.ageMs : 0, reason: verdict.reason });
      const startRefresh = verdict.refresh && !this.#refreshing.has(key);
      if (startRefresh) this.#refreshing.add(key);
      return { kind: 'replay', plan: planReplay(verdict.entry, facts, 'STALE', verdict.ageMs, reasons ? verdict.reason : undefined), refresh: startRefresh };
    }
    if (verdict.kind === 'unsatisfiable') {
      space.stats.misses++;
      larder.emitEvent('miss', { cache: space.name, kind: 'http', key, reason: 'only-if-cached' });
      return { kind: 'replay', plan: gatewayTimeout(reasons), refresh: false };
    }
    const leader = this.#leaders.get(key);
    if (leader && !refresh) return leader.then((outcome) => this.#follow(larder, space, key, facts, read, outcome));
    // Other processes sharing the store may be running this route for this key (store/lease.ts).
    const probe = () => this.#freshRead(larder, space, key, tags, facts);
    if (refresh) {
      const turn = larder.refreshTurn(key, this.config.leaseMs, probe);
      const refreshOrNot = (granted: FleetLead | undefined): Decision => {
        if (granted) return this.#lead(larder, space, key, facts, read.tagVersions, verdict, refresh, granted.release);
        // Another process is refreshing it: stale hits here start no refresh attempt for a while.
        setTimeout(() => this.#refreshing.delete(key), REFRESH_RETRY_MS).unref();
        return { kind: 'replay', plan: NOTHING, refresh: false };
      };
      return turn instanceof Promise ? turn.then(refreshOrNot) : refreshOrNot(turn);
    }
    const turn = larder.lead(key, read, leases(facts, verdict) ? this.config.leaseMs : 0, probe);
    if (turn instanceof Promise) return this.#fleet(larder, space, key, facts, read, verdict, turn);
    return this.#lead(larder, space, key, facts, read.tagVersions, verdict, refresh, turn.release);
  }

  /**
   * Waits for the fleet: leads (with the lease) or replays what another process stored. Requests of this
   * process for the same key wait behind this one, as behind a leader of this process.
   */
  #fleet(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, read: ReadResult, verdict: Extract<Verdict, { kind: 'lead' }>, turn: Promise<FleetTurn<FleetEntry>>): Promise<Decision> {
    let answer!: (outcome: LeaderOutcome | Promise<LeaderOutcome | undefined>) => void;
    const waiting = new Promise<LeaderOutcome | undefined>((resolve) => (answer = resolve));
    this.#leaders.set(key, waiting);
    return turn.then((result) => {
      if (this.#leaders.get(key) === waiting) this.#leaders.delete(key);
      if (result.kind === 'found') {
        const { read: found, outcome } = result.value;
        answer(outcome);
        space.stats.hits++;
        larder.emitEvent('hit', { cache: space.name, kind: 'http', key, ageMs: found.ageMs });
        return { kind: 'replay', plan: planReplay(found.entry, facts, 'HIT', found.ageMs), refresh: false };
      }
      const decision = this.#lead(larder, space, key, facts, read.tagVersions, verdict, false, result.release);
      // The requests behind this one now wait for its handler.
      answer(this.#leaders.get(key)!);
      return decision;
    });
  }

  /**
   * The entry this request would replay, if there is one now (the secondary one when the response varies;
   * in mode 'http', one this request's own verdict takes as a hit).
   */
  async #freshRead(larder: Larder, space: CacheSpace, key: string, tags: readonly string[], facts: RequestFacts): Promise<FleetEntry | undefined> {
    const read = await larder.read(space, key, tags);
    if (read.state !== 'fresh') return undefined;
    const vary = (read.entry.header.meta as { vary?: string[] } | undefined)?.vary;
    const varyHash = vary ? varyKey(vary, facts.headers) : '';
    const found = vary ? await larder.read(space, `${key}~${varyHash}`, tags) : read;
    if (found.state !== 'fresh' || this.#verdict(found, facts, larder.clock.now(), false).kind !== 'hit') return undefined;
    return { read: found, outcome: { entry: found.entry, vary: vary ?? [], varyHash } };
  }

  #follow(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, read: ReadResult, outcome: LeaderOutcome | undefined): Decision {
    // In mode 'http' the leader's response must also be reusable for this request (no-cache, max-age=0…).
    const reusable = (entry: Entry) => this.config.mode === 'route' || this.#verdict({ state: 'fresh', entry, ageMs: 0, tagVersions: {} }, facts, larder.clock.now(), false).kind === 'hit';
    if (outcome && (outcome.vary.length === 0 || varyKey(outcome.vary, facts.headers) === outcome.varyHash) && reusable(outcome.entry)) {
      space.stats.hits++;
      larder.emitEvent('hit', { cache: space.name, kind: 'http', key, ageMs: 0 });
      return { kind: 'replay', plan: planReplay(outcome.entry, facts, 'HIT', 0), refresh: false };
    }
    // The leader's response was not storable (or varies otherwise): run the handler ourselves.
    const own = this.#verdict(read, facts, larder.clock.now(), false);
    const fallback = own.kind === 'lead' ? own : { fallback: undefined, fallbackUntil: -Infinity, revalidate: undefined };
    return this.#lead(larder, space, key, facts, read.tagVersions, { ...fallback, kind: 'lead', reason: 'absent' }, false);
  }

  /** `release`: the fleet lease, released once the response is stored (true) or known unstorable (false). */
  #lead(larder: Larder, space: CacheSpace, key: string, facts: RequestFacts, tagVersions: Record<string, string> | undefined, verdict: Extract<Verdict, { kind: 'lead' }>, refresh: boolean, release?: (stored: boolean) => void): Decision {
    const { fallback, fallbackUntil, revalidate, reason: missReason } = verdict;
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
      fallbackUntil,
      revalidate,
      missReason,
      onUnkeyedRead: (route, input) => this.#warnOnce(`${route}\0${input}`, InputGuard.message(route, input), 'LARDER_UNKEYED_INPUT'),
      settle: (result) => {
        if (leads && this.#leaders.get(key) === outcome) this.#leaders.delete(key);
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
