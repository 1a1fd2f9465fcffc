import { normalizeInputName } from './options.js';

/**
 * The unkeyed-input guard. While a handler runs on a miss, every request header it reads that is
 * not part of the key, and every read of per-user state (cookies, session, user), is recorded;
 * such a response is not stored, because serving it to the next visitor could leak one user's
 * page or let `X-Forwarded-Host` poison the cache.
 */

/** Headers the frameworks themselves read while answering (freshness, ranges, compression). */
const FRAMEWORK_HEADERS = new Set([
  'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range',
  'cache-control', 'pragma', 'accept-encoding', 'connection', 'content-length', 'content-type',
  'transfer-encoding', 'host', 'content-encoding', 'expect', 'upgrade', 'keep-alive',
]);

export class InputGuard {
  /** The inputs read that are not in the key, in first-read order. */
  readonly tripped: string[] = [];
  #watching = true;
  readonly #allowed: ReadonlySet<string>;
  /** `unkeyed: '*'`: header reads are never recorded (per-user state still is). */
  readonly #anyHeader: boolean;

  constructor(keyedHeaders: readonly string[], unkeyed: ReadonlySet<string>, anyHeader = false) {
    this.#allowed = new Set([...keyedHeaders, ...unkeyed, ...FRAMEWORK_HEADERS]);
    this.#anyHeader = anyHeader;
  }

  /** Stops recording (the response is complete; later reads cannot shape it). */
  stop(): void {
    this.#watching = false;
  }

  /** Records a read of `input` (a lower-cased header name or a per-user state name). */
  read(input: string): void {
    if (!this.#watching) return;
    const name = normalizeInputName(input);
    if (this.#allowed.has(name) || this.tripped.includes(name)) return;
    this.tripped.push(name);
  }

  /** A view of `headers` that records each unkeyed header read (and enumeration of them all). */
  watchHeaders<T extends object>(headers: T): T {
    if (this.#anyHeader) return headers;
    return new Proxy(headers, {
      get: (target, property, receiver) => {
        if (typeof property === 'string') this.read(property.toLowerCase());
        return Reflect.get(target, property, receiver);
      },
      has: (target, property) => {
        if (typeof property === 'string') this.read(property.toLowerCase());
        return Reflect.has(target, property);
      },
      ownKeys: (target) => {
        for (const name of Reflect.ownKeys(target)) if (typeof name === 'string') this.read(name);
        return Reflect.ownKeys(target);
      },
      getOwnPropertyDescriptor: (target, property) => {
        if (typeof property === 'string') this.read(property.toLowerCase());
        return Reflect.getOwnPropertyDescriptor(target, property);
      },
    });
  }

  /**
   * Replaces `owner[property]` with an accessor that records `input` when read, until `restore()`.
   * Works for own data properties and for getters inherited from a prototype (Koa's ctx.cookies).
   */
  watchProperty(owner: object, property: string, input: string): () => void {
    const own = Object.getOwnPropertyDescriptor(owner, property);
    if (own && !own.configurable) return () => {};
    let value: unknown = own && 'value' in own ? own.value : undefined;
    let assigned = own !== undefined && 'value' in own;
    const guard = this;
    Object.defineProperty(owner, property, {
      configurable: true,
      enumerable: own?.enumerable ?? true,
      get() {
        guard.read(input);
        if (assigned) return value;
        return own?.get ? own.get.call(this) : inherited(owner, property, this);
      },
      set(next: unknown) {
        if (own?.set) own.set.call(this, next);
        else {
          value = next;
          assigned = true;
        }
      },
    });
    return () => {
      if (own && !('value' in own)) Object.defineProperty(owner, property, own);
      else if (own || assigned) Object.defineProperty(owner, property, { value, writable: true, enumerable: own?.enumerable ?? true, configurable: true });
      else delete (owner as Record<string, unknown>)[property];
    };
  }

  /** The warning shown once per route and input. */
  static message(route: string, input: string): string {
    const header = !['cookies', 'signedcookies', 'session', 'user', 'state.user'].includes(input);
    const what = header ? `the request header '${input}'` : `per-user state (${input})`;
    const fix = header
      ? `add it to the key with cached({ vary: ['${input}'] }), compute the key yourself with cached({ key: (req) => … })`
      : `compute a per-user key with cached({ key: (req) => req.user?.id }) (or don't cache this route)`;
    return (
      `Larder did not store the response of ${route}: the handler read ${what}, which is not part of the cache key, ` +
      `so the response could differ between visitors. To cache it, ${fix}, or declare the read harmless with cached({ unkeyed: ['${input}'] }).`
    );
  }
}

function inherited(owner: object, property: string, receiver: unknown): unknown {
  const proto = Object.getPrototypeOf(owner) as object | null;
  return proto ? Reflect.get(proto, property, receiver) : undefined;
}
