import type KeyvRedisModule from '@keyv/redis';
import type { Store } from '../store.js';
import { KeyvStore } from './keyv-store.js';
import { redisRawAccess, type RedisBytes } from './raw-access.js';
import { redisLeases } from './redis-lease.js';
import type { RedisClientLike, RedisClientOptions } from './redis-client.js';
import { RedisLink } from './redis-link.js';
import { chooseNamespace, invalidStore, redact, splitStoreParams } from './store-url.js';

/** The modules a Redis store is built from: @keyv/redis, and the node-redis client it is built on. */
export interface RedisModules {
  keyvRedis: typeof KeyvRedisModule;
  client: { createClient(options: RedisClientOptions): unknown; RESP_TYPES: { BLOB_STRING: number } };
}

/**
 * A store on `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS), with `?namespace=` and, for
 * `rediss://`, `?ca=<PEM file>`. Larder makes the node-redis client itself (redis-link.ts: RESP3 with
 * client tracking, fail-fast, one warning when unreachable) and hands it to @keyv/redis, which deletes and
 * clears; values, leases and invalidations go through the client directly.
 *
 * @throws StoreConfigError for a URL it cannot use.
 */
export function redisStore(url: string, namespaceOption: string | undefined, defaultNamespace: string, modules: RedisModules): Store {
  const { url: bare, params } = splitStoreParams(url, url.toLowerCase().startsWith('rediss:'));
  let parsed: URL;
  try {
    parsed = new URL(bare);
  } catch (cause) {
    throw invalidStore(`${JSON.stringify(redact(url))} is not a valid URL`, cause);
  }
  if (parsed.hostname === '') throw invalidStore(`${JSON.stringify(redact(url))} names no host`);
  if (!/^\/?(\d+)?$/.test(parsed.pathname)) throw invalidStore(`the database in ${JSON.stringify(redact(url))} must be a number`);
  const namespace = chooseNamespace(url, namespaceOption, params.namespace) ?? defaultNamespace;

  const link = new RedisLink({ url: bare, display: redact(bare), ca: params.ca, namespace }, (options) => modules.client.createClient(options) as RedisClientLike);
  const blobs = { [modules.client.RESP_TYPES.BLOB_STRING]: Buffer };
  // One Buffer-mapped view per client (the link changes client once if the server refuses RESP3).
  let viewOf: RedisClientLike | undefined;
  let view: RedisBytes | undefined;
  const bytes = (client: RedisClientLike): RedisBytes => {
    if (viewOf !== client) [viewOf, view] = [client, client.withTypeMapping(blobs) as unknown as RedisBytes];
    return view!;
  };
  const connection = (): RedisBytes | Promise<RedisBytes> => {
    const ready = link.ready();
    return ready instanceof Promise ? ready.then(bytes) : bytes(ready);
  };

  const { default: KeyvRedis } = modules.keyvRedis as unknown as { default: new (client: unknown, options: object) => { client: unknown } };
  const adapter = new KeyvRedis(link.client, { namespace, throwOnErrors: true, throwOnConnectError: true });
  return KeyvStore.fromAdapter(adapter as never, {
    kind: 'redis',
    namespace,
    raw: redisRawAccess(connection, namespace),
    leases: redisLeases(link, namespace),
    tracking: link,
    connection: {
      // @keyv/redis deletes and clears through the client it was given: give it the one in use now.
      ready: () => {
        // (The setter adds @keyv/redis's listeners to the client: only when it changed.)
        if (adapter.client !== link.client) adapter.client = link.client;
        return link.ready();
      },
      close: () => link.close(),
    },
  });
}
