import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheData, createLarder, type Larder } from '../src/index.js';
import { ResultCopies } from '../src/functions/result-copies.js';
import { deserializeResult, serializeResult } from '../src/functions/serialize.js';
import { sqliteQuery } from '../../../test/support/sqlite.js';

/** Every object and array inside `value`. */
function objectsOf(value: unknown, found = new Set<object>()): Set<object> {
  if (typeof value === 'object' && value !== null && !found.has(value)) {
    found.add(value);
    for (const item of Object.values(value)) objectsOf(item, found);
  }
  return found;
}

/**
 * A function whose every call returns a new `make()`, cached on `larder`, called four times: a miss, a
 * hit that parses the stored result, then the two hits returned, copies of the kept parsed value.
 */
async function twoHits<T>(larder: Larder, make: () => T): Promise<[T, T]> {
  const load = cacheData(async function load() {
    return make();
  }, { larder });
  await load();
  await load();
  return [await load(), await load()] as [T, T];
}

let larder: Larder;

beforeEach(() => {
  larder = createLarder();
});

afterEach(async () => {
  await larder.close();
});

describe('cacheData() copies of results', () => {
  describe('that JSON represents exactly', () => {
    const rows = () => ({ rows: [{ id: 1, tags: ['a', 'b'], at: { day: 3 } }, { id: 2, tags: [], at: { day: 4 } }], total: 2, next: null });

    it('hands every hit a deep copy: no object or array of one hit is part of another', async () => {
      const [first, second] = await twoHits(larder, rows);
      expect(second).toEqual(rows());
      const shared = [...objectsOf(second)].filter((object) => objectsOf(first).has(object));
      expect(shared).toEqual([]);
      first.rows[0]!.at.day = 99;
      first.rows[0]!.tags.push('mutated');
      expect(await cacheData(async function load() { return rows(); }, { larder })()).toEqual(rows());
    });

    it('keeps key order, an own __proto__ key, unicode, astral and lone-surrogate strings and any finite number', async () => {
      const make = () => JSON.parse('{"z":1,"__proto__":{"x":[1]},"a":"héllo 😀 \\ud800","10":0.1,"2":1e300,"n":-5e-324}') as Record<string, unknown>;
      const [hit] = await twoHits(larder, make);
      expect(isDeepStrictEqual(hit, make())).toBe(true);
      expect(Object.keys(hit)).toEqual(Object.keys(make()));
      expect(Object.getPrototypeOf(hit)).toBe(Object.prototype);
      expect(Object.hasOwn(hit, '__proto__')).toBe(true);
    });

    it('copies right when something enumerable was added to Object.prototype', async () => {
      const load = cacheData(async function load() {
        return rows();
      }, { larder });
      await load();
      await load();
      (Object.prototype as Record<string, unknown>).polluted = { evil: true };
      let hit: ReturnType<typeof rows>;
      try {
        hit = await load();
      } finally {
        delete (Object.prototype as Record<string, unknown>).polluted;
      }
      expect(Object.hasOwn(hit, 'polluted')).toBe(false);
      expect(hit).toEqual(rows());
    });
  });

  describe('that JSON would change', () => {
    const cases: Array<[string, () => unknown, (hit: any) => void]> = [
      ['-0', () => ({ z: -0 }), (hit) => expect(Object.is(hit.z, -0)).toBe(true)],
      ['an undefined property', () => ({ a: 1, u: undefined }), (hit) => expect(Object.hasOwn(hit, 'u')).toBe(true)],
      ['undefined in an array', () => [undefined, 1], (hit) => expect(hit[0]).toBeUndefined()],
      // eslint-disable-next-line no-sparse-arrays
      ['an array hole', () => [1, , 3], (hit) => expect(1 in hit).toBe(false)],
      ['a named property of an array', () => Object.assign([1, 2], { label: 'x' }), (hit) => expect(hit.label).toBe('x')],
      ['an object reached twice', () => { const shared = { s: 1 }; return { a: shared, b: shared }; }, (hit) => expect(hit.a).toBe(hit.b)],
      ['NaN and Infinity', () => [NaN, Infinity], (hit) => expect(hit).toEqual([NaN, Infinity])],
      ['a Date', () => ({ at: new Date(5) }), (hit) => expect(hit.at).toEqual(new Date(5))],
      ['nesting 300 levels deep', () => { let deep: unknown = 'leaf'; for (let i = 0; i < 300; i++) deep = [deep]; return deep; }, (hit) => expect(JSON.stringify(hit)).toContain('"leaf"')],
    ];
    for (const [label, make, check] of cases) {
      it(`keeps ${label}, in fresh copies`, async () => {
        const [first, second] = await twoHits(larder, make);
        expect(isDeepStrictEqual(second, make())).toBe(true);
        check(second);
        expect(second).not.toBe(first);
      });
    }
  });

  describe('holding binary data (V8 serialization)', () => {
    const binary = () => ({ bytes: new Uint8Array([1, 2, 3, 4]), buffer: Buffer.from('abcd'), words: new Uint16Array([7, 8]) });

    it('hands every hit typed arrays and Buffers of its own: writing into one, or into its whole buffer, changes no later hit', async () => {
      let runs = 0;
      const load = cacheData(async function load() {
        runs++;
        return binary();
      }, { larder });
      await load();
      const first = await load();
      first.bytes[0] = 99;
      first.buffer[0] = 0x78;
      first.words[1] = 0;
      expect(isDeepStrictEqual(await load(), binary())).toBe(true);
      new Uint8Array(first.bytes.buffer).fill(0);
      new Uint8Array(first.buffer.buffer).fill(0);
      expect(isDeepStrictEqual(await load(), binary())).toBe(true);
      expect(runs).toBe(1);
    });

    it('control: the writes land in the hit written to', async () => {
      const [first] = await twoHits(larder, binary);
      new Uint8Array(first.bytes.buffer).fill(0);
      expect([...first.bytes]).toEqual([0, 0, 0, 0]);
      expect(first.bytes).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(first.buffer)).toBe(true);
    });
  });

  describe('as stored', () => {
    it('writes a JSON result as ASCII JSON text in a version-2 envelope, a V8 one in a version-1 envelope', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'larder-copies-')), 'c.sqlite');
      const onSqlite = createLarder({ store: `sqlite://${file}` });
      try {
        await twoHits(onSqlite, () => ({ name: 'é' }));
        await cacheData(async function dated() {
          return { at: new Date(0) };
        }, { larder: onSqlite })();
        await onSqlite.close();
        const rows = await sqliteQuery(file, `SELECT key, value FROM keyv WHERE key LIKE '%:e:%'`);
        // A row is the expiry (8 bytes), then the envelope: "LRDR", the version, the header length, the header, the payload.
        const envelopes = rows.map((row) => (row.value as Buffer).subarray(8));
        const payload = (envelope: Buffer) => envelope.subarray(9 + envelope.readUInt32BE(5), envelope.length - 4);
        const json = envelopes.find((envelope) => payload(envelope)[0] !== 0xff)!;
        const v8 = envelopes.find((envelope) => payload(envelope)[0] === 0xff)!;
        expect([json[4], v8[4]]).toEqual([2, 1]);
        expect(payload(json).toString('latin1')).toBe('{"name":"\\u00e9"}');
      } finally {
        await onSqlite.close();
      }
    });

    it('reads results stored before JSON text was used (V8 serialization)', () => {
      const value = { rows: [{ id: 1 }], when: new Date(0) };
      expect(deserializeResult(serialize(value))).toEqual(value);
      expect(deserializeResult(serialize({ plain: [1, 'a'] }))).toEqual({ plain: [1, 'a'] });
      expect(deserializeResult(serializeResult({ plain: [1, 'a'] }, 'f'))).toEqual({ plain: [1, 'a'] });
    });
  });
});

