// Turns the function-cache probe's results into RESULTS.md tables and checks against the targets.
import { DASH, fixed, ratio, percent } from '../lib/format.ts';
import { median, pairedRatio, spread } from '../lib/stats.ts';
import type { Check, Table } from '../lib/types.ts';
import type { ContenderHits, CorrectnessResult, HitsResult, KeyOp, KeysResult } from '../probes/functions.ts';
import type { ContenderId } from './contenders.ts';
import { HIT_CASES, type HitCaseId } from './payloads.ts';

/** cacheData hit ÷ the fastest copying peer's hit, per case (issue 17). */
const HIT_TARGETS: Record<HitCaseId, number> = { small: 0.5, rows: 0.9, large: 1.0 };
const CASE_LABELS: Record<HitCaseId, string> = { small: '(a) small result', rows: '(b) 100 rows', large: '(c) 1 MB result' };

/** Peers that hand every caller a copy of their own: the ones cacheData, which copies too, is held to. */
function copyingPeers(result: HitsResult): Array<[ContenderId, ContenderHits]> {
  return (Object.entries(result.contenders) as Array<[ContenderId, ContenderHits]>).filter(
    ([id, row]) => row.copies === true && !id.startsWith('larder') && row.nsPerCall.length > 0,
  );
}

/** Per round, the fastest copying peer's nanoseconds per hit. */
function fastestCopyingPerRound(result: HitsResult): number[] | undefined {
  const peers = copyingPeers(result);
  if (peers.length === 0) return undefined;
  const rounds = Math.min(...peers.map(([, row]) => row.nsPerCall.length));
  return Array.from({ length: rounds }, (_, i) => Math.min(...peers.map(([, row]) => row.nsPerCall[i]!)));
}

/** The copying peer with the lowest median, to name in labels. */
function fastestCopyingName(result: HitsResult): string {
  const peers = copyingPeers(result).sort(([, a], [, b]) => median(a.nsPerCall) - median(b.nsPerCall));
  return peers[0]?.[0] ?? 'none ran';
}

/** Median microseconds per call, to a precision that suits its size. */
function cell(ns: number[] | undefined): string {
  const us = ns && ns.length > 0 ? median(ns) / 1000 : undefined;
  return us === undefined ? DASH : fixed(us, us < 10 ? 2 : us < 1000 ? 1 : 0);
}

export function hitsTable(result: HitsResult): Table {
  const floor = fastestCopyingPerRound(result);
  const rows = (Object.entries(result.contenders) as Array<[ContenderId, ContenderHits]>).map(([id, row]) => {
    return [
      id,
      row.copies === undefined ? DASH : row.copies ? 'yes' : 'no',
      cell(row.nsPerCall),
      percent(row.nsPerCall.length > 0 ? spread(row.nsPerCall) : undefined),
      ratio(floor ? pairedRatio(row.nsPerCall, floor) : undefined),
      id === 'sqlite-select' ? DASH : String(row.runsWhileMeasured),
    ];
  });
  return {
    title: `${HIT_CASES[result.case].title}: ${result.argumentBytes.toLocaleString('en-US')} B of arguments, ${result.resultBytes.toLocaleString('en-US')} B result (JSON)`,
    columns: ['contender', 'copies', 'µs per hit (median)', 'spread', '× fastest copying peer', 'function runs'],
    rows,
  };
}

