/**
 * HTTP dates (RFC 9110 §5.6.7): the IMF-fixdate a sender must generate, and the obsolete RFC 850 and
 * asctime forms a recipient must accept. `Date.parse` is not used: it accepts forms HTTP does not
 * (`2030-01-01`, other time zones, a missing comma), and an Expires that a cache misreads as a future
 * date serves a response its origin declared expired.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

// Names are matched case-insensitively (recipients are lenient there); digits and spacing are not.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
const ASCTIME = new RegExp(`^${DAY} ${MONTH} (\\d{2}| \\d) ${TIME} (\\d{4})$`, 'i');

/**
 * Milliseconds since the epoch, or undefined when `value` is not one HTTP date (several field lines,
 * a bad format, an impossible time).
 * @example parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT') // 784111777000
 */
export function parseHttpDate(value: string | readonly string[] | number | undefined, now = Date.now()): number | undefined {
  if (typeof value !== 'string') return undefined;
  let match = IMF_FIXDATE.exec(value);
  if (match) return build(Number(match[3]), match[2]!, Number(match[1]), match.slice(4, 7));
  match = RFC850.exec(value);
  if (match) {
    // RFC 9110: a two-digit year more than 50 years in the future is the most recent past year with those digits.
    const current = new Date(now).getUTCFullYear();
    let year = Math.floor(current / 100) * 100 + Number(match[3]);
    if (year > current + 50) year -= 100;
    return build(year, match[2]!, Number(match[1]), match.slice(4, 7));
  }
  match = ASCTIME.exec(value);
  if (match) return build(Number(match[6]), match[1]!, Number(match[2]!.trim()), match.slice(3, 6));
  return undefined;
}

function build(year: number, month: string, day: number, time: string[]): number | undefined {
  const [hours, minutes, seconds] = time.map(Number) as [number, number, number];
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  if (hours > 23 || minutes > 59 || seconds > 60 || day < 1) return undefined;
  const ms = Date.UTC(year, monthIndex, day, hours, minutes, Math.min(seconds, 59));
  // Date.UTC rolls 31 Feb over into March: such a date is not a date.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms;
}