describe('ResultCopies', () => {
  const json = (n: number) => serializeResult({ n, pad: 'x'.repeat(30) }, 'f');

  it('keeps a result parsed from its second read on, within its bound of JSON bytes, the least recently used leaving first', () => {
    const copies = new ResultCopies(100);
    const [a, b, c] = [json(1), json(2), json(3)];
    copies.copy(a);
    expect(copies.size).toBe(0);
    for (const payload of [a, b, b, a, c, c]) copies.copy(payload);
    expect(copies.bytes).toBeLessThanOrEqual(100);
    expect(copies.size).toBe(2);
    expect(copies.copy(a)).toEqual({ n: 1, pad: 'x'.repeat(30) });
    expect(copies.copy(c)).toEqual({ n: 3, pad: 'x'.repeat(30) });
    expect(copies.size).toBe(2);
  });

  it('parses bytes read afresh every time (no near cache) once each, keeping nothing', () => {
    const copies = new ResultCopies(1_000);
    for (let i = 0; i < 5; i++) expect(copies.copy(json(1))).toEqual({ n: 1, pad: 'x'.repeat(30) });
    expect(copies.size).toBe(0);
  });

  it('parses V8 payloads and payloads larger than the bound on every copy, keeping nothing', () => {
    const copies = new ResultCopies(10);
    expect(copies.copy(json(1))).toEqual({ n: 1, pad: 'x'.repeat(30) });
    expect(copies.copy(serializeResult(new Map([[1, 2]]), 'f'))).toEqual(new Map([[1, 2]]));
    expect([copies.size, copies.bytes]).toEqual([0, 0]);
  });
});
