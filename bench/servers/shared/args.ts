import { parseArgs } from 'node:util';

export type Framework = 'express4' | 'express5' | 'koa';

/** What the runner tells a server process (see bench/lib/contenders.ts, which builds these flags). */
export interface ServerArgs {
  /** Express major version for the Express servers; ignored by the Koa ones. */
  framework: Framework;
  /** Size of the `/data` body. */
  bytes: number;
  /**
   * Baseline servers: `floor` is the fastest route handler (pre-serialized bytes), `framework` the idiomatic
   * one (res.json / ctx.body = obj), `raw` (Koa only) a reference that answers before routing with
   * `ctx.respond = false`.
   */
  mode: 'floor' | 'framework' | 'raw';
  /** Larder servers: the `createLarder({ store })` URL. */
  store: string;
  /** Memory probe server: the memory store's `maxBytes`, 0 for unbounded. */
  maxBytes: number;
  /** Larder servers: mount larderInspector() at /_larder in front of the routes (its cost on them). */
  inspector: boolean;
}

export function parseServerArgs(argv: readonly string[] = process.argv.slice(2)): ServerArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      framework: { type: 'string', default: 'express5' },
      bytes: { type: 'string', default: '1024' },
      mode: { type: 'string', default: 'framework' },
      store: { type: 'string', default: 'memory://' },
      'max-bytes': { type: 'string', default: '0' },
      inspector: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const framework = values.framework;
  if (framework !== 'express4' && framework !== 'express5' && framework !== 'koa') {
    throw new Error(`--framework must be express4, express5 or koa, got ${framework}`);
  }
  const mode = values.mode;
  if (mode !== 'floor' && mode !== 'framework' && mode !== 'raw') throw new Error(`--mode must be floor, framework or raw, got ${mode}`);
  return {
    framework,
    bytes: positiveInt('--bytes', values.bytes),
    mode,
    store: values.store,
    maxBytes: positiveInt('--max-bytes', values['max-bytes'], true),
    inspector: values.inspector,
  };
}

function positiveInt(flag: string, raw: string, allowZero = false): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0 || (n === 0 && !allowZero)) throw new Error(`${flag} must be a positive integer, got ${raw}`);
  return n;
}
