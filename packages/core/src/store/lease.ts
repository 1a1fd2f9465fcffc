import { randomBytes } from 'node:crypto';
import { parseDuration } from '../duration.js';
import { BadOptionError } from '../errors.js';
import { LEASE_PREFIX, type LeaseBackend, type LeaseState } from './store.js';

/*
 * Leases: one computation per cold key across every process sharing a store.
 *
 * The first process to miss takes the key's lease in the store and computes; the others wait for its
 * entry, woken by the store (Redis pub/sub) or by a bounded poll (SQLite). The holder releases the lease
 * once its entry has landed, or at once when there is nothing to share (an unstorable response, an error);
 * a released lease tells the waiters to run themselves, as in-process followers of an unstorable response
 * do. A holder that dies is found out when its lease lapses: one waiter takes a new lease and the others
 * follow it, but no waiter follows more than the lease it found and one successor. Any store failure
 * while taking or checking a lease means "run it yourself": a lease never fails a request.
 */

/** Compute, then `release(true)` once the entry is written, or `release(false)` when there is none to share. */
export interface FleetLead {
  kind: 'lead';
  release(stored?: boolean): void;
}

/** A process's turn on a miss: lead, or use what the fleet's leader stored. */
export type FleetTurn<T> = FleetLead | { kind: 'found'; value: T };

/** What {@link Leases} needs from the larder. */
export interface LeaseContext {
  /** Bound of one lease operation (the larder's storeTimeout): past it, the caller runs itself. */
  timeoutMs: number;
  /** The writes of `key` (and of its `~vary` variants) still on their way to the store. */
  settled(key: string): Promise<void>;
  onError(key: string, error: unknown): void;
}

/** The default `lease`: how long a leader may take before the others stop waiting for it. */
export const DEFAULT_LEASE_MS = 10_000;

/**
 * Validates a `lease` option: a duration (numbers are seconds), or `false` for none. Returns milliseconds, 0 for none.
 * @throws BadOptionError for a lease that never lapses; BadDurationError for anything else that is not a duration.
 */
export function parseLease(value: unknown, example: string): number {
  if (value === false) return 0;
  if (value === true || value === null || value === Infinity || (typeof value === 'string' && value.trim().toLowerCase() === 'forever')) {
    throw new BadOptionError('lease', `expected a duration or false, got ${String(value)} (a lease must lapse, or a process that dies holding it would stall the others)`, example);
  }
  return parseDuration(value, 'lease');
}

/** A turn that takes no lease: compute, nothing to release. */
export const RUN: FleetLead = Object.freeze({ kind: 'lead', release() {} });

/** The leases of one larder on one store. */
export class Leases {
  readonly #backend: LeaseBackend;
  readonly #ctx: LeaseContext;
  /** Releases on their way, so that closing the larder lets the other processes go first. */
  readonly #releasing = new Set<Promise<void>>();

  constructor(backend: LeaseBackend, ctx: LeaseContext) {
    this.#backend = backend;
    this.#ctx = ctx;
  }

  /**
   * A miss on `key`: lead (the lease is ours, or no lease could be had) or use the entry another
   * process stored, found by `probe` (which answers a usable entry, or undefined). Never rejects.
   */
  async turn<T>(key: string, ms: number, probe: () => Promise<T | undefined>): Promise<FleetTurn<T>> {
    const token = newToken();
    const claimed = await this.#claim(key, token, ms);
    if (claimed === undefined) return RUN;
    if (claimed === true) return this.#lead(key, token, ms, probe);
    return this.#follow(key, ms, claimed, probe);
  }

  /**
   * A background refresh of `key` (staleWhileRevalidate): the lease if nobody holds it and `probe`
   * finds no newer entry, so that one process in the fleet refreshes. Undefined: leave it to the other.
   */
  async refresh<T>(key: string, ms: number, probe: () => Promise<T | undefined>): Promise<FleetLead | undefined> {
    const token = newToken();
    const claimed = await this.#claim(key, token, ms);
    if (claimed === undefined) return RUN;
    if (claimed !== true) return undefined;
    const turn = await this.#lead(key, token, ms, probe);
    return turn.kind === 'lead' ? turn : undefined;
  }

