/** Small order statistics. Every function ignores nothing and throws on an empty sample. */

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear interpolation between closest ranks (the R-7 / NumPy default). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('quantile of an empty sample');
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

/** (max − min) / median: how far apart the rounds were. */
export function spread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

/**
 * Median of the per-round ratios a[i] / b[i]. Pairing each round with itself cancels slow drift on a
 * shared machine better than dividing two medians taken minutes apart. Rounds missing either side are
 * skipped; returns undefined when no round has both.
 */
export function pairedRatio(a: readonly (number | undefined)[], b: readonly (number | undefined)[]): number | undefined {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && y > 0) ratios.push(x / y);
  }
  return ratios.length > 0 ? median(ratios) : undefined;
}

/** Round i starts at contender i mod n, so no contender always runs first (A B C, B C A, …). */
export function rotate<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
