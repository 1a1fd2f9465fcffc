import type { Framework } from '../servers/shared/args.ts';
import type { ProcessSpec } from './spawn.ts';
import type { LarderPackage, Stores } from './types.ts';

export const FRAMEWORKS: readonly Framework[] = ['express4', 'express5', 'koa'];

export type Contender =
  | 'floor'
  /** Koa only, a reference line: answers before routing with ctx.respond = false (no target uses it). */
  | 'raw'
  | 'framework'
  | 'larder-memory'
  | 'larder-sqlite'
  | 'larder-redis'
  | 'apicache'
  | 'koa-cash';

/** The established cache middleware each framework is compared with. */
export function peerOf(framework: Framework): 'apicache' | 'koa-cash' {
  return framework === 'koa' ? 'koa-cash' : 'apicache';
}

/** The package a contender's server imports, or undefined for baselines and peers. */
export function larderPackage(framework: Framework, contender: Contender): LarderPackage | undefined {
  if (!contender.startsWith('larder-')) return undefined;
  return framework === 'koa' ? '@larder/koa' : '@larder/express';
}

export function needsRedis(contender: Contender): boolean {
  return contender === 'larder-redis';
}

/** Is this contender's route cached (so its handler must not run while hits are measured)? */
export function isCached(contender: Contender): boolean {
  return contender !== 'floor' && contender !== 'framework' && contender !== 'raw';
}

/**
 * The server process for a contender. Every contender of a framework serves the same handler
 * functions (bench/servers/shared/*-app.ts); only the middleware in front of them differs.
 */
export function serverSpec(label: string, framework: Framework, contender: Contender, bytes: number, stores: Stores): ProcessSpec {
  const family = framework === 'koa' ? 'koa' : 'express';
  const common = ['--framework', framework, '--bytes', String(bytes)];
  switch (contender) {
    case 'floor':
    case 'framework':
    case 'raw':
      return { label, file: `bench/servers/${family}-baseline.ts`, args: [...common, '--mode', contender] };
    case 'apicache':
      return { label, file: 'bench/servers/express-apicache.ts', args: common };
    case 'koa-cash':
      return { label, file: 'bench/servers/koa-cash.ts', args: common };
    case 'larder-memory':
    case 'larder-sqlite':
    case 'larder-redis':
      return { label, file: `bench/servers/${family}-larder.ts`, args: [...common, '--store', storeUrl(label, contender, stores)] };
  }
}

function storeUrl(label: string, contender: Contender, stores: Stores): string {
  if (contender === 'larder-memory') return stores.memory;
  if (contender === 'larder-sqlite') return stores.sqlite(label.replaceAll('/', '-'));
  if (stores.redis === undefined) throw new Error(`skipped: ${stores.redisProblem ?? 'no redis-server'}`);
  return stores.redis;
}