  /** Ours: check once more that no entry landed just before (a leader that finished between our read and claim). */
  async #lead<T>(key: string, token: string, ms: number, probe: () => Promise<T | undefined>): Promise<FleetTurn<T>> {
    const expires = performance.now() + ms;
    let released = false;
    const release = (stored = false): void => {
      if (released) return;
      released = true;
      const releasing = this.#release(key, token, expires, stored);
      this.#releasing.add(releasing);
      void releasing.finally(() => this.#releasing.delete(releasing));
    };
    const found = await probe();
    if (found !== undefined) {
      release(true);
      return { kind: 'found', value: found };
    }
    return { kind: 'lead', release };
  }

  async #follow<T>(key: string, ms: number, heldFor: number, probe: () => Promise<T | undefined>): Promise<FleetTurn<T>> {
    const backend = this.#backend;
    const started = performance.now();
    let expires = started + heldFor;
    // A lapse is followed once: past the lease we found and one more, run whatever happens.
    const deadline = expires + ms;
    await this.#within(backend.listen()).catch((error: unknown) => this.#ctx.onError(key, error));
    for (;;) {
      // The entry and the lease, looked at side by side (one round trip, or two SQLite queries at once).
      const looking = this.#within(backend.inspect(LEASE_PREFIX + key));
      const found = await probe();
      if (found !== undefined) {
        looking.catch(ignore);
        return { kind: 'found', value: found };
      }
      let state: LeaseState;
      try {
        state = await looking;
      } catch (error) {
        this.#ctx.onError(key, error);
        return RUN;
      }
      if (state === 'released' || state === 'free') {
        // The entry may have landed between the probe and the look at the lease.
        const landed = await probe();
        if (landed !== undefined) return { kind: 'found', value: landed };
      }
      if (state === 'released') return RUN;
      const now = performance.now();
      if (now >= deadline) return RUN;
      if (state === 'free') {
        const token = newToken();
        const claimed = await this.#claim(key, token, ms);
        if (claimed === undefined) return RUN;
        if (claimed === true) return this.#lead(key, token, ms, probe);
        expires = now + claimed;
      } else {
        expires = now + state.held;
      }
      await backend.wait(LEASE_PREFIX + key, Math.max(1, Math.min(backend.pollMs(now - started), expires - now, deadline - now)));
    }
  }

  /** Settles when the releases under way have reached the store (or failed). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#releasing]);
  }

  /** `true` (ours), the holder's remaining milliseconds, or undefined when the store failed. */
  async #claim(key: string, token: string, ms: number): Promise<true | number | undefined> {
    const claiming = this.#backend.claim(LEASE_PREFIX + key, token, Math.ceil(ms));
    try {
      return await this.#within(claiming);
    } catch (error) {
      this.#ctx.onError(key, error);
      // A claim that answers after its timeout may still have taken the lease: give it back.
      claiming.then((taken) => (taken === true ? this.#backend.release(LEASE_PREFIX + key, token, false) : undefined)).catch(ignore);
      return undefined;
    }
  }

  /** After the entry has landed (never later than the lease would lapse anyway), release and wake the waiters. */
  async #release(key: string, token: string, expires: number, stored: boolean): Promise<void> {
    if (stored) await within(this.#ctx.settled(key), expires - performance.now()).catch(ignore);
    try {
      await this.#within(this.#backend.release(LEASE_PREFIX + key, token, stored));
    } catch (error) {
      this.#ctx.onError(key, error);
    }
  }

  #within<T>(promise: Promise<T>): Promise<T> {
    return within(promise, this.#ctx.timeoutMs);
  }
}

/** `promise`, or a rejection after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // In the check phase, after the I/O that arrived meanwhile (see EntryAccess's read timeout).
    timer = setTimeout(() => setImmediate(() => reject(new Error(`the store did not answer a lease operation within ${Math.round(ms)} ms`))), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function newToken(): string {
  return randomBytes(12).toString('base64url');
}

function ignore(): void {}
