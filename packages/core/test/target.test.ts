import { parse } from 'node:querystring';
import fc from 'fast-check';
import qs from 'qs';
import { describe, expect, it } from 'vitest';
import { canonicalSearch, isAbsoluteForm, pathOf, replaceSearch } from '../src/http/target.js';

const name = fc.string({ minLength: 1, maxLength: 6 }).filter((s) => !/[[\]]/.test(s) && s !== '__proto__');
const value = fc.string({ maxLength: 8 });
/** qs reads `a[0]=x` as an array: an object with index-like names is not something it produces. */
const field = name.filter((s) => !/^\d+$/.test(s));

describe('the canonical query string', () => {
  it('reads back as the same fields with Node’s querystring (flat fields and repeated ones)', () => {
    fc.assert(
      fc.property(fc.dictionary(name, fc.oneof(value, fc.array(value, { minLength: 2, maxLength: 3 }))), (query) => {
        const search = canonicalSearch(query);
        expect(search === '' ? {} : { ...parse(search.slice(1)) }).toEqual(query);
      }),
    );
  });

  it('reads back as the same fields with qs (nested objects, as Express 4 parses them)', () => {
    fc.assert(
      fc.property(fc.dictionary(name, fc.oneof(value, fc.dictionary(field, value, { minKeys: 1, maxKeys: 3 }))), (query) => {
        const search = canonicalSearch(query);
        expect(qs.parse(search.slice(1), { depth: 5 })).toEqual(query);
      }),
    );
  });

  it('is empty for no fields, and never carries a fragment', () => {
    expect(canonicalSearch({})).toBe('');
    expect(canonicalSearch(null)).toBe('');
    expect(canonicalSearch({ a: '<script>', b: ['1', '2'] })).toBe('?a=%3Cscript%3E&b=1&b=2');
  });
});

describe('request targets', () => {
  it('split the path from the query and the fragment, and tell absolute-form apart', () => {
    expect([pathOf('/a/b?x=1#f'), pathOf('/a#f?x'), pathOf('/a')]).toEqual(['/a/b', '/a', '/a']);
    expect([isAbsoluteForm('http://evil.test/x'), isAbsoluteForm('/x'), isAbsoluteForm('//evil.test/x')]).toEqual([true, false, false]);
  });

  it('swap the query for the canonical one and back, keeping a path a router changed meanwhile', () => {
    const req = { url: '/items?_x=1&a=2#frag' };
    const undo = replaceSearch(req, 'url', '?a=2');
    expect(req.url).toBe('/items?a=2');
    req.url = '/api/items?a=2'; // Express re-adds the mount path on the way out of a router
    undo();
    expect(req.url).toBe('/api/items?_x=1&a=2#frag');
  });
});
