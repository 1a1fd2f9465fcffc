import { setTimeout as sleep } from 'node:timers/promises';
import { assertOk, getCounts, header, httpGet, type Counts } from './http.ts';

export interface PrimeOptions {
  /** Server base URL. */
  base: string;
  /** Path and query of the cached route, e.g. `/data` or `/big?n=hit`. */
  path: string;
  /** Which `/__count` counter belongs to the route's handler. */
  counter: keyof Counts;
  /** Larder contenders must also label the miss and the hit with `X-Cache`. */
  larder: boolean;
  /** When given, every priming response must carry exactly these bytes. */
  expected?: Buffer;
}

/**
 * Makes a cached route hot and proves it: the first request runs the handler (and, for Larder, says
 * `X-Cache: MISS`); then requests are repeated until one leaves the handler count unchanged (and, for
 * Larder, says `X-Cache: HIT`). Repeating covers stores whose write lands just after the response.
 *
 * Returns the handler count once hot: while hits are measured it must not move.
 */
export async function primeCache(options: PrimeOptions): Promise<number> {
  const { base, path, counter, larder, expected } = options;
  const url = `${base}${path}`;
  const cacheHeader = (res: Awaited<ReturnType<typeof httpGet>>) => header(res, 'x-cache') ?? '(none)';

  const before = (await getCounts(base))[counter];
  const first = await httpGet(url);
  assertOk(first, 'first request', expected);
  if ((await getCounts(base))[counter] !== before + 1) throw new Error(`the first request to ${path} did not run the handler`);
  if (larder && cacheHeader(first) !== 'MISS') throw new Error(`first request to ${path} has X-Cache ${cacheHeader(first)}, expected MISS`);

  for (let attempt = 0; attempt < 50; attempt += 1) {
    const runs = (await getCounts(base))[counter];
    const res = await httpGet(url);
    assertOk(res, 'replay', expected);
    const hit = (await getCounts(base))[counter] === runs;
    if (larder && cacheHeader(res) !== (hit ? 'HIT' : 'MISS')) {
      throw new Error(`${path}: X-Cache says ${cacheHeader(res)} but the handler ${hit ? 'did not run' : 'ran'}`);
    }
    if (hit) return runs;
    await sleep(20);
  }
  throw new Error(`${path} still not served from cache after 50 requests (was the response stored?)`);
}
