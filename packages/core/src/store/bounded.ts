/**
 * The one timeout policy for store operations: whatever a caller waits for settles within the
 * larder's `storeTimeout`. A store method that throws synchronously rejects instead, so that no
 * caller is left holding a lock (a single-flight entry, a leader) because a custom store threw.
 *
 * The operation itself is not cancelled (stores offer no way to): a late answer is ignored, and a
 * late failure is already handled by the race, so it is never an unhandled rejection.
 */
export function settleWithin<T>(run: () => Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  const operation = attempt(run);
  // setTimeout would fire at once for Infinity (and warn): an unbounded storeTimeout means no timer.
  if (!(ms < 2 ** 31)) return operation;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // Timers run before I/O callbacks: after the event loop was blocked for longer than the timeout, an
    // answer already in the socket would lose to it. Deciding in the check phase lets it win.
    timer = setTimeout(() => setImmediate(() => reject(onTimeout())), ms);
  });
  return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
}

/** `run()`, with a synchronous throw turned into a rejection. */
export function attempt<T>(run: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}
