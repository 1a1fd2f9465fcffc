import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { systemClock } from '../clock.js';
import { StoreConfigError } from '../errors.js';
import { KeyvStore } from '../store/backends/keyv-store.js';
import { resolveStore } from '../store/backends/resolve-store.js';
import { redact, splitStoreParams } from '../store/backends/store-url.js';
import { tagKey } from '../store/tags.js';
import { failure, usageError } from './errors.js';
import { redisReader } from './redis-reader.js';
import { sqliteReader } from './sqlite-reader.js';
import type { StoreReader } from './store-reader.js';

/**
 * Opens the store an app uses, from outside the app, through the same store code the app runs
 * (so keys, namespaces and value formats are the app's own). The namespace is `--namespace`, the
 * URL's `?namespace=`, or Larder's default, as for the app.
 * @throws CliError: exit 2 for a missing, memory or unsupported URL; exit 1 for a missing file or an unreachable server.
 */
export async function openStore(url: string | undefined, namespace: string | undefined): Promise<StoreReader> {
  const trimmed = url?.trim() ?? '';
  if (trimmed === '') throw usageError('no store given: pass --store sqlite://./.larder/cache.sqlite (or redis://host:6379), or set LARDER_STORE');
  if (trimmed === 'memory://') {
    throw usageError(
      "the memory store lives inside the app's process: there is nothing to inspect from outside. " +
        'Mount larderInspector() in the app, or use a sqlite:// or redis:// store',
    );
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme !== 'sqlite' && scheme !== 'redis' && scheme !== 'rediss') {
    throw usageError(`${JSON.stringify(redact(trimmed))} is not a store the CLI can read: use sqlite://<path> or redis://host:port[/db]`);
  }
  const path = scheme === 'sqlite' ? sqlitePath(trimmed) : undefined;
  // Opening a file that is not there would create an empty store: say so instead.
  if (path !== undefined && (path === ':memory:' || !existsSync(path))) throw failure(`no SQLite store at ${path}`);
  let store;
  try {
    store = resolveStore(trimmed, { clock: systemClock, namespace });
  } catch (error) {
    if (error instanceof StoreConfigError) throw usageError(error.message.split('\n')[0]!);
    throw error;
  }
  if (!(store instanceof KeyvStore)) throw usageError(`${redact(trimmed)} is not a SQLite or Redis store`);
  const effective = store.keyv.namespace ?? 'larder';
  if (path !== undefined) return sqliteReader(store, `sqlite://${path}`, effective);
  const location = redact(trimmed);
  await connected(store, location);
  return redisReader(store, location, effective);
}

/** The absolute path of a `sqlite://` URL (without its `?namespace=`). */
function sqlitePath(url: string): string {
  let bare;
  try {
    bare = splitStoreParams(url, false).url;
  } catch (error) {
    throw usageError(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
  const path = bare.slice('sqlite://'.length);
  if (path === '') throw usageError(`${JSON.stringify(url)} has no file path`);
  return path === ':memory:' ? path : resolve(path);
}

/**
 * Resolves once Redis answers a command; rejects with the reason (host and port, no password)
 * otherwise. The store waits for its first connection attempt before a write, and then fails fast:
 * deleting a key no app writes is that first write.
 */
async function connected(store: KeyvStore, location: string): Promise<void> {
  const client = (store.keyv.store as { client?: { on?(event: string, listener: (error: unknown) => void): void } }).client;
  let cause: unknown;
  client?.on?.('error', (error) => (cause ??= error));
  try {
    await store.delete(tagKey('larder:cli-probe'));
  } catch (error) {
    await store.close();
    throw failure(`cannot reach Redis at ${location}: ${reasonOf(cause ?? error)}`);
  }
}

function reasonOf(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return code ?? message?.split('\n')[0] ?? String(error);
}
