import type { StoreTracking } from '../store.js';
import type { RedisClientLike, RedisClientOptions, RedisTarget } from './redis-client.js';
import { settleWithin } from './settle-within.js';

/** Between reconnection attempts while Redis is unreachable: quick at first, never more than ~1 s. */
/**
 * Commands node-redis may hold waiting for replies: a server that accepts and stops answering (SIGSTOP,
 * a silent proxy) would otherwise collect every command sent meanwhile. Past it, commands fail at once.
 */
const REDIS_QUEUE_MAX = 10_000;
const backoff = (retries: number): number => Math.min(50 * 2 ** retries, 1_000) + Math.floor(Math.random() * 100);
const CONNECT_TIMEOUT_MS = 2_000;
/** A graceful disconnect waits for commands in flight; past this, close() returns anyway. */
const CLOSE_TIMEOUT_MS = 1_000;

/**
 * Larder's connection to a Redis server, through node-redis's public API only.
 *
 * - **RESP3 with client tracking** (`emitInvalidate`): the server pushes an invalidation for every key this
 *   connection read once it changes, which lets the near cache trust its copies (near-tracking.ts). Tracking
 *   counts as on only once `CLIENT TRACKINGINFO` confirms it on this connection; a server that refuses
 *   `HELLO 3` (Redis < 6, some proxies) gets a RESP2 connection instead, and the fingerprint check.
 * - **Fail fast.** Commands wait for the first connection attempt only; after it, a command while Redis is
 *   unreachable rejects at once (`disableOfflineQueue`) instead of queueing until it is back.
 * - **Named once.** A first attempt that fails prints one warning naming the server (password redacted);
 *   later failures are the larder's `error` events.
 */
export class RedisLink implements StoreTracking {
  readonly target: RedisTarget;
  readonly #create: (options: RedisClientOptions) => RedisClientLike;
  readonly #listeners: Array<(key: string | null) => void> = [];
  readonly #prefix: string;
  #client!: RedisClientLike;
  #resp: 2 | 3 = 3;
  #active = false;
  /** Settles when the first connection attempt (over every protocol tried) is over. */
  #firstAttempt: Promise<void> | undefined;
  #firstAttemptOver!: () => void;
  /** Settles when the attempt in flight (if any) is over: close() waits for it, see #shutdown. */
  #dialing: Promise<void> | undefined;
  #subscriber: RedisClientLike | undefined;
  #closing: Promise<void> | undefined;
  #warned = false;

  constructor(target: RedisTarget, create: (options: RedisClientOptions) => RedisClientLike) {
    this.target = target;
    this.#create = create;
    this.#prefix = `${target.namespace}::`;
    this.#firstAttempt = new Promise<void>((resolve) => (this.#firstAttemptOver = resolve));
    this.#open();
  }

  /** The client in use now (it changes once, if the server refuses RESP3). */
  get client(): RedisClientLike {
    return this.#client;
  }

  /** Whether invalidations are being pushed: connected over RESP3 with tracking confirmed. */
  get active(): boolean {
    return this.#active;
  }

