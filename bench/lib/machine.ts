import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths.ts';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started: a busy machine explains noisy numbers. */
  loadAtStart: number;
  /** Filled in when the run ends. */
  loadAtEnd?: number;
  redis: string;
  commit: string;
  packages: Record<string, string>;
}

const PACKAGES = [
  'express4', 'express', 'koa', '@koa/router', 'apicache', 'koa-cash', 'autocannon',
  'p-memoize', 'bentocache', 'cacheable', 'async-cache-dedupe', 'lru-cache', 'sqlite3',
];

export function describeMachine(redisVersion: string): Machine {
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()} ${process.arch}`,
    node: process.version,
    loadAtStart: loadAverage(),
    redis: redisVersion,
    commit: gitCommit(),
    packages: Object.fromEntries(PACKAGES.map((name) => [name, installedVersion(name)])),
  };
}

export function loadAverage(): number {
  return Number((loadavg()[0] ?? 0).toFixed(2));
}

function installedVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '?';
  } catch {
    return 'not installed';
  }
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'uncommitted';
  }
}
