import type { LeaderOutcome } from './capture.js';

/**
 * How long a request waits for another's miss before it runs the handler itself (a leader whose
 * handler hangs must not hang the others), and how long a staleWhileRevalidate refresh counts as
 * running. The default of a lease (fleet): the same bound in one process as across processes.
 */
export const LEADER_WAIT_MS = 10_000;

/** A miss in progress that identical requests wait for; `'lapsed'` once it took longer than LEADER_WAIT_MS. */
export interface Leader {
  readonly outcome: Promise<LeaderOutcome | undefined | 'lapsed'>;
  /**
   * Once it settled: the last request number that may still use it. Requests that arrived while it ran
   * but whose store read answers after it settled (a slow store, or one that is down) use its outcome
   * too; later requests read the store as usual.
   */
  settledAt?: number;
  /** How many of those requests have not been judged yet; the leader is forgotten when none remain. */
  owed?: number;
}

/**
 * The misses in progress of one route, by key: single-flight with a bound. A request whose store
 * read is asynchronous takes a turn when it asks ({@link arrive}); when the read answers, it follows
 * the leader of its key ({@link leaderFor}) or becomes one ({@link lead}).
 */
export class Leaders {
  readonly #leaders = new Map<string, Leader>();
  /** Requests numbered as they reach the store read, and how many per key are between read and judgement. */
  #turns = 0;
  readonly #judging = new Map<string, number>();

  /** A request for `key` starts an asynchronous read: its turn. (Synchronous reads use turn 0.) */
  arrive(key: string): number {
    this.#judging.set(key, (this.#judging.get(key) ?? 0) + 1);
    return ++this.#turns;
  }

  /** The leader request `turn` may follow: one in progress, or one that settled after `turn` arrived. */
  leaderFor(key: string, turn: number): Leader | undefined {
    const leader = this.#leaders.get(key);
    if (turn === 0) return leader?.settledAt === undefined ? leader : undefined;
    const judging = this.#judging.get(key) ?? 1;
    if (judging > 1) this.#judging.set(key, judging - 1);
    else this.#judging.delete(key);
    if (leader?.settledAt === undefined) return leader;
    if (turn > leader.settledAt) return undefined;
    leader.owed = (leader.owed ?? 1) - 1;
    if (leader.owed <= 0) this.#forget(key, leader);
    return leader;
  }

  /** `leader` lapsed: forgets it, and returns its successor if a waiter already took over. */
  lapsed(key: string, leader: Leader): Leader | undefined {
    this.#forget(key, leader);
    return this.#leaders.get(key);
  }

  /**
   * A miss for `key` runs: registered as its leader unless one is in progress. `settle` hands the
   * outcome to the requests that wait; it lapses for them after LEADER_WAIT_MS.
   */
  lead(key: string): (outcome: LeaderOutcome | undefined) => void {
    let settle!: (outcome: LeaderOutcome | undefined) => void;
    const settled = new Promise<LeaderOutcome | undefined>((resolve) => (settle = resolve));
    let timer: NodeJS.Timeout | undefined;
    const lapsed = new Promise<'lapsed'>((resolve) => {
      timer = setTimeout(resolve, LEADER_WAIT_MS, 'lapsed');
      timer.unref();
    });
    const leader: Leader = { outcome: Promise.race([settled, lapsed]) };
    const current = this.#leaders.get(key);
    const leads = current === undefined || current.settledAt !== undefined;
    if (leads) this.#leaders.set(key, leader);
    return (outcome) => {
      clearTimeout(timer);
      if (leads && this.#leaders.get(key) === leader) {
        // Requests between their read and their judgement arrived while this ran: they may use it.
        const owed = this.#judging.get(key);
        if (owed === undefined) this.#leaders.delete(key);
        else Object.assign(leader, { settledAt: this.#turns, owed });
      }
      settle(outcome);
    };
  }

  #forget(key: string, leader: Leader): void {
    if (this.#leaders.get(key) === leader) this.#leaders.delete(key);
  }
}
