/**
 * The parts of node-redis (`@redis/client` 5, which @keyv/redis 5 is built on) Larder uses, typed
 * structurally: it is @keyv/redis's dependency, not ours. All of it is public API.
 */
export interface RedisClientLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  duplicate(overrides?: Record<string, unknown>): RedisClientLike;
  on(event: string, listener: (...args: any[]) => void): RedisClientLike;
  off(event: string, listener: (...args: any[]) => void): RedisClientLike;
  sendCommand(args: string[]): Promise<unknown>;
  withTypeMapping(mapping: Record<number, unknown>): RedisClientLike;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
}

/** What `createClient` of node-redis accepts, as far as Larder sets it. */
export interface RedisClientOptions {
  url: string;
  RESP?: 2 | 3;
  emitInvalidate?: boolean;
  disableOfflineQueue?: boolean;
  commandsQueueMaxLength?: number;
  maintNotifications?: 'disabled';
  socket: { connectTimeout: number; reconnectStrategy: (retries: number) => number; tls?: boolean; ca?: Buffer };
}

/** Where a link connects, and how it is named in messages. */
export interface RedisTarget {
  /** The URL node-redis connects to (credentials and database included, Larder's parameters removed). */
  url: string;
  /** The URL with its password replaced by `***`. */
  display: string;
  ca: Buffer | undefined;
  /** Keys of this namespace (`<namespace>::<key>`) are the ones whose invalidations are reported. */
  namespace: string;
}