  onInvalidate(listener: (key: string | null) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * The client, ready for a command: waits for the first connection attempt, then rejects at once
   * while Redis is unreachable. Answers without a promise once the first attempt is over.
   */
  ready(): RedisClientLike | Promise<RedisClientLike> {
    if (this.#firstAttempt) return this.#firstAttempt.then(() => this.#readyClient());
    return this.#readyClient();
  }

  /** Subscribes a connection of its own to `channel` (for lease wake-ups); resolves once subscribed. */
  async subscribe(channel: string, listener: (message: string) => void, onState: (listening: boolean) => void): Promise<void> {
    if (this.#closing) throw new Error('the store is closed');
    const subscriber = this.#client.duplicate({ emitInvalidate: false });
    this.#subscriber = subscriber;
    subscriber.on('error', () => onState(false)).on('end', () => onState(false)).on('ready', () => onState(true));
    try {
      await subscriber.connect();
      await subscriber.subscribe(channel, listener);
    } catch (error) {
      // A later wait tries again with a connection of its own: this one must not go on reconnecting.
      subscriber.destroy();
      if (this.#subscriber === subscriber) this.#subscriber = undefined;
      throw error;
    }
    onState(subscriber.isReady);
  }

  /** Disconnects. Idempotent; never rejects. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  #readyClient(): RedisClientLike {
    if (this.#closing) throw new Error(`This Larder redis store is closed; create a new larder to cache again.`);
    if (!this.#client.isReady) throw new Error(`Redis at ${this.target.display} is not connected.`);
    return this.#client;
  }

  #open(): void {
    const { url, ca } = this.target;
    const tls = /^rediss:/i.test(url);
    const client = this.#create({
      url,
      ...(this.#resp === 3 ? { RESP: 3, emitInvalidate: true } : {}),
      disableOfflineQueue: true,
      commandsQueueMaxLength: REDIS_QUEUE_MAX,
      maintNotifications: 'disabled',
      socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: backoff, ...(tls ? { tls: true, ...(ca ? { ca } : {}) } : {}) },
    });
    this.#client = client;
    this.#watch(client);
    client.connect().catch(ignore);
  }

  #watch(client: RedisClientLike): void {
    let settle: () => void = ignore;
    const dial = (): void => {
      this.#dialing = new Promise<void>((resolve) => (settle = resolve));
    };
    const dialed = (): void => {
      settle();
      this.#dialing = undefined;
    };
    dial();
    const lost = (): void => {
      if (this.#client !== client) return;
      this.#setActive(false);
    };
    client.on('reconnecting', () => {
      dial();
      lost();
    });
    client.on('end', lost);
    client.on('error', (error: unknown) => {
      dialed();
      lost();
      if (this.#client !== client) return;
      if (this.#firstAttempt && this.#resp === 3 && refusesResp3(error)) return this.#fallBack(client);
      this.#firstAttemptDone();
      if (!this.#warned && !this.#closing) {
        this.#warned = true;
        process.emitWarning(
          `Larder cannot reach its Redis store at ${this.target.display}: ${message(error)}. ` +
            `Cached calls and routes run uncached until it answers; failures are reported as 'error' events of the larder.`,
          { code: 'LARDER_STORE_UNREACHABLE' },
        );
      }
    });
    client.on('ready', () => {
      dialed();
      this.#warned = true;
      this.#firstAttemptDone();
      if (this.#resp === 3) this.#confirmTracking(client);
    });
    client.on('invalidate', (key: Buffer | string | null) => {
      if (this.#client === client) this.#invalidate(key);
    });
  }

  /** The server refused `HELLO 3`: the same server over RESP2, without tracking. */
  #fallBack(client: RedisClientLike): void {
    this.#resp = 2;
    client.destroy();
    this.#open();
  }

  /**
   * node-redis turns tracking on in its handshake when asked to (`emitInvalidate`). NOLOOP spares this
   * connection the pushes of its own writes: a copy Larder just wrote stays (checked once by fingerprint,
   * since a write ends the server's tracking of a key) instead of being dropped by its own write.
   * Tracking counts as on once `CLIENT TRACKINGINFO` confirms both on this connection.
   */
  #confirmTracking(client: RedisClientLike): void {
    client
      .sendCommand(['CLIENT', 'TRACKING', 'ON', 'NOLOOP'])
      .then(() => client.sendCommand(['CLIENT', 'TRACKINGINFO']))
      .then(
        (info) => this.#setActive(this.#client === client && client.isReady && trackingFlags(info).includes('noloop')),
        () => this.#setActive(false),
      );
  }

  #setActive(active: boolean): void {
    const was = this.#active;
    this.#active = active;
    // Whatever was read before a disconnect is no longer watched by the server.
    if (was && !active) this.#notify(null);
  }

  #invalidate(key: Buffer | string | null): void {
    if (key === null) return this.#notify(null);
    const name = key.toString();
    if (name.startsWith(this.#prefix)) this.#notify(name.slice(this.#prefix.length));
  }

  #notify(key: string | null): void {
    for (const listener of this.#listeners) listener(key);
  }

  #firstAttemptDone(): void {
    if (!this.#firstAttempt) return;
    this.#firstAttempt = undefined;
    this.#firstAttemptOver();
  }

  async #shutdown(): Promise<void> {
    this.#setActive(false);
    const client = this.#client;
    // node-redis does not destroy a socket that is still connecting when the client is destroyed: that
    // socket then connects anyway and keeps the process alive. Let the attempt in flight finish first.
    if (this.#dialing && client.isOpen && !client.isReady) await settleWithin(this.#dialing, CLOSE_TIMEOUT_MS);
    this.#subscriber?.destroy();
    if (!client.isOpen) return;
    // A graceful close waits for queued commands, which never drain while Redis is unreachable.
    // Connected but silent (a stopped server, a socket that never answers): the close never gets its
    // replies, and the open socket would keep the process alive. Drop the connection instead.
    if (client.isReady && (await settleWithin(client.close(), CLOSE_TIMEOUT_MS))) return;
    if (client.isOpen) client.destroy();
  }
}

/** `ERR unknown command 'HELLO'` (Redis < 6), `NOPROTO` (a server that knows HELLO but not protocol 3). */
function refusesResp3(error: unknown): boolean {
  const text = message(error);
  return /NOPROTO/.test(text) || (/unknown command/i.test(text) && /HELLO/i.test(text));
}

/** The `flags` of a `CLIENT TRACKINGINFO` answer (`on`, `noloop`, …); RESP3 maps arrive as objects, Maps or arrays. */
function trackingFlags(info: unknown): string[] {
  let flags: unknown;
  if (info instanceof Map) flags = info.get('flags');
  else if (Array.isArray(info)) flags = info[info.findIndex((item) => String(item) === 'flags') + 1];
  else if (typeof info === 'object' && info !== null) flags = (info as Record<string, unknown>).flags;
  const list = Array.isArray(flags) ? flags.map(String) : [];
  return list.includes('on') ? list : [];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function ignore(): void {}
