import autocannon from 'autocannon';

export interface LoadOptions {
  /** Full URL, path included. */
  url: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  /** Stop after exactly this many requests. */
  amount?: number;
  /** A path per request (e.g. distinct cache keys); by default every request uses `url`'s path. */
  nextPath?: () => string;
}

export interface LoadSample {
  /** Completed requests per second over the run. */
  rps: number;
  requests: number;
  /** Milliseconds. */
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
}

/**
 * One autocannon run (pipelining 1, keep-alive). A run with any error, timeout or non-2xx response
 * throws: a benchmark of failing requests is not a result.
 */
export async function runLoad(options: LoadOptions): Promise<LoadSample> {
  const { nextPath } = options;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    timeout: 30,
    ...(options.amount === undefined ? { duration: options.duration ?? 3 } : { amount: options.amount }),
    ...(nextPath ? { requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: nextPath() }) }] } : {}),
  });
  const failures = result.errors + result.timeouts + result.non2xx;
  if (failures > 0) {
    throw new Error(
      `${options.url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx responses out of ${result.requests.total}`,
    );
  }
  return {
    rps: result.requests.total / result.duration,
    requests: result.requests.total,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    latencyMax: result.latency.max,
  };
}
