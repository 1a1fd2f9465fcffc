import { parseDuration } from '../duration.js';
import { BadOptionError } from '../errors.js';
import { checkOptions } from '../options.js';
import { normalizeHashFuncs, type HashFuncsInput, type NormalizedHashFuncs } from '../hash/hash.js';
import type { Larder } from '../larder.js';
import { parseLease } from '../store/lease.js';

/** Options of `cached()` (Express and Koa alike). `Req` is `req` in Express and `ctx` in Koa. */
export interface CachedOptions<Req = any> {
  /**
   * `'route'`: the route's `ttl` decides freshness. `'http'`: a shared HTTP cache (RFC 9111) — the
   * response's `Cache-Control`, `CDN-Cache-Control`, `Expires`, `Age` and validators decide, with
   * revalidation, and `ttl` only for responses that state no freshness.
   * @default 'route'
   * @example app.use(cached({ mode: 'http', unkeyed: '*' }))
   */
  mode?: 'route' | 'http';
  /** How long a stored response is fresh. A duration. In `mode: 'http'`, only for responses that state no freshness. @default forever ('route'), none ('http') */
  ttl?: number | string | null;
  /** The larder whose store, events and stats are used. @default the default larder */
  larder?: Larder;
  /** Response statuses that may be stored. @default [200] ('route'); every final status but 206 and 304 ('http') */
  statuses?: readonly number[];
  /** Largest body stored, in bytes; larger responses are served but not stored. @default 8 MiB */
  maxBodyBytes?: number;
  /** Request headers that are part of the key (e.g. `['accept-language']`). @default [] */
  vary?: readonly string[];
  /** Extra key material computed from the request; its result is hashed. */
  key?: (req: Req) => unknown;
  /** Inputs left out of the key and removed from what the handler sees, e.g. `['query.utm_source']`. */
  exclude?: readonly string[];
  /**
   * `_`-prefixed fields to keep: the handler sees them and they are part of the key, e.g.
   * `['query._page', 'query._limit']` for a json-server style API. By default a `_`-prefixed query or
   * body field is left out of the key and removed before the handler runs (and reading it warns once).
   * @default []
   */
  include?: readonly string[];
  /** Hashing rules for values Larder cannot hash by itself (applied to params, query, body, key()). */
  hashFuncs?: HashFuncsInput;
  /** Methods that are cached; HEAD follows GET. Other methods pass through untouched. @default ['GET', 'HEAD'] */
  methods?: readonly string[];
  /** Cache requests that carry `Authorization` even though the key does not include it. @default false */
  shareAuthenticated?: boolean;
  /**
   * Request inputs the handler may read without them being in the key, e.g. `['user-agent', 'session']`.
   * `'*'` declares every request header harmless (the response's `Vary` then decides what is keyed), as a
   * reverse proxy in front of an origin it trusts needs; per-user state (cookies, session, user) still counts.
   */
  unkeyed?: readonly string[] | '*';
  /** After `ttl`, serve the stale response for this long and refresh it once in the background. */
  staleWhileRevalidate?: number | string | null;
  /** When the handler throws or answers 5xx, serve the stale response for this long. */
  staleIfError?: number | string | null;
  /** Tags for `larder.invalidate()`: a list, or computed from the request. */
  tags?: readonly string[] | ((req: Req) => readonly string[]);
  /** Add `X-Larder-Reason` to responses explaining each decision (for development). @default false */
  debugHeaders?: boolean;
  /**
   * Whether a successful write (POST, PUT, PATCH, DELETE) to a path drops this route's stored responses
   * of that path. `false` for a route whose responses a write to the same path does not change: its
   * entries carry no path tag, and an app-level `app.use(cached({ invalidateOnWrite: false }))` leaves
   * the writes it sees alone. `provideLarder({ invalidateOnWrite: false })` turns writes off app-wide.
   * @default true
   */
  invalidateOnWrite?: boolean;
  /**
   * On a store shared by several processes (SQLite, Redis): how long the process running the handler
   * for a missing response holds the others waiting for it before they run it themselves; `false` for
   * no lease. Set it above the route's slowest response. @default the larder's `lease` ('10s')
   */
  lease?: number | string | false;
}

