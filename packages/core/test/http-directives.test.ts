import { describe, expect, it } from 'vitest';
import { delta, parseCacheControl, parseTargeted } from '../src/http/directives.js';
import { parseHttpDate } from '../src/http/http-date.js';

describe('parseCacheControl (RFC 9111 §5.2)', () => {
  it('reads names case-insensitively, with token and quoted-string arguments, across field lines', () => {
    const directives = parseCacheControl(['MaX-AgE=60, no-cache="Set-Cookie, X-A"', 'Public']);
    expect(Object.fromEntries(directives)).toEqual({ 'max-age': '60', 'no-cache': 'Set-Cookie, X-A', public: true });
  });

  it('keeps the first occurrence of a repeated directive', () => {
    expect(parseCacheControl('max-age=60, max-age=0').get('max-age')).toBe('60');
  });

  it('does not find directives inside a quoted string', () => {
    expect(parseCacheControl('ext="max-age=3600", max-age=1').get('max-age')).toBe('1');
    expect(parseCacheControl('max-age=1, ext="a, max-age=3600"').get('max-age')).toBe('1');
  });

  it('skips members that are not directives: spaces around =, unbalanced quotes', () => {
    expect(parseCacheControl('max-age =60').has('max-age')).toBe(false);
    expect(parseCacheControl('max-age= 60').has('max-age')).toBe(false);
    expect(parseCacheControl('max-age="60').has('max-age')).toBe(false);
  });
});

describe('delta (delta-seconds)', () => {
  it.each([
    ['60', 60], ['003600', 3600], ['2147483648', 2 ** 31], ['99999999999', 2 ** 31],
  ])('reads %s as %s', (text, seconds) => expect(delta(text)).toBe(seconds));

  it.each(['-1', '3600.5', "'3600'", 'a100', '100a', ''])('refuses %j', (text) => expect(delta(text)).toBeUndefined());

  it('refuses a directive without an argument', () => expect(delta(true)).toBeUndefined());
});

describe('parseTargeted (CDN-Cache-Control, RFC 9213)', () => {
  it('reads a Structured Field Dictionary', () => {
    expect(Object.fromEntries(parseTargeted('max-age=60, must-revalidate, ext;a=1')!)).toEqual({ 'max-age': '60', 'must-revalidate': true, ext: true });
  });

  it.each([
    ['a member that is not a key', 'max-age=10000, &&&&&'],
    ['an upper-case key', 'MaX-aGe=60'],
    ['a String where an Integer belongs', 'max-age="10000"'],
    ['an empty field', '  '],
  ])('is ignored as a whole for %s', (_label, value) => {
    expect(parseTargeted(value)).toBeUndefined();
  });
});

describe('parseHttpDate (RFC 9110 §5.6.7)', () => {
  const when = Date.UTC(1994, 10, 6, 8, 49, 37);

  it.each([
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ['RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT'],
    ['asctime', 'Sun Nov  6 08:49:37 1994'],
    ['names in another case', 'SUN, 06 nov 1994 08:49:37 gmt'],
  ])('accepts the %s form', (_label, text) => expect(parseHttpDate(text)).toBe(when));

  it.each([
    ['another time zone', 'Sun, 06 Nov 1994 08:49:37 UTC'],
    ['a two-digit year in the IMF form', 'Sun, 06 Nov 94 08:49:37 GMT'],
    ['no comma', 'Sun 06 Nov 1994 08:49:37 GMT'],
    ['two spaces', 'Sun,  06 Nov 1994 08:49:37 GMT'],
    ['dashes', 'Sun, 06-Nov-1994 08:49:37 GMT'],
    ['periods', 'Sun, 06 Nov 1994 08.49.37 GMT'],
    ['a one-digit hour', 'Sun, 06 Nov 1994 8:49:37 GMT'],
    ['the ISO form', '1994-11-06T08:49:37Z'],
    ['0', '0'],
    ['an impossible day', 'Mon, 31 Feb 1994 08:49:37 GMT'],
  ])('refuses %s', (_label, text) => expect(parseHttpDate(text)).toBeUndefined());

  it('refuses several field lines', () => {
    expect(parseHttpDate(['Sun, 06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:37 GMT'])).toBeUndefined();
  });

  it('reads an RFC 850 year more than 50 years ahead as the past century', () => {
    expect(new Date(parseHttpDate('Monday, 01-Jan-99 00:00:00 GMT', Date.UTC(2026, 0, 1))!).getUTCFullYear()).toBe(1999);
  });
});
