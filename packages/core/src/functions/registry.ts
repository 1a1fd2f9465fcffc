import { parseDuration } from '../duration.js';
import { BadOptionError, ResourceError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { LarderEvent, LarderEventName } from '../events.js';
import { markResource } from '../hash/resource-identity.js';
import { checkOptions } from '../options.js';
import { SingleFlight } from './single-flight.js';

/** Options of `larder.resources.register()`. */
export interface RegisterOptions<T> {
  /** Called exactly once per created value when it is released, expires, fails `validate` or the larder closes. */
  dispose?: (value: T) => unknown;
  /** Called on every `get` that finds a value; `false` disposes it and creates a new one. */
  validate?: (value: T) => boolean | Promise<boolean>;
  /** Recreate the value after this long (a duration). @default forever */
  ttl?: number | string | null;
}

const REGISTER_OPTIONS = ['dispose', 'validate', 'ttl'] as const satisfies ReadonlyArray<keyof RegisterOptions<unknown>>;

/** What the registry needs of its larder: the clock `ttl` is measured with, and where errors go. */
interface RegistryOwner {
  readonly clock: Clock;
  emitEvent?(name: LarderEventName, event: LarderEvent): void;
}

interface Registration<T> {
  factory: () => T | Promise<T>;
  dispose: ((value: T) => unknown) | undefined;
  validate: ((value: T) => boolean | Promise<boolean>) | undefined;
  ttlMs: number;
}

interface Instance {
  name: string;
  value: unknown;
  createdAt: number;
  disposed: boolean;
}

/**
 * App-wide resources by name, created lazily and once, shared by every route, disposed in
 * reverse creation order when the larder closes.
 * @example
 * larder.resources.register('db', () => openPool(), { dispose: (pool) => pool.end() });
 * const pool = await larder.resources.get('db');
 */
export class ResourceRegistry {
  /** Whose clock measures `ttl`: the owning larder's, read afresh (configure() may replace it). */
  readonly #owner: RegistryOwner;
  readonly #registrations = new Map<string, Registration<any>>();
  /** Live instances in creation order; disposal walks it backwards. */
  readonly #instances = new Map<string, Instance>();
  readonly #flights = new SingleFlight<unknown>();
  #closed = false;

  constructor(owner: RegistryOwner) {
    this.#owner = owner;
  }

  /** Declares a resource; nothing is created until the first `get`. */
  register<T>(name: string, factory: () => T | Promise<T>, options?: RegisterOptions<T>): this {
    this.#assertOpen(name);
    if (typeof name !== 'string' || name.length === 0) {
      throw new BadOptionError('name', 'expected a non-empty string', "resources.register('db', () => openPool())");
    }
    options = checkOptions(options, { factory: 'resources.register', known: REGISTER_OPTIONS, example: `resources.register('${name}', () => openPool(), { dispose: (pool) => pool.end() })` });
    if (typeof factory !== 'function') {
      throw new BadOptionError('factory', `expected a function for resource '${name}'`, `resources.register('${name}', () => openPool())`);
    }
    for (const hook of ['dispose', 'validate'] as const) {
      if (options[hook] !== undefined && typeof options[hook] !== 'function') {
        throw new BadOptionError(hook, 'expected a function', `{ ${hook}: (pool) => pool.end() }`);
      }
    }
    if (this.#registrations.has(name)) {
      throw new ResourceError(`A resource named '${name}' is already registered. Use another name, or release('${name}') and get it again to recreate it.`);
    }
    const ttlMs = options.ttl === undefined ? Infinity : parseDuration(options.ttl, 'ttl');
    this.#registrations.set(name, { factory, dispose: options.dispose, validate: options.validate, ttlMs });
    return this;
  }

  /** Whether a resource of this name is registered. */
  has(name: string): boolean {
    return this.#registrations.has(name);
  }

  /** Names of every registered resource. */
  names(): string[] {
    return [...this.#registrations.keys()];
  }

  /** The shared value, created on first use (concurrent first calls create one instance). */
  async get<T = unknown>(name: string): Promise<T> {
    this.#assertOpen(name);
    const registration = this.#registrations.get(name);
    if (!registration) {
      const known = this.names();
      throw new ResourceError(
        `Unknown resource '${name}'. ` +
          (known.length ? `Registered resources: ${known.map((n) => `'${n}'`).join(', ')}.` : 'No resources are registered yet.') +
          ` Register it first: resources.register('${name}', () => create()).`,
      );
    }
    const instance = this.#instances.get(name);
    if (instance && !registration.validate && !this.#expired(instance, registration)) return instance.value as T;
    return this.#flights.run(name, () => this.#obtain(name, registration)) as Promise<T>;
  }

  async #obtain(name: string, registration: Registration<unknown>): Promise<unknown> {
    const instance = this.#instances.get(name);
    if (instance) {
      const stillGood = !this.#expired(instance, registration) && (!registration.validate || (await registration.validate(instance.value)));
      if (stillGood) return instance.value;
      // The old value's dispose failing must not keep the caller from a new one: it is an `error` event.
      await this.#dispose(instance).catch((error: unknown) =>
        this.#owner.emitEvent?.('error', { cache: name, kind: 'resource', key: name, reason: 'released', error }),
      );
    }
    const value = await registration.factory();
    if (this.#closed) {
      // close() already disposed what it held; this value never entered the registry, so nothing else would.
      try {
        await registration.dispose?.(value);
      } finally {
        this.#assertOpen(name);
      }
    }
    markResource(value, `registry:${name}`);
    this.#instances.set(name, { name, value, createdAt: this.#owner.clock.now(), disposed: false });
    return value;
  }

  /** Disposes the created value (if any); the next `get` creates a new one. */
  async release(name: string): Promise<void> {
    const instance = this.#instances.get(name);
    if (instance) await this.#dispose(instance);
  }

  /**
   * Disposes every created value in reverse creation order; the registrations stay, so the next `get`
   * creates each again (`cacheResource.clear()` calls it). One failing `dispose` does not keep the others.
   */
  async releaseAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const instance of [...this.#instances.values()].reverse()) {
      await this.#dispose(instance).catch((error: unknown) => errors.push(error));
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'Several resources failed to dispose');
  }

  /** Disposes every created value in reverse creation order, exactly once. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.releaseAll();
  }

  #expired(instance: Instance, registration: Registration<unknown>): boolean {
    return registration.ttlMs !== Infinity && this.#owner.clock.now() - instance.createdAt >= registration.ttlMs;
  }

  async #dispose(instance: Instance): Promise<void> {
    if (instance.disposed) return;
    instance.disposed = true;
    if (this.#instances.get(instance.name) === instance) this.#instances.delete(instance.name);
    await this.#registrations.get(instance.name)?.dispose?.(instance.value);
  }

  #assertOpen(name: string): void {
    if (this.#closed) {
      throw new ResourceError(`Cannot use resource '${name}': its larder was closed. Create a new larder to keep using resources.`);
    }
  }
}