export interface RouteConfig {
  mode: 'route' | 'http';
  /** In `mode: 'http'`, 0 when `ttl` was not given (responses without freshness are not reused). */
  ttlMs: number;
  swrMs: number;
  sieMs: number;
  larder: Larder | undefined;
  statuses: ReadonlySet<number>;
  maxBodyBytes: number;
  vary: readonly string[];
  key: ((req: any) => unknown) | undefined;
  excludeQuery: ReadonlySet<string>;
  excludeBody: ReadonlySet<string>;
  /** `_`-prefixed fields kept (and keyed) by `include`. */
  includeQuery: ReadonlySet<string>;
  includeBody: ReadonlySet<string>;
  hashFuncs: NormalizedHashFuncs | undefined;
  methods: ReadonlySet<string>;
  shareAuthenticated: boolean;
  unkeyed: ReadonlySet<string>;
  /** `unkeyed: '*'`: reading any request header is harmless. */
  unkeyedHeaders: boolean;
  tags: ((req: any) => readonly string[]) | undefined;
  debugHeaders: boolean;
  invalidateOnWrite: boolean;
  /** Milliseconds, 0 for none; undefined: the larder's. */
  leaseMs: number | undefined;
}

/** Every final status but 206 and 304, which are not the resource itself: `statuses` in `mode: 'http'` unless given. */
export const SHARED_CACHE_STATUSES: ReadonlySet<number> = new Set(
  Array.from({ length: 400 }, (_, i) => 200 + i).filter((status) => status !== 206 && status !== 304),
);

