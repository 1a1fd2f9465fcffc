import { normalizeInputName } from './options.js';

/**
 * The unkeyed-input guard. While a handler runs on a miss, every read of an input that is not part
 * of the key is recorded: a request header (through `headers`, `rawHeaders`, `headersDistinct` or a
 * framework getter over them), the client's address, and per-request state that middleware in front
 * of `cached()` attached (the user, the session, cookies, every property of `res.locals`/`ctx.state`).
 * Such a response is not stored, because serving it to the next visitor could leak one user's page
 * or let `X-Forwarded-Host` poison the cache.
 *
 * Reads are seen through views, never through a list of call sites: a Proxy over each bag of values
 * (headers, raw headers, state bags), and an accessor over each per-request property (request-watch.ts
 * decides which). A view records only while the guard watches, and a value the handler assigned
 * itself is its own, not an input.
 */

/** What an input is, for the warning that names it. */
export type InputKind = 'header' | 'state' | 'client';

/** Headers the frameworks themselves read while answering (freshness, ranges, compression). */
const FRAMEWORK_HEADERS = new Set([
  'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range',
  'cache-control', 'pragma', 'accept-encoding', 'connection', 'content-length', 'content-type',
  'transfer-encoding', 'host', 'content-encoding', 'expect', 'upgrade', 'keep-alive',
]);

/** Property names JavaScript itself looks up on any object (JSON.stringify, await, printing): not header reads. */
const LANGUAGE_PROPERTIES = new Set(['toJSON', 'then', 'constructor', 'valueOf', 'toString', 'hasOwnProperty', 'inspect']);

/** How {@link InputGuard.watchProperty} treats one property. */
export interface PropertyWatch {
  /** The input recorded on each read (omitted: the view records its own reads). */
  input?: string;
  kind?: InputKind;
  /** Wraps the value handed out (e.g. a headers view); made once per watch. */
  view?: (value: unknown) => unknown;
  /**
   * Inputs the original getter reads for itself that are not reads by the handler, or `'all'`.
   * (Express's `req.protocol` looks at the client's address only to decide whether to trust
   * `X-Forwarded-Proto`, whose read is recorded anyway.)
   */
  quiet?: readonly string[] | 'all';
}

export class InputGuard {
  readonly #tripped = new Map<string, InputKind>();
  #watching = true;
  /** Inputs not recorded right now (a framework getter is reading for itself); `'all'` for every one. */
  #quiet: readonly string[] | 'all' = [];
  readonly #allowed: ReadonlySet<string>;
  /** `unkeyed: '*'`: header reads are never recorded (per-user state still is). */
  readonly #anyHeader: boolean;

  constructor(keyedHeaders: readonly string[], unkeyed: ReadonlySet<string>, anyHeader = false) {
    this.#allowed = new Set([...keyedHeaders, ...unkeyed, ...FRAMEWORK_HEADERS]);
    this.#anyHeader = anyHeader;
  }

