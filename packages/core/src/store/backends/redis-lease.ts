import type { LeaseBackend, LeaseState } from '../store.js';
import type { RedisLink } from './redis-link.js';

/** How often a waiter looks again when the wake-up subscription is up: a safety net for a lost message. */
const SUBSCRIBED_POLL_MS = 200;
/** ... and when it is not (still connecting, or refused): at first, then a tenth of the time waited, up to the above. */
const UNSUBSCRIBED_POLL_MS = 20;
/** How long a "released" mark stays: waiters are woken at once; this is for one that looks a little late. */
const RELEASED_FOR_MS = 1_000;
const RELEASED = 'R';

// -3: taken. Otherwise the holder's PTTL. A released lease is free to take.
const CLAIM = `local v = redis.call('GET', KEYS[1])
if v and v ~= '${RELEASED}' then return redis.call('PTTL', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return -3`;

// -2: free. -4: released. Otherwise the holder's PTTL.
const INSPECT = `local v = redis.call('GET', KEYS[1])
if not v then return -2 end
if v == '${RELEASED}' then return -4 end
return redis.call('PTTL', KEYS[1])`;

// Only the holder releases: deleted when its entry landed, else marked released. The waiters are woken
// either way (a message too many costs one look).
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  if ARGV[2] == '0' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], '${RELEASED}', 'PX', ARGV[2]) end
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

/**
 * Leases as Redis keys beside the entries (`<namespace>::l:<entry key>`): taken with `SET … PX` when
 * absent or released, in one script so that two processes never both take one. A release publishes the
 * key on `<namespace>::lease`, which a connection of its own (made on the first wait) listens to, so
 * waiters wake as soon as the leader's entry has landed; a slow poll covers a message lost to a reconnect.
 */
export function redisLeases(link: RedisLink, namespace: string): LeaseBackend {
  const prefix = (key: string) => `${namespace}::${key}`;
  const channel = `${namespace}::lease`;
  const waiters = new Map<string, Set<() => void>>();
  let subscription: Promise<void> | undefined;
  let listening = false;

  const run = async (script: string, key: string, args: string[]): Promise<number> => {
    const client = await link.ready();
    return Number(await client.eval(script, { keys: [prefix(key)], arguments: args }));
  };
  const wake = (key: string): void => {
    for (const resolve of waiters.get(key) ?? []) resolve();
  };

  return {
    async claim(key, token, ms) {
      const answer = await run(CLAIM, key, [token, String(ms)]);
      return answer === -3 ? true : Math.max(1, answer);
    },
    async inspect(key): Promise<LeaseState> {
      const answer = await run(INSPECT, key, []);
      if (answer === -2) return 'free';
      if (answer === -4) return 'released';
      return { held: Math.max(1, answer) };
    },
    async release(key, token, stored) {
      await run(RELEASE, key, [token, stored ? '0' : String(RELEASED_FOR_MS), channel, key]);
    },
    listen() {
      // The first wait subscribes; one that comes while that is under way (or down) polls meanwhile.
      if (subscription) return Promise.resolve();
      subscription = link.subscribe(channel, wake, (up) => (listening = up)).catch((error: unknown) => {
        subscription = undefined;
        throw error;
      });
      return subscription;
    },
    wait(key, ms) {
      return new Promise<void>((resolve) => {
        let set = waiters.get(key);
        if (!set) waiters.set(key, (set = new Set()));
        const done = (): void => {
          clearTimeout(timer);
          set!.delete(done);
          if (set!.size === 0 && waiters.get(key) === set) waiters.delete(key);
          resolve();
        };
        const timer = setTimeout(done, ms);
        set.add(done);
      });
    },
    pollMs: (waited) => (listening ? SUBSCRIBED_POLL_MS : Math.min(SUBSCRIBED_POLL_MS, Math.max(UNSUBSCRIBED_POLL_MS, waited / 10))),
  };
}
