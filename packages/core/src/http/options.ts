import { parseDuration } from '../duration.js';
import { BadOptionError } from '../errors.js';
import { normalizeHashFuncs, type HashFuncsInput, type NormalizedHashFuncs } from '../hash/hash.js';
import type { Larder } from '../larder.js';

/** Options of `cached()` (Express and Koa alike). `Req` is `req` in Express and `ctx` in Koa. */
export interface CachedOptions<Req = any> {
  /** How long a stored response is fresh. A duration. @default forever */
  ttl?: number | string | null;
  /** The larder whose store, events and stats are used. @default the default larder */
  larder?: Larder;
  /** Response statuses that may be stored. @default [200] */
  statuses?: readonly number[];
  /** Largest body stored, in bytes; larger responses are served but not stored. @default 8 MiB */
  maxBodyBytes?: number;
  /** Request headers that are part of the key (e.g. `['accept-language']`). @default [] */
  vary?: readonly string[];
  /** Extra key material computed from the request; its result is hashed. */
  key?: (req: Req) => unknown;
  /** Inputs left out of the key and removed from what the handler sees, e.g. `['query.utm_source']`. */
  exclude?: readonly string[];
  /** Hashing rules for values Larder cannot hash by itself (applied to params, query, body, key()). */
  hashFuncs?: HashFuncsInput;
  /** Methods that are cached; HEAD follows GET. Other methods pass through untouched. @default ['GET', 'HEAD'] */
  methods?: readonly string[];
  /** Cache requests that carry `Authorization` even though the key does not include it. @default false */
  shareAuthenticated?: boolean;
  /** Request inputs the handler may read without them being in the key, e.g. `['user-agent', 'session']`. */
  unkeyed?: readonly string[];
  /** After `ttl`, serve the stale response for this long and refresh it once in the background. */
  staleWhileRevalidate?: number | string | null;
  /** When the handler throws or answers 5xx, serve the stale response for this long. */
  staleIfError?: number | string | null;
  /** Tags for `larder.invalidate()`: a list, or computed from the request. */
  tags?: readonly string[] | ((req: Req) => readonly string[]);
  /** Add `X-Larder-Reason` to responses explaining each decision (for development). @default false */
  debugHeaders?: boolean;
}

export interface RouteConfig {
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
  hashFuncs: NormalizedHashFuncs | undefined;
  methods: ReadonlySet<string>;
  shareAuthenticated: boolean;
  unkeyed: ReadonlySet<string>;
  tags: ((req: any) => readonly string[]) | undefined;
  debugHeaders: boolean;
}

const DEFAULTS = { statuses: [200], maxBodyBytes: 8 * 1024 * 1024, methods: ['GET', 'HEAD'] } as const;
const KNOWN = new Set([
  'ttl', 'larder', 'statuses', 'maxBodyBytes', 'vary', 'key', 'exclude', 'hashFuncs', 'methods',
  'shareAuthenticated', 'unkeyed', 'staleWhileRevalidate', 'staleIfError', 'tags', 'debugHeaders',
]);
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
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw new BadOptionError(name, 'unknown option', `cached({ ttl: '5m' }) — known options: ${[...KNOWN].join(', ')}`);
  }
  const duration = (name: 'ttl' | 'staleWhileRevalidate' | 'staleIfError', fallback: number): number => {
    const value = options[name];
    return value === undefined ? fallback : parseDuration(value, name);
  };
  const statuses = options.statuses ?? DEFAULTS.statuses;
  if (!Array.isArray(statuses) || statuses.some((s) => !Number.isInteger(s) || s < 100 || s > 599)) {
    throw new BadOptionError('statuses', 'expected an array of HTTP status codes', 'cached({ statuses: [200, 404] })');
  }
  for (const status of statuses) {
    // A partial (206) or conditional (304) answer is not the resource: replayed to a plain GET, it would be wrong.
    if (status === 206 || status === 304) {
      throw new BadOptionError('statuses', `${status} answers one request (${status === 206 ? 'a Range' : 'a conditional'} request), not the resource, and cannot be replayed to others`, 'cached({ statuses: [200, 404] })');
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
  return Object.freeze({
    ttlMs: duration('ttl', Infinity),
    swrMs: duration('staleWhileRevalidate', 0),
    sieMs: duration('staleIfError', 0),
    larder: options.larder,
    statuses: new Set(statuses),
    maxBodyBytes,
    vary,
    key: options.key,
    excludeQuery: new Set(exclude.filter((p) => p.startsWith('query.')).map((p) => p.slice(6))),
    excludeBody: new Set(exclude.filter((p) => p.startsWith('body.')).map((p) => p.slice(5))),
    hashFuncs: options.hashFuncs === undefined ? undefined : normalizeHashFuncs(options.hashFuncs),
    methods: new Set(methods),
    shareAuthenticated: options.shareAuthenticated === true,
    unkeyed: new Set(stringList('unkeyed', options.unkeyed, "cached({ unkeyed: ['user-agent'] })").map(normalizeInputName)),
    tags: tagList ? () => tagList : (options.tags as RouteConfig['tags']),
    debugHeaders: options.debugHeaders === true,
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
