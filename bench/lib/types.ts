import type { BenchOptions } from './cli.ts';
import type { ProcessSpec, ServerProcess } from './spawn.ts';

export type LarderPackage = '@larder/core' | '@larder/express' | '@larder/koa';

/** One measurable unit; `--only` matches substrings of its id (`hit/express5/1kb/floor`). */
export interface CaseInfo {
  id: string;
  /** The built Larder package the case imports, if any. */
  larder: LarderPackage | undefined;
  /** Needs the bench's redis-server. */
  redis: boolean;
}

/** A measured value next to its target from the issue. */
export interface Check {
  scenario: string;
  label: string;
  /** Undefined when a side of the comparison did not run (filtered out, skipped or failed). */
  value: number | undefined;
  op: '>=' | '<=' | '=';
  target: number;
  unit: 'ratio' | 'µs' | 'ms' | 'runs' | 'count';
  /** Ratios go into ratios.svg; counts and times only into the tables. */
  chart: boolean;
}

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
}

export interface ScenarioReport {
  name: string;
  title: string;
  /** How the scenario measures, for RESULTS.md. */
  method: string;
  tables: Table[];
  checks: Check[];
  /** Skipped or failed cases, with the reason. */
  problems: string[];
  /** Observations worth reading next to the numbers (they do not fail the run). */
  notes: string[];
}

/** Larder store URLs for this run; `redis` is undefined when redis-server is unavailable. */
export interface Stores {
  memory: string;
  sqlite(name: string): string;
  redis: string | undefined;
  redisProblem: string | undefined;
  flushRedis(): Promise<void>;
}

export interface RunContext {
  options: BenchOptions;
  stores: Stores;
  startServer(spec: ProcessSpec): Promise<ServerProcess>;
  runProbe(spec: ProcessSpec): Promise<unknown>;
  /** Progress lines and finished tables, printed as the run goes. */
  log(message: string | Table): void;
}

export interface Scenario {
  name: string;
  title: string;
  cases(options: BenchOptions): CaseInfo[];
  run(ctx: RunContext, selected: ReadonlySet<string>): Promise<ScenarioReport>;
}
