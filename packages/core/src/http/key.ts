import { createHash } from 'node:crypto';
import { hashArguments } from '../hash/hash.js';
import type { RouteConfig } from './options.js';
import { pathOf } from './target.js';

/** What an adapter knows about a request before the handler runs. */
export interface RequestFacts {
  method: string;
  /** The Host header, as received. */
  host: string | undefined;
  /**
   * The request target as received, before any router rewrote it (`req.originalUrl`, `ctx.originalUrl`):
   * its path is part of the key, and an absolute-form target is bypassed.
   */
  url: string;
  /** Whether the connection is TLS: the scheme is part of the key (`req.protocol` without a proxy reads it). */
  secure?: boolean | undefined;
  /** Mount path + route pattern (e.g. `/api/users/:id`), or the mount path and `/*` for `app.use(cached())`. */
  routeId: string;
  /** Hash of the source of the handlers that follow `cached()` (code changes invalidate entries). */
  codeHash: string;
  params: unknown;
  /** The query as the handler will see it, after `stripUnkeyed`. */
  query: unknown;
  /** The parsed body as the handler will see it (only when the method keys bodies). */
  body: unknown;
  /** Raw request headers (never the guarded proxy). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** `rawHeaders`: every value of a repeated header, which `headers` may hold only the first of. */
  rawHeaders?: readonly string[] | undefined;
  /** Passed to the user's `key()` and `tags()`: `req` in Express, `ctx` in Koa. */
  request: unknown;
  /** The larder installed on the request by `provideLarder()`, used when `cached()` names none. */
  larder?: import('../larder.js').Larder | undefined;
}

/**
 * Leaves `_`-prefixed and excluded fields out: returns a copy without them, or the same object
 * when there is nothing to remove (the common case costs no allocation). Fields in `included`
 * (`include: ['query._page']`) stay, and so are keyed.
 */
export function stripUnkeyed<T>(fields: T, excluded: ReadonlySet<string>, included?: ReadonlySet<string>): T {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return fields;
  const names = Object.keys(fields);
  const unkeyed = (name: string): boolean => (name.startsWith('_') || excluded.has(name)) && !included?.has(name);
  if (!names.some(unkeyed)) return fields;
  const kept: Record<string, unknown> = Object.getPrototypeOf(fields) === null ? Object.create(null) : {};
  for (const name of names) {
    if (unkeyed(name)) continue;
    // defineProperty, not assignment: a field named __proto__ must stay data, never a prototype.
    Object.defineProperty(kept, name, { value: (fields as Record<string, unknown>)[name], enumerable: true, writable: true, configurable: true });
  }
  return kept as T;
}

/**
 * The primary key of a request: scheme, host, path, route, params, query, vary headers, key(), body.
 * The path as received is keyed besides the route: case variants under case-insensitive routing,
 * the paths of an array route and those a regular expression matches are different resources.
 */
export function requestKey(config: RouteConfig, facts: RequestFacts, routeName: string): string {
  const method = facts.method === 'HEAD' ? 'GET' : facts.method;
  const args: Array<[string, unknown]> = [
    ['method', method],
    ['host', hostOf(facts)],
    ['path', pathOf(facts.url)],
    ['params', facts.params ?? null],
    ['query', facts.query ?? null],
  ];
  if (config.vary.length > 0) args.push(['headers', headerValues(config.vary, facts)]);
  if (config.key) args.push(['key', config.key(facts.request)]);
  if (method !== 'GET') args.push(['body', facts.body ?? null]);
  // An HTTP cache's key is the target URI (RFC 9111 §4.1): two spellings of one query are two resources.
  if (config.mode === 'http') args.push(['target', facts.url ?? null]);
  return hashArguments(args, { hashFuncs: config.hashFuncs, functionName: routeName });
}

/**
 * The scheme and host a key names: the Host header lower-cased, paired with `https` on a TLS connection
 * (a pair, never a string: a plain request's `Host: https://example.com` must not name the TLS one).
 */
function hostOf(facts: RequestFacts): string | [string, string] {
  const host = (facts.host ?? '').toLowerCase();
  return facts.secure ? ['https', host] : host;
}

/**
 * What a route remembers per space before it starts over: a count, and bytes of remembered text and
 * keys (UTF-16, as V8 holds them). Longer texts are never remembered: hashing them again costs little
 * next to parsing them, and a flood of distinct long queries must not fill memory.
 */
const RECENT_KEYS = 4096;
const RECENT_KEY_BYTES = 1024 * 1024;
const RECENT_TEXT_CHARS = 1024;

