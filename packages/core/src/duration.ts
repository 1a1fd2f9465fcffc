import { BadDurationError } from './errors.js';

const MS_PER_UNIT: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

// Longest spellings first, so "5ms" is milliseconds and "5 mins" is not "5 m" followed by "ins".
const UNIT_SPELLINGS: ReadonlyArray<readonly [unit: string, spellings: readonly string[]]> = [
  ['ms', ['milliseconds', 'millisecond', 'msecs', 'msec', 'ms']],
  ['s', ['seconds', 'second', 'secs', 'sec', 's']],
  ['m', ['minutes', 'minute', 'mins', 'min', 'm']],
  ['h', ['hours', 'hour', 'hrs', 'hr', 'h']],
  ['d', ['days', 'day', 'd']],
  ['w', ['weeks', 'week', 'wks', 'wk', 'w']],
];

const MS_PER_SPELLING = new Map<string, number>(
  UNIT_SPELLINGS.flatMap(([unit, spellings]) => spellings.map((s) => [s, MS_PER_UNIT[unit] ?? NaN] as const)),
);

const ALTERNATION = UNIT_SPELLINGS.flatMap(([, spellings]) => spellings).join('|');

/** One "<number><unit>" part, anchored where the previous part ended (sticky), whitespace around it allowed. */
const PART = new RegExp(`\\s*(\\d+(?:\\.\\d+)?|\\.\\d+)\\s*(${ALTERNATION})\\s*`, 'iy');

/**
 * Parses a duration option (`ttl`, `staleWhileRevalidate`, `staleIfError`, …) into milliseconds.
 *
 * - a number is **seconds** (as in Streamlit and HTTP `max-age`): finite and greater than 0, fractions allowed;
 * - a string is one or more `<number><unit>` parts, summed: `"30s"`, `"5m"` (`m` is minutes), `"5 minutes"`,
 *   `"1h 30m"`, `"1h30m"`, `"1.5h"`, `"2 days"`, `"1w"`, `"500ms"`. Units, case-insensitive:
 *   `ms`/`msec`/`millisecond(s)`, `s`/`sec(s)`/`second(s)`, `m`/`min(s)`/`minute(s)`, `h`/`hr(s)`/`hour(s)`,
 *   `d`/`day(s)`, `w`/`wk(s)`/`week(s)`;
 * - `null`, `Infinity` or `"forever"` mean never expires and return `Infinity`.
 *
 * Call it where the option is given (a factory), so a typo fails at startup, never on the first request.
 *
 * @param value - the option's value as the user wrote it.
 * @param option - the option's name, used in the error message.
 * @default option `'duration'`
 * @returns milliseconds (possibly fractional), or `Infinity`.
 * @throws {BadDurationError} for anything else: `NaN`, `0`, `-1`, `""`, `"10"` (no unit), `"5 minuets"`,
 *   `"0s"`, `"-5m"`, `undefined`, objects.
 *
 * @example
 * ```ts
 * parseDuration(300);                // 300_000 (a number is seconds)
 * parseDuration('1h 30m');           // 5_400_000
 * parseDuration('500ms');            // 500
 * parseDuration(null);               // Infinity
 * parseDuration('5 minuets', 'ttl'); // throws BadDurationError: Invalid duration for 'ttl': "5 minuets". …
 * ```
 */
export function parseDuration(value: unknown, option = 'duration'): number {
  if (value === null || value === Infinity) return Infinity;
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > 0) return value * 1_000;
    throw new BadDurationError(option, value);
  }
  if (typeof value === 'string') {
    const ms = parseDurationString(value);
    if (ms !== undefined) return ms;
  }
  throw new BadDurationError(option, value);
}

function parseDurationString(text: string): number | undefined {
  if (text.trim().toLowerCase() === 'forever') return Infinity;
  let total = 0;
  let parts = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (match === null) return undefined;
    const [, amount = '', unit = ''] = match;
    total += Number(amount) * (MS_PER_SPELLING.get(unit.toLowerCase()) ?? NaN);
    parts++;
  }
  // `total > 0` also rejects NaN, so an unknown unit can never slip through as a number.
  return parts > 0 && total > 0 ? total : undefined;
}
