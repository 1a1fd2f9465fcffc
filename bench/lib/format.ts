/** Number formatting shared by the console tables, RESULTS.md and the chart. */

export const DASH = '—';

export function int(n: number | undefined): string {
  return n === undefined ? DASH : Math.round(n).toLocaleString('en-US');
}

export function fixed(n: number | undefined, digits = 2): string {
  return n === undefined ? DASH : n.toFixed(digits);
}

export function ratio(n: number | undefined): string {
  return n === undefined ? DASH : `${n.toFixed(n >= 10 ? 1 : 3)}×`;
}

export function percent(n: number | undefined): string {
  return n === undefined ? DASH : `${(n * 100).toFixed(1)}%`;
}

export function mib(bytes: number | undefined): string {
  return bytes === undefined ? DASH : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
