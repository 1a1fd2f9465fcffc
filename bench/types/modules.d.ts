// Minimal declarations for the untyped packages the benchmark drives. They cover only the surface
// bench/ uses, so that the harness type-checks without adding @types packages to the workspace.

declare module 'express4' {
  // Express 4's routing and response API used here (get, json, writeHead) matches Express 5's types.
  import express from 'express';
  export default express;
}

declare module 'apicache' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

  interface ApiCache {
    /** `duration` is a plain-English string (`'1 hour'`) or milliseconds. */
    middleware(duration?: string | number): Middleware;
  }

  const apicache: ApiCache;
  export default apicache;
}

declare module 'koa-cash' {
  import type { Middleware } from 'koa';

  interface KoaCashOptions {
    get(key: string, maxAge: number): Promise<unknown>;
    set(key: string, value: unknown, maxAge: number): Promise<unknown>;
    setCachedHeader?: boolean;
    maxAge?: number;
  }

  function koaCash(options: KoaCashOptions): Middleware;
  export default koaCash;
}

declare module 'autocannon' {
  namespace autocannon {
    interface RawRequest {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
    }

    interface RequestOptions extends RawRequest {
      setupRequest?: (request: RawRequest, context: Record<string, unknown>) => RawRequest;
    }

    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      amount?: number;
      pipelining?: number;
      timeout?: number;
      headers?: Record<string, string>;
      requests?: RequestOptions[];
    }

    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
    }

    interface Result {
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      latency: Histogram;
      requests: Histogram & { sent: number };
      throughput: Histogram;
    }
  }

  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export default autocannon;
}