const DEFAULTS = { statuses: [200], maxBodyBytes: 8 * 1024 * 1024, methods: ['GET', 'HEAD'] } as const;
const CACHED_OPTIONS = [
  'mode', 'ttl', 'larder', 'statuses', 'maxBodyBytes', 'vary', 'key', 'exclude', 'include', 'hashFuncs', 'methods',
  'shareAuthenticated', 'unkeyed', 'staleWhileRevalidate', 'staleIfError', 'tags', 'debugHeaders', 'invalidateOnWrite', 'lease',
] as const satisfies ReadonlyArray<keyof CachedOptions>;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Merges `cached(ttlOrOptions, options)` into one validated, frozen configuration. */
export function normalizeCachedOptions(ttlOrOptions: unknown, more: unknown): RouteConfig {
  const isOptions = (v: unknown): v is CachedOptions => typeof v === 'object' && v !== null && !Array.isArray(v);
  let options: CachedOptions;
  if (isOptions(ttlOrOptions)) {
    if (more !== undefined) throw new BadOptionError('options', 'pass the options object once', "cached('5m', { vary: ['accept-language'] })");
    options = ttlOrOptions;
  } else {
    if (more !== undefined && !isOptions(more)) throw new BadOptionError('options', 'the second argument must be an object', "cached('5m', { vary: ['accept-language'] })");
    options = { ...(more as CachedOptions | undefined), ...(ttlOrOptions === undefined ? {} : { ttl: ttlOrOptions as string }) };
  }
  checkOptions(options, { factory: 'cached', known: CACHED_OPTIONS, example: "cached({ ttl: '5m', vary: ['accept-language'] })" });
  const duration = (name: 'ttl' | 'staleWhileRevalidate' | 'staleIfError', fallback: number): number => {
    const value = options[name];
    return value === undefined ? fallback : parseDuration(value, name);
  };
  const mode = options.mode ?? 'route';
  if (mode !== 'route' && mode !== 'http') throw new BadOptionError('mode', `expected 'route' or 'http', got ${String(mode)}`, "cached({ mode: 'http' })");
  const statuses = options.statuses ?? (mode === 'http' ? [...SHARED_CACHE_STATUSES] : DEFAULTS.statuses);
  if (!Array.isArray(statuses) || statuses.some((s) => !Number.isInteger(s) || s < 100 || s > 599)) {
    throw new BadOptionError('statuses', 'expected an array of HTTP status codes', 'cached({ statuses: [200, 404] })');
  }
  for (const status of statuses) {
    // A partial (206) or conditional (304) answer is not the resource: replayed to a plain GET, it would be wrong.
    if (status === 206 || status === 304) {
      throw new BadOptionError('statuses', `${status} answers one request (${status === 206 ? 'a Range' : 'a conditional'} request), not the resource, and cannot be replayed to others`, 'cached({ statuses: [200, 404] })');
    }
  }
  for (const flag of ['invalidateOnWrite', 'shareAuthenticated', 'debugHeaders'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw new BadOptionError(flag, `expected true or false, got ${typeof options[flag]}`, `cached({ ${flag}: ${flag === 'invalidateOnWrite' ? 'false' : 'true'} })`);
    }
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new BadOptionError('maxBodyBytes', `expected a positive integer, got ${String(maxBodyBytes)}`, 'cached({ maxBodyBytes: 1024 * 1024 })');
  }
  const vary = headerList('vary', options.vary);
  const exclude = stringList('exclude', options.exclude, "cached({ exclude: ['query.utm_source', 'query.fbclid'] })");
  for (const path of exclude) {
    if (!/^(query|body)\.[^.]+$/.test(path)) {
      throw new BadOptionError('exclude', `'${path}' must name a query or body field`, "cached({ exclude: ['query.utm_source', 'body.requestId'] })");
    }
  }
  const include = stringList('include', options.include, "cached({ include: ['query._page', 'query._limit'] })");
  for (const path of include) {
    if (!/^(query|body)\._[^.]*$/.test(path)) {
      const problem = /^(query|body)\.[^.]+$/.test(path)
        ? `'${path}' is already part of the key (only fields starting with '_' are left out)`
        : `'${path}' must name a query or body field starting with '_'`;
      throw new BadOptionError('include', problem, "cached({ include: ['query._page', 'query._limit'] })");
    }
    if (exclude.includes(path)) throw new BadOptionError('include', `'${path}' is also in exclude; keep it in one of them`, "cached({ include: ['query._page'] })");
  }
  const methods = stringList('methods', options.methods ?? DEFAULTS.methods, "cached({ methods: ['GET', 'POST'] })").map((m) => m.toUpperCase());
  if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
  for (const [name, fn] of [['key', options.key], ['tags', options.tags]] as const) {
    if (fn !== undefined && typeof fn !== 'function' && !(name === 'tags' && Array.isArray(fn))) {
      throw new BadOptionError(name, name === 'tags' ? 'expected an array of strings or a function' : 'expected a function', name === 'tags' ? "cached({ tags: (req) => [`user:${req.params.id}`] })" : 'cached({ key: (req) => req.user.tenantId })');
    }
  }
  const tagList = Array.isArray(options.tags) ? stringList('tags', options.tags, "cached({ tags: ['users'] })") : undefined;
  if (options.larder !== undefined && (typeof options.larder !== 'object' || typeof options.larder.space !== 'function')) {
    throw new BadOptionError('larder', 'expected a larder from createLarder()', 'cached({ larder: createLarder() })');
  }
  const unkeyedHeaders = options.unkeyed === '*';
  return Object.freeze({
    mode,
    ttlMs: duration('ttl', mode === 'http' ? 0 : Infinity),
    swrMs: duration('staleWhileRevalidate', 0),
    sieMs: duration('staleIfError', 0),
    larder: options.larder,
    statuses: new Set(statuses),
    maxBodyBytes,
    vary,
    key: options.key,
    excludeQuery: new Set(exclude.filter((p) => p.startsWith('query.')).map((p) => p.slice(6))),
    excludeBody: new Set(exclude.filter((p) => p.startsWith('body.')).map((p) => p.slice(5))),
    includeQuery: new Set(include.filter((p) => p.startsWith('query.')).map((p) => p.slice(6))),
    includeBody: new Set(include.filter((p) => p.startsWith('body.')).map((p) => p.slice(5))),
    hashFuncs: options.hashFuncs === undefined ? undefined : normalizeHashFuncs(options.hashFuncs),
    methods: new Set(methods),
    shareAuthenticated: options.shareAuthenticated === true,
    unkeyed: new Set(stringList('unkeyed', unkeyedHeaders ? undefined : options.unkeyed, "cached({ unkeyed: ['user-agent'] }) or cached({ unkeyed: '*' })").map(normalizeInputName)),
    unkeyedHeaders,
    tags: tagList ? () => tagList : (options.tags as RouteConfig['tags']),
    debugHeaders: options.debugHeaders === true,
    invalidateOnWrite: options.invalidateOnWrite !== false,
    leaseMs: options.lease === undefined ? undefined : parseLease(options.lease, "cached({ ttl: '5m', lease: '30s' })"),
  });
}

/**
 * `req.headers.X-Foo`, `headers.x-foo`, `X-Foo` → `x-foo`; `req.session`, `ctx.session` → `session`;
 * `res.locals.user` → `locals.user`; `ctx.state.user` → `state.user`.
 */
export function normalizeInputName(name: string): string {
  return name.replace(/^(req|ctx|res|request)\./, '').replace(/^(headers|request)\./, '').toLowerCase();
}

function stringList(option: string, value: unknown, example: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new BadOptionError(option, 'expected an array of non-empty strings', example);
  }
  return [...value] as string[];
}

function headerList(option: string, value: unknown): string[] {
  const list = stringList(option, value, "cached({ vary: ['accept-language'] })");
  for (const name of list) {
    if (name === '*') throw new BadOptionError(option, "'*' would make every request unique; name the headers", "cached({ vary: ['accept-language'] })");
    if (!HEADER_NAME.test(name)) throw new BadOptionError(option, `'${name}' is not a header name`, "cached({ vary: ['accept-language'] })");
  }
  return [...new Set(list.map((n) => n.toLowerCase()))].sort();
}
