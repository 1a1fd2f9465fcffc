import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/duration.js';
import { BadDurationError, LarderError } from '../src/errors.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

describe('parseDuration()', () => {
  describe('given a number', () => {
    it('reads it as seconds and returns milliseconds', () => {
      expect(parseDuration(30)).toBe(30 * SECOND);
      expect(parseDuration(300)).toBe(5 * MINUTE);
    });

    it('accepts fractions of a second', () => {
      expect(parseDuration(0.5)).toBe(500);
      expect(parseDuration(2.5)).toBe(2_500);
    });

    it('reads Infinity as never expiring', () => {
      expect(parseDuration(Infinity)).toBe(Infinity);
    });
  });

  describe('given null or "forever"', () => {
    it('returns Infinity (never expires)', () => {
      expect(parseDuration(null)).toBe(Infinity);
      expect(parseDuration('forever')).toBe(Infinity);
      expect(parseDuration('Forever')).toBe(Infinity);
    });
  });

  describe('given a string with a unit', () => {
    it.each([
      ['30s', 30 * SECOND],
      ['5m', 5 * MINUTE],
      ['5 minutes', 5 * MINUTE],
      ['1h 30m', HOUR + 30 * MINUTE],
      ['1h30m', HOUR + 30 * MINUTE],
      ['2 days', 2 * DAY],
      ['1w', WEEK],
      ['500ms', 500],
      ['1.5h', 1.5 * HOUR],
      ['.5s', 500],
      ['1d 2h 3m 4s 5ms', DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND + 5],
      ['  10 s  ', 10 * SECOND],
    ])('parses %j as %d ms', (input, expected) => {
      expect(parseDuration(input)).toBe(expected);
    });

    it.each([
      ['ms', 1], ['msec', 1], ['msecs', 1], ['millisecond', 1], ['milliseconds', 1],
      ['s', SECOND], ['sec', SECOND], ['secs', SECOND], ['second', SECOND], ['seconds', SECOND],
      ['m', MINUTE], ['min', MINUTE], ['mins', MINUTE], ['minute', MINUTE], ['minutes', MINUTE],
      ['h', HOUR], ['hr', HOUR], ['hrs', HOUR], ['hour', HOUR], ['hours', HOUR],
      ['d', DAY], ['day', DAY], ['days', DAY],
      ['w', WEEK], ['wk', WEEK], ['wks', WEEK], ['week', WEEK], ['weeks', WEEK],
    ])('knows the unit %j', (unit, ms) => {
      expect(parseDuration(`2${unit}`)).toBe(2 * ms);
      expect(parseDuration(`2 ${unit}`)).toBe(2 * ms);
      expect(parseDuration(`2 ${unit.toUpperCase()}`)).toBe(2 * ms);
    });

    it('reads "m" as minutes, never months or milliseconds', () => {
      expect(parseDuration('1m')).toBe(MINUTE);
    });
  });

  describe('given anything else', () => {
    it.each([
      ['NaN', NaN],
      ['a negative number', -1],
      ['zero', 0],
      ['-Infinity', -Infinity],
      ['an empty string', ''],
      ['a blank string', '   '],
      ['a misspelt unit', '5 minuets'],
      ['a number string without a unit', '10'],
      ['a zero duration', '0s'],
      ['parts that add up to zero', '0h 0m'],
      ['a negative duration', '-5m'],
      ['trailing garbage', '1h foo'],
      ['leading garbage', 'about 5m'],
      ['an unknown unit', '3 months'],
      ['a unit without a number', 'ms'],
      ['exponent notation', '1e3s'],
      ['undefined', undefined],
      ['a boolean', true],
      ['a bigint', 10n],
      ['an object', { seconds: 10 }],
      ['an array', ['5m']],
    ])('throws BadDurationError for %s', (_label, input) => {
      expect(() => parseDuration(input)).toThrow(BadDurationError);
    });

    it('throws an error with the code ERR_LARDER_BAD_DURATION', () => {
      const error = catchError(() => parseDuration('5 minuets'));
      expect(error).toBeInstanceOf(LarderError);
      expect(error).toMatchObject({ name: 'BadDurationError', code: 'ERR_LARDER_BAD_DURATION' });
    });

    it('names the option and the value in the message and shows valid examples', () => {
      const error = catchError(() => parseDuration('5 minuets', 'staleWhileRevalidate'));
      expect(error.message).toContain(`'staleWhileRevalidate'`);
      expect(error.message).toContain('"5 minuets"');
      expect(error.message).toMatch(/"30s"/);
    });

    it('names the option "duration" when none is given', () => {
      expect(catchError(() => parseDuration(-1)).message).toContain(`'duration'`);
    });
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}