  /** The inputs read that are not in the key, in first-read order. */
  get tripped(): string[] {
    return [...this.#tripped.keys()];
  }

  /** What kind of input `input` is (for the warning). */
  kindOf(input: string): InputKind {
    return this.#tripped.get(input) ?? 'header';
  }

  /** Stops recording (the response is complete; later reads cannot shape it). */
  stop(): void {
    this.#watching = false;
  }

  /** Records a read of `input` (a header name, a per-request property, `ip`). */
  read(input: string, kind: InputKind = 'header'): void {
    if (!this.#watching) return;
    const name = normalizeInputName(input);
    if (this.#allowed.has(name) || this.#tripped.has(name)) return;
    const quiet = this.#quiet;
    if (quiet === 'all' || quiet.includes(name)) return;
    this.#tripped.set(name, kind);
  }

  /** Runs `read` with the given inputs not recorded. */
  quietly<T>(inputs: readonly string[] | 'all', read: () => T): T {
    const previous = this.#quiet;
    this.#quiet = inputs === 'all' || previous === 'all' ? 'all' : [...previous, ...inputs];
    try {
      return read();
    } finally {
      this.#quiet = previous;
    }
  }

  /** A view of a headers object that records each header read (and enumeration of them all). */
  watchHeaders<T extends object>(headers: T): T {
    if (this.#anyHeader) return headers;
    return new Proxy(headers, readingTraps((property) => {
      if (typeof property === 'string' && !LANGUAGE_PROPERTIES.has(property)) this.read(property.toLowerCase());
    }));
  }

  /**
   * A view of `rawHeaders` (`[name, value, name, value, …]`) that records the header of each element
   * read: looking through it (indexOf, iteration, slice) reads every header it passes.
   */
  watchRawHeaders(raw: readonly string[]): readonly string[] {
    if (this.#anyHeader) return raw;
    const read = (property: string | symbol, target: readonly string[]) => {
      if (typeof property !== 'string' || !/^\d+$/.test(property)) return;
      const index = Number(property);
      const name = target[index - (index % 2)];
      if (typeof name === 'string') this.read(name.toLowerCase());
    };
    return new Proxy(raw, {
      get: (target, property, receiver) => (read(property, target), Reflect.get(target, property, receiver)),
      getOwnPropertyDescriptor: (target, property) => (read(property, target), Reflect.getOwnPropertyDescriptor(target, property)),
    });
  }

  /**
   * A view of a bag of per-request values (`res.locals`, `ctx.state`): reading one that was there
   * when the handler started (or one of `always`, present or not) records `<prefix>.<name>`.
   * What the handler itself puts in the bag is its own.
   */
  watchBag<T extends object>(bag: T, prefix: string, always: readonly string[] = []): T {
    const watched = new Set([...Object.keys(bag), ...always]);
    const read = (property: string | symbol) => {
      if (typeof property === 'string' && watched.has(property)) this.read(`${prefix}.${property}`, 'state');
    };
    return new Proxy(bag, {
      ...readingTraps<T>(read),
      set: (target, property, value, receiver) => {
        if (typeof property === 'string') watched.delete(property);
        return Reflect.set(target, property, value, receiver);
      },
      defineProperty: (target, property, descriptor) => {
        if (typeof property === 'string') watched.delete(property);
        return Reflect.defineProperty(target, property, descriptor);
      },
      deleteProperty: (target, property) => {
        if (typeof property === 'string') watched.delete(property);
        return Reflect.deleteProperty(target, property);
      },
    });
  }

  /**
   * Replaces `owner[property]` with an accessor that records its reads, until the returned undo.
   * Works for own data properties and for getters inherited from a prototype (Koa's ctx.cookies,
   * Express's req.ip); a value the handler assigns is kept, and read back without recording.
   */
  watchProperty(owner: object, property: string, watch: PropertyWatch): () => void {
    const own = Object.getOwnPropertyDescriptor(owner, property);
    if (own && !own.configurable) return () => {};
    let value: unknown = own && 'value' in own ? own.value : undefined;
    let assigned = false;
    let viewed: { of: unknown; view: unknown } | undefined;
    const guard = this;
    const original = function (this: unknown): unknown {
      if (own && 'value' in own) return own.value;
      return own?.get ? own.get.call(this) : inherited(owner, property, this);
    };
    Object.defineProperty(owner, property, {
      configurable: true,
      enumerable: own?.enumerable ?? true,
      get(this: unknown) {
        if (assigned) return value;
        if (watch.input !== undefined) guard.read(watch.input, watch.kind);
        const current = guard.quietly(watch.quiet ?? [], () => original.call(this));
        if (!watch.view || current === null || typeof current !== 'object' || !guard.#watching) return current;
        if (viewed?.of !== current) viewed = { of: current, view: watch.view(current) };
        return viewed.view;
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
  static message(route: string, input: string, kind: InputKind = 'header'): string {
    const what =
      kind === 'header' ? `the request header '${input}'` : kind === 'client' ? `the client's address (${input})` : `per-request state (${input})`;
    const fix =
      kind === 'header'
        ? `add it to the key with cached({ vary: ['${input}'] }), compute the key yourself with cached({ key: (req) => … })`
        : `compute a per-user key with cached({ key: (req) => req.user?.id }) (or don't cache this route)`;
    return (
      `Larder did not store the response of ${route}: the handler read ${what}, which is not part of the cache key, ` +
      `so the response could differ between visitors. To cache it, ${fix}, or declare the read harmless with cached({ unkeyed: ['${input}'] }).`
    );
  }
}

/** Proxy traps that report every property looked up, tested or enumerated to `read`, then do it. */
function readingTraps<T extends object>(read: (property: string | symbol) => void): ProxyHandler<T> {
  return {
    get: (target, property, receiver) => (read(property), Reflect.get(target, property, receiver)),
    has: (target, property) => (read(property), Reflect.has(target, property)),
    getOwnPropertyDescriptor: (target, property) => (read(property), Reflect.getOwnPropertyDescriptor(target, property)),
    ownKeys: (target) => {
      const names = Reflect.ownKeys(target);
      for (const name of names) read(name);
      return names;
    },
  };
}

function inherited(owner: object, property: string, receiver: unknown): unknown {
  const proto = Object.getPrototypeOf(owner) as object | null;
  return proto ? Reflect.get(proto, property, receiver) : undefined;
}
