import type { LarderEventName, LarderReason } from './events.js';

/** One miss, bypass or error, as the inspector lists it. */
export interface RecentReason {
  event: Extract<LarderEventName, 'miss' | 'bypass' | 'error'>;
  reason: LarderReason;
  /** When it happened (ms since the epoch, by the larder's clock). */
  at: number;
}

/** How many reasons each cache keeps: enough to see a pattern, small enough to ignore. */
export const RECENT_REASONS = 32;

/**
 * The last {@link RECENT_REASONS} reasons per cached function or route, newest first. A ring per
 * name, so memory stays bounded by the number of spaces whatever the traffic; noting one costs an
 * array write.
 */
export class RecentReasons {
  readonly #rings = new Map<string, { items: RecentReason[]; next: number }>();

  note(cache: string, event: RecentReason['event'], reason: LarderReason, at: number): void {
    let ring = this.#rings.get(cache);
    if (!ring) this.#rings.set(cache, (ring = { items: [], next: 0 }));
    ring.items[ring.next] = { event, reason, at };
    ring.next = (ring.next + 1) % RECENT_REASONS;
  }

  /** The reasons noted for `cache`, newest first. */
  of(cache: string): RecentReason[] {
    const ring = this.#rings.get(cache);
    if (!ring) return [];
    const { items, next } = ring;
    const ordered = [...items.slice(next), ...items.slice(0, next)];
    return ordered.reverse();
  }
}
