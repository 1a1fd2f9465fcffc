import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentKeys, requestKey, type RequestFacts } from '../src/http/key.js';
import { normalizeCachedOptions } from '../src/http/options.js';

function facts(overrides: Partial<RequestFacts>): RequestFacts {
  return { method: 'GET', host: 'example.com', url: '/items/1', routeId: '/items/:id', codeHash: '', params: {}, query: {}, body: undefined, headers: {}, request: {}, ...overrides };
}

/** Entry keys are the request keys themselves here; the space only scopes what is remembered. */
const larder = { entryKey: (_space: { name: string }, hash: string) => hash };
const space = { name: 'GET /items/:id' };

const field = fc.string({ maxLength: 6 });
const flat = fc.dictionary(field, fc.string({ maxLength: 8 }), { maxKeys: 5 });
const nested = fc.dictionary(field, fc.oneof(fc.string({ maxLength: 4 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }), fc.dictionary(field, fc.string(), { maxKeys: 2 })), { maxKeys: 4 });

describe('request keys remembered by a route', () => {
  it('are the keys requestKey computes, for any params and query, asked any number of times', () => {
    const config = normalizeCachedOptions('1m', undefined);
    const keys = new RecentKeys(config);
    fc.assert(
      fc.property(fc.constantFrom('GET', 'HEAD'), fc.constantFrom('example.com', 'Example.COM', undefined), flat, fc.oneof(flat, nested), (method, host, params, query) => {
        const request = facts({ method, host, params, query });
        const expected = requestKey(config, request, 'GET /items/:id');
        expect(keys.key(request, larder, space)).toBe(expected);
        expect(keys.key(facts({ method, host, params: { ...params }, query: structuredClone(query) }), larder, space)).toBe(expected);
      }),
    );
  });

  it('never give a plain-HTTP request whose Host spells a scheme the key of a TLS request', () => {
    const config = normalizeCachedOptions('1m', undefined);
    const tls = facts({ secure: true, host: 'example.com' });
    const spoofed = facts({ secure: false, host: 'https://example.com' });
    expect(requestKey(config, spoofed, 'GET /items/:id')).not.toBe(requestKey(config, tls, 'GET /items/:id'));
    const keys = new RecentKeys(config);
    expect(keys.key(spoofed, larder, space)).not.toBe(keys.key(tls, larder, space));
    // Control: the same TLS request, asked again, has the same key.
    expect(keys.key(facts({ secure: true, host: 'example.com' }), larder, space)).toBe(requestKey(config, tls, 'GET /items/:id'));
  });

  it('tell apart requests whose fields differ only in where a string ends', () => {
    const keys = new RecentKeys(normalizeCachedOptions('1m', undefined));
    const a = keys.key(facts({ query: { a: 'b\u0000', c: 'd' } }), larder, space);
    const b = keys.key(facts({ query: { a: 'b', '\u0000c': 'd' } }), larder, space);
    const c = keys.key(facts({ params: { a: 'b' }, query: {} }), larder, space);
    const d = keys.key(facts({ params: {}, query: { a: 'b' } }), larder, space);
    expect(new Set([a, b, c, d]).size).toBe(4);
  });

  it('are remembered per space: the same request in another space gets that space\'s key', () => {
    const keys = new RecentKeys(normalizeCachedOptions('1m', undefined));
    const scoped = { entryKey: (where: { name: string }, hash: string) => `${where.name}|${hash}` };
    const [one, two] = [{ name: 'GET /a' }, { name: 'GET /b' }];
    const request = facts({ query: { q: 'x' } });
    expect(keys.key(request, scoped, one)).toMatch(/^GET \/a\|/);
    expect(keys.key(request, scoped, two)).toMatch(/^GET \/b\|/);
    expect(keys.key(request, scoped, one)).toMatch(/^GET \/a\|/);
  });

  it('follow vary, key() and hashFuncs on every request', () => {
    let calls = 0;
    const config = normalizeCachedOptions({ ttl: '1m', key: () => `tenant-${++calls}` }, undefined);
    const keys = new RecentKeys(config);
    const first = keys.key(facts({}), larder, space);
    const second = keys.key(facts({}), larder, space);
    expect([calls, first === second]).toEqual([2, false]);

    const varied = new RecentKeys(normalizeCachedOptions({ ttl: '1m', vary: ['accept-language'] }, undefined));
    expect(varied.key(facts({ headers: { 'accept-language': 'fr' } }), larder, space)).not.toBe(varied.key(facts({ headers: { 'accept-language': 'de' } }), larder, space));
  });
});
