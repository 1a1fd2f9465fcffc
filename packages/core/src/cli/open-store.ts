import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { systemClock } from '../clock.js';
import { StoreConfigError } from '../errors.js';
import { KeyvStore } from '../store/backends/keyv-store.js';
import { redact, resolveStore } from '../store/backends/resolve-store.js';
import { failure, usageError } from './errors.js';
import { redisReader } from './redis-reader.js';
import { sqliteReader } from './sqlite-reader.js';
import type { StoreReader } from './store-reader.js';

/** How long the CLI waits for Redis to accept the connection. */
const REDIS_CONNECT_MS = 3_000;

/**
 * Opens the store an app uses, from outside the app, through the same store code the app runs
 * (so keys, namespaces and value formats are the app's own).
 * @throws CliError: exit 2 for a missing, memory or unsupported URL; exit 1 for a missing file or an unreachable server.
 */
export async function openStore(url: string | undefined, namespace: string): Promise<StoreReader> {
  const trimmed = url?.trim() ?? '';
  if (trimmed === '') throw usageError('no store given: pass --store sqlite://./.larder/cache.sqlite (or redis://host:6379), or set LARDER_STORE');
  if (trimmed === 'memory://') {
    throw usageError(
      "the memory store lives inside the app's process: there is nothing to inspect from outside. " +
        'Mount larderInspector() in the app, or use a sqlite:// or redis:// store',
    );
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    const path = trimmed.slice('sqlite://'.length);
    // Opening a file that is not there would create an empty store: say so instead.
    if (path === '' || path === ':memory:' || !existsSync(resolve(path))) throw failure(`no SQLite store at ${path === '' ? '(empty path)' : resolve(path)}`);
  } else if (scheme !== 'redis' && scheme !== 'rediss') {
    throw usageError(`${JSON.stringify(redact(trimmed))} is not a store the CLI can read: use sqlite://<path> or redis://host:port[/db]`);
  }
  let store;
  try {
    store = resolveStore(trimmed, { clock: systemClock, namespace });
  } catch (error) {
    if (error instanceof StoreConfigError) throw usageError(error.message.split('\n')[0]!);
    throw error;
  }
  if (!(store instanceof KeyvStore)) throw usageError(`${redact(trimmed)} is not a SQLite or Redis store`);
  if (scheme === 'sqlite') return sqliteReader(store, `sqlite://${resolve(trimmed.slice('sqlite://'.length))}`, namespace);
  await connected(store, redact(trimmed));
  return redisReader(store, redact(trimmed), namespace);
}

/** Resolves once Redis is ready; rejects with the connection error (host and port, no password) otherwise. */
async function connected(store: KeyvStore, location: string): Promise<void> {
  const client = (store.keyv.store as { client: { isReady: boolean; once(event: string, listener: (error?: unknown) => void): void; off(event: string, listener: (error?: unknown) => void): void } }).client;
  if (client.isReady) return;
  let onReady!: () => void;
  let onError!: (error?: unknown) => void;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onReady = resolve;
      onError = (error) => reject(failure(`cannot reach Redis at ${location}: ${reasonOf(error)}`));
      client.once('ready', onReady);
      client.once('error', onError);
      timer = setTimeout(() => reject(failure(`cannot reach Redis at ${location}: no answer within ${REDIS_CONNECT_MS / 1000} s`)), REDIS_CONNECT_MS);
    });
  } catch (error) {
    await store.close();
    throw error;
  } finally {
    clearTimeout(timer);
    client.off('ready', onReady);
    client.off('error', onError);
  }
}

function reasonOf(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return code ?? message ?? String(error);
}
