import { setTimeout as sleep } from 'node:timers/promises';
import { documentBytes, makeDocument, SIZES, type Document } from './payload.ts';

/** How long the stampede route's handler works before answering. */
export const SLOW_HANDLER_MS = 50;

export const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * What every benchmark server serves, whatever its framework or cache:
 *
 * - `GET /data`: a JSON document of `--bytes` bytes (hit throughput);
 * - `GET /slow`: a small JSON body after 50 ms of work (stampede);
 * - `GET /big`: a 10 MiB JSON document (large payload), built on first use;
 * - `GET /__count`: how many times each handler ran, never cached.
 *
 * The counters are how the runner proves that a measured run was served from cache: the handler
 * count must not move while the load runs.
 */
export interface RouteState {
  readonly counts: { data: number; slow: number; big: number };
  readonly doc: Document;
  /** `doc` serialized once, for the floor contender. */
  readonly body: Buffer;
  big(): Document;
  slow(): Promise<{ ok: true }>;
}

export function createRouteState(bytes: number): RouteState {
  const doc = makeDocument(bytes);
  let big: Document | undefined;
  return {
    counts: { data: 0, slow: 0, big: 0 },
    doc,
    body: documentBytes(bytes),
    big: () => (big ??= makeDocument(SIZES['10mb'])),
    async slow() {
      await sleep(SLOW_HANDLER_MS);
      return { ok: true };
    },
  };
}