/** What RecentKeys needs of a larder and its spaces (structural, to keep this file free of the engine). */
interface KeySpace {
  readonly name: string;
}
interface KeyMaker<S extends KeySpace> {
  entryKey(space: S, hash: string): string;
}

/**
 * The store keys of one `cached()` route, remembering recent simple ones. A GET whose params and
 * query hold only strings, on a route without `vary`, `key` or `hashFuncs`, has a canonical text
 * (host and the JSON of params and query): the same text always gives the same key, so a repeated
 * request skips the SHA-256, and the store looks up a string it has seen (and hashed) before.
 * Anything else is hashed every time.
 */
export class RecentKeys {
  readonly #config: RouteConfig;
  readonly #simple: boolean;
  readonly #keys = new WeakMap<KeySpace, { texts: Map<string, string>; bytes: number }>();

  constructor(config: RouteConfig) {
    this.#config = config;
    this.#simple = config.vary.length === 0 && !config.key && !config.hashFuncs;
  }

  /** `larder.entryKey(space, requestKey(...))`, remembered for simple GETs. */
  key<S extends KeySpace>(facts: RequestFacts, larder: KeyMaker<S>, space: S): string {
    let text = this.#simple && (facts.method === 'GET' || facts.method === 'HEAD') ? simpleText(facts) : undefined;
    if (text !== undefined && this.#config.mode === 'http') text += `\0${facts.url}`;
    if (text === undefined || text.length > RECENT_TEXT_CHARS) return larder.entryKey(space, requestKey(this.#config, facts, space.name));
    let memo = this.#keys.get(space);
    if (memo === undefined) this.#keys.set(space, (memo = { texts: new Map(), bytes: 0 }));
    let key = memo.texts.get(text);
    if (key === undefined) {
      key = larder.entryKey(space, requestKey(this.#config, facts, space.name));
      const bytes = 2 * (text.length + key.length);
      if (memo.texts.size >= RECENT_KEYS || memo.bytes + bytes > RECENT_KEY_BYTES) {
        memo.texts.clear();
        memo.bytes = 0;
      }
      memo.texts.set(text, key);
      memo.bytes += bytes;
    }
    return key;
  }
}

/**
 * The canonical text of a simple request: scheme, host and path, then params and query when there
 * are any, separated by NUL (which a Host header, a path and JSON text never contain).
 * Undefined when params or query hold anything but strings.
 */
function simpleText(facts: RequestFacts): string | undefined {
  const params = fieldsText(facts.params);
  if (params === undefined) return undefined;
  const query = fieldsText(facts.query);
  if (query === undefined) return undefined;
  // A Host header never holds NUL (Node refuses it), so a leading NUL marks TLS unambiguously.
  const host = facts.secure ? `\0https\0${facts.host ?? ''}` : (facts.host ?? '');
  return params === '' && query === '' ? `${host}\0${pathOf(facts.url)}` : `${host}\0${pathOf(facts.url)}\0${params}\0${query}`;
}

/** `''` for an empty plain object, `'null'` for none, the JSON of a plain object of strings, else undefined. */
function fieldsText(value: unknown): string | undefined {
  if (value === undefined || value === null) return 'null';
  if (typeof value !== 'object') return undefined;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  let empty = true;
  for (const name of Object.keys(value)) {
    if (typeof (value as Record<string, unknown>)[name] !== 'string') return undefined;
    empty = false;
  }
  return empty ? '' : JSON.stringify(value);
}

/**
 * Values of the named headers; repeated headers keep their order, absent ones are `null`. Node keeps
 * only the first of some repeated headers (User-Agent, Referer, Authorization…) in `headers`, but a
 * handler can read the others through `rawHeaders`: when a header came more than once, every value is keyed.
 */
export function headerValues(names: readonly string[], request: Pick<RequestFacts, 'headers' | 'rawHeaders'>): Array<string | string[] | null> {
  const raw = request.rawHeaders;
  return names.map((name) => {
    const value = request.headers[name] ?? null;
    if (raw === undefined) return value;
    let all: string[] | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) (all ??= []).push(raw[i + 1]!);
    }
    return all !== undefined && all.length > 1 ? all : value;
  });
}

/** Hash of the secondary key for a response that declared `Vary`. */
export function varyKey(names: readonly string[], request: Pick<RequestFacts, 'headers' | 'rawHeaders'>): string {
  return hashArguments([['vary', names], ['values', headerValues(names, request)]], { functionName: 'Vary' });
}

/** Hash of handler sources, so editing a handler invalidates its persisted entries. */
export function sourceHash(handlers: readonly unknown[]): string {
  const hash = createHash('sha256');
  for (const handler of handlers) {
    if (typeof handler === 'function') hash.update(Function.prototype.toString.call(handler)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
