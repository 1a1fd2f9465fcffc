import { createHash } from 'node:crypto';
import { hashArguments } from '../hash/hash.js';
import type { RouteConfig } from './options.js';

/** What an adapter knows about a request before the handler runs. */
export interface RequestFacts {
  method: string;
  /** The Host header, as received. */
  host: string | undefined;
  /** The request target as received (`req.originalUrl`, `ctx.originalUrl`): path and query string. */
  url?: string | undefined;
  /** Mount path + route pattern (e.g. `/api/users/:id`), or the path for `app.use(cached())`. */
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

/** The primary key of a request: host, route, params, query, vary headers, key(), body. */
export function requestKey(config: RouteConfig, facts: RequestFacts, routeName: string): string {
  const method = facts.method === 'HEAD' ? 'GET' : facts.method;
  const args: Array<[string, unknown]> = [
    ['method', method],
    ['host', (facts.host ?? '').toLowerCase()],
    ['params', facts.params ?? null],
    ['query', facts.query ?? null],
  ];
  if (config.vary.length > 0) args.push(['headers', headerValues(config.vary, facts.headers)]);
  if (config.key) args.push(['key', config.key(facts.request)]);
  if (method !== 'GET') args.push(['body', facts.body ?? null]);
  // An HTTP cache's key is the target URI (RFC 9111 §4.1): two spellings of one query are two resources.
  if (config.mode === 'http') args.push(['target', facts.url ?? null]);
  return hashArguments(args, { hashFuncs: config.hashFuncs, functionName: routeName });
}

/** How many simple keys a route remembers per space before it starts over. */
const RECENT_KEYS = 4096;

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
  readonly #keys = new WeakMap<KeySpace, Map<string, string>>();

  constructor(config: RouteConfig) {
    this.#config = config;
    this.#simple = config.vary.length === 0 && !config.key && !config.hashFuncs;
  }

  /** `larder.entryKey(space, requestKey(...))`, remembered for simple GETs. */
  key<S extends KeySpace>(facts: RequestFacts, larder: KeyMaker<S>, space: S): string {
    let text = this.#simple && (facts.method === 'GET' || facts.method === 'HEAD') ? simpleText(facts) : undefined;
    if (text !== undefined && this.#config.mode === 'http') text += `\0${facts.url ?? ''}`;
    if (text === undefined) return larder.entryKey(space, requestKey(this.#config, facts, space.name));
    let keys = this.#keys.get(space);
    if (keys === undefined) this.#keys.set(space, (keys = new Map()));
    let key = keys.get(text);
    if (key === undefined) {
      key = larder.entryKey(space, requestKey(this.#config, facts, space.name));
      if (keys.size >= RECENT_KEYS) keys.clear();
      keys.set(text, key);
    }
    return key;
  }
}

/**
 * The canonical text of a simple request: the host alone when params and query are empty, else
 * host, params and query separated by NUL (which a Host header and JSON text never contain).
 * Undefined when params or query hold anything but strings.
 */
function simpleText(facts: RequestFacts): string | undefined {
  const params = fieldsText(facts.params);
  if (params === undefined) return undefined;
  const query = fieldsText(facts.query);
  if (query === undefined) return undefined;
  const host = facts.host ?? '';
  return params === '' && query === '' ? host : `${host}\0${params}\0${query}`;
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

/** Values of the named headers; repeated headers keep their order, absent ones are `null`. */
export function headerValues(names: readonly string[], headers: RequestFacts['headers']): Array<string | string[] | null> {
  return names.map((name) => headers[name] ?? null);
}

/** Hash of the secondary key for a response that declared `Vary`. */
export function varyKey(names: readonly string[], headers: RequestFacts['headers']): string {
  return hashArguments([['vary', names], ['values', headerValues(names, headers)]], { functionName: 'Vary' });
}

/** Hash of handler sources, so editing a handler invalidates its persisted entries. */
export function sourceHash(handlers: readonly unknown[]): string {
  const hash = createHash('sha256');
  for (const handler of handlers) {
    if (typeof handler === 'function') hash.update(Function.prototype.toString.call(handler)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
