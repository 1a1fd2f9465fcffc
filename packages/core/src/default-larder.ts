import { Larder, type LarderOptions } from './larder.js';
import type { ResourceRegistry } from './functions/registry.js';

let instance: Larder | undefined;

/**
 * The larder used when no `larder` option is given. Created on first use, with its store
 * from the `LARDER_STORE` environment variable (default: memory).
 */
export function defaultLarder(): Larder {
  if (!instance || instance.closed) instance = new Larder({});
  return instance;
}

/**
 * Configures the default larder (its store, bounds, clock). Safe to call before or after
 * cached functions are defined: they look the default larder up on every call.
 * @example configure({ store: process.env.LARDER_STORE ?? 'sqlite://./.larder/cache.sqlite' });
 */
export function configure(options: LarderOptions): Larder {
  if (!instance || instance.closed) instance = new Larder(options, 'configure');
  else instance.reconfigure(options);
  return instance;
}

/** The default larder's resource registry. */
export const resources: ResourceRegistry = new Proxy({} as ResourceRegistry, {
  get(_target, property) {
    const registry = defaultLarder().resources;
    const value = Reflect.get(registry, property, registry) as unknown;
    return typeof value === 'function' ? value.bind(registry) : value;
  },
});