export function hitsChecks(result: HitsResult): Check[] {
  const floor = fastestCopyingPerRound(result);
  const data = result.contenders['larder-data'];
  const checks: Check[] = [];
  if (data || floor) {
    checks.push({
      scenario: 'functions',
      label: `${CASE_LABELS[result.case]}: cacheData hit ÷ fastest copying peer's hit (${fastestCopyingName(result)})`,
      value: data && floor ? pairedRatio(data.nsPerCall, floor) : undefined,
      op: '<=',
      target: HIT_TARGETS[result.case],
      unit: 'ratio',
      chart: true,
    });
  }
  const sqlite = result.contenders['larder-data-sqlite'];
  const select = result.contenders['sqlite-select'];
  if (sqlite || select) {
    checks.push({
      scenario: 'functions',
      label: `${CASE_LABELS[result.case]}: cacheData SQLite hit ÷ prepared SELECT of the same row`,
      value: sqlite && select ? pairedRatio(sqlite.nsPerCall, select.nsPerCall) : undefined,
      op: '<=',
      target: 2,
      unit: 'ratio',
      chart: true,
    });
  }
  return checks;
}

function sizeLabel(bytes: number): string {
  if (bytes >= 1_000_000) return `${bytes / 1_000_000} MB`;
  if (bytes >= 1_000) return `${bytes / 1_000} KB`;
  return `${bytes} B`;
}

export function keysTable(result: KeysResult): Table {
  const rows = result.sizes.map(({ bytes, nsPerCall }) => {
    const pair = (a: KeyOp, b: KeyOp) => ratio(pairedRatio(nsPerCall[a] ?? [], nsPerCall[b] ?? []));
    return [
      sizeLabel(bytes),
      cell(nsPerCall['float-hashValue']),
      cell(nsPerCall['float-sha256']),
      pair('float-hashValue', 'float-sha256'),
      cell(nsPerCall['nested-hashValue']),
      cell(nsPerCall['nested-json']),
      pair('nested-hashValue', 'nested-json'),
    ];
  });
  return {
    title: 'Key cost (µs per key, medians): hashValue of a Float64Array vs SHA-256 of its bytes; of a nested object vs JSON.stringify',
    columns: ['argument', 'Float64Array: hashValue', 'SHA-256', '÷ SHA-256', 'nested object: hashValue', 'JSON.stringify', '÷ JSON.stringify'],
    rows,
  };
}

export function keysChecks(result: KeysResult): Check[] {
  return [10_000, 1_000_000].flatMap((bytes) => {
    const size = result.sizes.find((s) => s.bytes === bytes);
    if (!size) return [];
    return [{
      scenario: 'functions',
      label: `Nested-object key ÷ JSON.stringify, ${sizeLabel(bytes)}`,
      value: pairedRatio(size.nsPerCall['nested-hashValue'] ?? [], size.nsPerCall['nested-json'] ?? []),
      op: '<=' as const,
      target: 1.2,
      unit: 'ratio' as const,
      chart: true,
    }];
  });
}

export function correctnessTable(result: CorrectnessResult): Table {
  const ids = Object.keys(result.contenders) as ContenderId[];
  const outcomes = ids.map((id) => result.contenders[id]!.outcomes);
  const wrong = outcomes.map((list) => list.filter((o) => o !== 'right').length);
  return {
    title: 'Which caches return the right result for the second of two argument lists that lossy keys confuse',
    columns: ['arguments (first vs second)', ...ids],
    rows: [
      ...result.pairs.map((label, i) => [label, ...outcomes.map((list) => list[i] ?? DASH)]),
      [`wrong or throws (of ${result.pairs.length})`, ...wrong.map(String)],
    ],
  };
}

export function correctnessChecks(result: CorrectnessResult): Check[] {
  const data = result.contenders['larder-data'];
  return [{
    scenario: 'functions',
    label: `cacheData key: lossy-key pairs answered wrong (of ${result.pairs.length})`,
    value: data ? data.outcomes.filter((o) => o !== 'right').length : undefined,
    op: '=',
    target: 0,
    unit: 'count',
    chart: false,
  }];
}

/** How each contender keys its calls, for the scenario's method text. */
export function keyingTable(keying: ReadonlyMap<ContenderId, string>): Table {
  return { title: 'How each contender keys a call', columns: ['contender', 'key from the arguments'], rows: [...keying].map(([id, how]) => [id, how]) };
}
