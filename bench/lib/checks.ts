import { fixed, ratio } from './format.ts';
import type { Check } from './types.ts';

export type Verdict = 'pass' | 'miss' | 'n/a';

export function verdict(check: Check): Verdict {
  const { value, op, target } = check;
  if (value === undefined || Number.isNaN(value)) return 'n/a';
  if (op === '>=') return value >= target ? 'pass' : 'miss';
  if (op === '<=') return value <= target ? 'pass' : 'miss';
  return value === target ? 'pass' : 'miss';
}

function formatValue(check: Check, value: number): string {
  if (check.unit === 'ratio') return ratio(value);
  if (check.unit === 'µs') return `${fixed(value, 2)} µs`;
  if (check.unit === 'ms') return `${fixed(value, 1)} ms`;
  return String(Math.round(value));
}

export function measured(check: Check): string {
  return check.value === undefined ? 'not measured' : formatValue(check, check.value);
}

export function targetText(check: Check): string {
  const op = check.op === '>=' ? '≥' : check.op === '<=' ? '≤' : '=';
  return `${op} ${formatValue(check, check.target)}`;
}
