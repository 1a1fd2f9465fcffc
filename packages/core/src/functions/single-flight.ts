/**
 * Concurrent callers with the same key share one promise; the entry is deleted when it settles,
 * so a rejection is never kept (the next caller runs again).
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  run(key: string, work: () => T | Promise<T>): Promise<T> {
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    // Deferring `work` keeps a synchronous throw from settling before the entry exists.
    const promise: Promise<T> = Promise.resolve()
      .then(work)
      .finally(() => {
        if (this.#inFlight.get(key) === promise) this.#inFlight.delete(key);
      });
    this.#inFlight.set(key, promise);
    return promise;
  }

  has(key: string): boolean {
    return this.#inFlight.has(key);
  }

  /** The promise of the call in flight for `key`, if any. */
  pending(key: string): Promise<T> | undefined {
    return this.#inFlight.get(key);
  }
}
