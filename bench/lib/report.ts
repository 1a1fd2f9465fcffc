import { measured, targetText, verdict } from './checks.ts';
import type { BenchOptions } from './cli.ts';
import type { Machine } from './machine.ts';
import type { Check, ScenarioReport, Table } from './types.ts';

/** Aligned plain-text table for the console. */
export function textTable(table: Table): string {
  const all = [table.columns, ...table.rows];
  const widths = table.columns.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [`  ${table.title}`, `  ${line(table.columns)}`, `  ${rule}`, ...table.rows.map((r) => `  ${line(r)}`)].join('\n');
}

export function checksTable(checks: readonly Check[]): Table {
  return {
    title: 'Targets',
    columns: ['check', 'measured', 'target', 'result'],
    rows: checks.map((c) => [c.label, measured(c), targetText(c), verdict(c)]),
  };
}

function markdownTable(table: Table): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  const align = table.columns.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [
    `| ${table.columns.map(escape).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

function flags(options: BenchOptions): string {
  const only = options.only.length > 0 ? `--only ${options.only.join(',')}` : '';
  return [options.quick ? '--quick' : '', only, options.larder ? '' : '--no-larder', options.pin ? '' : '--no-pin'].filter(Boolean).join(' ');
}

export interface ResultsDocument {
  options: BenchOptions;
  fullRun: boolean;
  machine: Machine;
  /** Which CPUs the servers and the load generator ran on (bench/lib/cpus.ts). */
  cpus: string;
  startedAt: Date;
  elapsedSeconds: number;
  reports: readonly ScenarioReport[];
  /** Cases left out before the run (package not built, no redis-server). */
  skipped: readonly string[];
  chartFile: string;
  /** Hand-written analysis of the missed targets (bench/LIMITS.md), placed after the targets. */
  limits?: string;
}

export function resultsMarkdown(doc: ResultsDocument): string {
  const { options, machine, reports } = doc;
  const checks = reports.flatMap((r) => r.checks);
  const counts = { pass: 0, miss: 0, 'n/a': 0 };
  for (const c of checks) counts[verdict(c)] += 1;
  const problems = [...doc.skipped, ...reports.flatMap((r) => r.problems)];

  const lines: string[] = [
    '# Larder benchmark results',
    '',
    '<!-- Written by `npm run bench` (bench/run.ts). Do not edit by hand; re-run the benchmark. -->',
    '',
    `- **Date:** ${doc.startedAt.toISOString()} (run took ${Math.round(doc.elapsedSeconds)} s)`,
    `- **Run:** ${doc.fullRun ? 'full' : `partial (${flags(options)})`}; ` +
      `${options.rounds} round(s) × ${options.duration} s per contender, ${options.warmup} s warm-up, ${options.connections} connections`,
    `- **Machine:** ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}, ` +
      `1-min load average ${machine.loadAtStart} at start, ${machine.loadAtEnd ?? '?'} at end`,
    `- **CPUs:** ${doc.cpus}`,
    `- **Node:** ${machine.node}; **Redis:** ${machine.redis}; **commit:** ${machine.commit}`,
    `- **Packages:** ${Object.entries(machine.packages).map(([name, version]) => `${name} ${version}`).join(', ')}`,
    `- **Targets:** ${counts.pass} pass, ${counts.miss} miss, ${counts['n/a']} not measured`,
    '',
    '## Targets',
    '',
    'Each ratio is measured in this run, on this machine, against contenders interleaved with it.',
    '',
    checks.length > 0
      ? markdownTable(checksTable(checks))
      : '_No target was evaluated: each compares two contenders, and this run did not include both sides of any._',
    '',
    `![Measured ratios against their targets](./${doc.chartFile})`,
    '',
  ];
  if (doc.limits) lines.push('## What limits the missed targets', '', doc.limits.trim(), '');
  if (problems.length > 0) {
    lines.push('## Skipped or failed cases', '', ...problems.map((p) => `- ${p.split('\n')[0]}`), '');
  }
  for (const report of reports) {
    lines.push(`## ${report.title}`, '', report.method, '');
    for (const table of report.tables) lines.push(`**${table.title}**`, '', markdownTable(table), '');
    if (report.notes.length > 0) lines.push(...report.notes.map((n) => `- ${n}`), '');
  }
  return `${lines.join('\n')}\n`;
}
