/** Text output of the CLI: aligned tables and short durations. */

/** Columns whose heading starts with one of these are right-aligned (numbers). */
export interface Column {
  heading: string;
  align?: 'left' | 'right';
}

/** An aligned plain-text table, two spaces between columns, no trailing spaces. */
export function table(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = columns.map((column, i) => Math.max(column.heading.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (columns[i]!.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.heading)), ...rows.map(line)].join('\n') + '\n';
}

const UNITS: ReadonlyArray<[string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** A duration in its two largest units: `3d 4h`, `5m 2s`, `12s`, `0s`. */
export function shortDuration(ms: number): string {
  if (ms < 1_000) return ms <= 0 ? '0s' : '<1s';
  const parts: string[] = [];
  let rest = Math.floor(ms);
  for (const [unit, size] of UNITS) {
    if (rest >= size || parts.length > 0) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.filter((part, i) => i === 0 || !part.startsWith('0')).join(' ');
}
