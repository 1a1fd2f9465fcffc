import { describe, expect, it } from 'vitest';
import { BadOptionError, createLarder } from '../src/index.js';
import { provideSettings } from '../src/http/provide-options.js';
import { isWrite, pathTag, writeTags } from '../src/http/write-invalidation.js';

describe('pathTag', () => {
  it('reads an unreserved character the same encoded or not (RFC 3986 §6.2.2.2), so a write reaches every spelling', () => {
    expect(pathTag('h', '/users/%34%32')).toBe(pathTag('h', '/users/42'));
    expect(pathTag('h', '/%7Eann/%61%2d%5f')).toBe(pathTag('h', '/~ann/a-_'));
    expect(pathTag('h', '/users/42#top')).toBe(pathTag('h', '/users/42'));
  });

  it('keeps reserved and malformed escapes as they are', () => {
    expect(pathTag('h', '/a%2Fb')).not.toBe(pathTag('h', '/a/b'));
    expect(pathTag('h', '/a%zz')).not.toBe(pathTag('h', '/a'));
    expect(pathTag('h', '/a%4')).not.toBe(pathTag('h', '/aJ'));
  });
});

describe('writeTags (RFC 9111 §4.4)', () => {
  const write = { method: 'PUT', host: 'Api.Example', url: '/users/42?x=1', status: 200 };

  it("names the tag of the write's path: host case and query do not matter", () => {
    expect(writeTags(write)).toEqual([pathTag('api.example', '/users/42')]);
    expect(pathTag('api.example', '/users/42?fields=name')).toBe(pathTag('API.EXAMPLE', '/users/42'));
    expect(pathTag('api.example', '/users/41')).not.toBe(pathTag('api.example', '/users/42'));
  });

  it('adds same-origin Location and Content-Location targets, relative or absolute', () => {
    const tags = writeTags({ ...write, method: 'POST', url: '/users', status: 201, location: '42', contentLocation: 'http://api.example/users/43' });
    expect(tags).toEqual([pathTag('api.example', '/users'), pathTag('api.example', '/42'), pathTag('api.example', '/users/43')]);
  });

  it('ignores another origin, and what is not a URL', () => {
    expect(writeTags({ ...write, location: 'http://elsewhere.example/users/1', contentLocation: 'http://[' })).toEqual([pathTag('api.example', '/users/42')]);
  });

  it.each([
    ['a 4xx', { status: 404 }], ['a 5xx', { status: 500 }], ['a 1xx', { status: 101 }],
    ['a safe method', { method: 'GET' }], ['OPTIONS', { method: 'OPTIONS' }],
  ])('is empty after %s', (_label, change) => {
    expect(writeTags({ ...write, ...change })).toEqual([]);
  });

  it('treats every method not known to be safe as a write', () => {
    expect(['POST', 'PUT', 'PATCH', 'DELETE', 'M-SEARCH', 'PURGE'].every(isWrite)).toBe(true);
    expect(['GET', 'HEAD', 'OPTIONS', 'TRACE'].some(isWrite)).toBe(false);
  });

  it('hashes paths into a bounded number of tags', () => {
    const tags = new Set(Array.from({ length: 50_000 }, (_, i) => pathTag('h', `/p/${i}`)));
    expect(tags.size).toBeLessThanOrEqual(16_384);
  });
});

describe('provideLarder options', () => {
  it('accepts a larder, or { larder, invalidateOnWrite }', async () => {
    const larder = createLarder();
    expect(provideSettings(larder)).toEqual({ larder, invalidateOnWrite: true });
    expect(provideSettings({ larder, invalidateOnWrite: false })).toEqual({ larder, invalidateOnWrite: false });
    expect(provideSettings(undefined)).toEqual({ larder: undefined, invalidateOnWrite: true });
    await larder.close();
  });

  it.each([
    ['an unknown option', { invalidateOnWrites: false }, /'invalidateOnWrites'/],
    ['a larder that is not one', { larder: {} }, /'larder'/],
    ['a non-boolean switch', { invalidateOnWrite: 'no' }, /'invalidateOnWrite'/],
    ['a string', 'memory://', /'options'/],
  ])('rejects %s with BadOptionError naming it', (_label, input, message) => {
    expect(() => provideSettings(input as never)).toThrow(BadOptionError);
    expect(() => provideSettings(input as never)).toThrow(message);
  });
});
