import { deserializeResult, isJsonResult } from './serialize.js';

/** Default bound of a larder's parsed results: the bytes of their JSON text (their objects take 2–4× that). */
export const DEFAULT_PARSED_RESULT_BYTES = 8 * 1024 * 1024;

/**
 * Hands out fresh copies of stored cacheData results. A result stored as JSON text is parsed once and
 * kept, parsed, beside the stored entry; every hit gets a structural copy of that (plain objects, arrays
 * and primitives, which is all JSON text holds), about seven times cheaper than parsing the text again.
 * No caller ever holds the kept value itself, so the copies are as independent as parsed ones.
 *
 * Kept values are found by the identity of the stored payload: the memory store and the near cache
 * hand back the same bytes while they hold an entry, and a rewritten entry has new bytes. A payload is
 * kept parsed the second time it is read (the first parse is that caller's copy), so bytes read afresh
 * on every hit (SQLite without a near cache) are parsed once each and never fill the memory. Kept values
 * are bounded (LRU) by the length of their JSON text, `maxBytes` in all, per larder.
 */
export class ResultCopies {
  readonly #maxBytes: number;
  readonly #parsed = new Map<Buffer, unknown>();
  /** Payloads read once, not kept parsed (yet). */
  readonly #seen = new WeakSet<Buffer>();
  /** The payload last put at the end of `#parsed`: while it is there, a hit on it needs no move. */
  #newest: Buffer | undefined;
  #bytes = 0;

  constructor(maxBytes = DEFAULT_PARSED_RESULT_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Parsed results kept. */
  get size(): number {
    return this.#parsed.size;
  }

  /** The length of their JSON text, together. */
  get bytes(): number {
    return this.#bytes;
  }

  /** A fresh copy of the result stored as `payload`, a stored entry's payload. */
  copy(payload: Buffer): unknown {
    if (!isJsonResult(payload) || payload.length > this.#maxBytes) return deserializeResult(payload);
    let parsed = this.#parsed.get(payload);
    if (parsed === undefined) {
      if (!this.#seen.has(payload)) {
        this.#seen.add(payload);
        return deserializeResult(payload);
      }
      parsed = deserializeResult(payload);
      this.#keep(payload, parsed);
    } else if (payload !== this.#newest) {
      this.#parsed.delete(payload);
      this.#parsed.set(payload, parsed);
      this.#newest = payload;
    }
    return prototypeClean() ? copyJson(parsed) : deserializeResult(payload);
  }

  #keep(payload: Buffer, parsed: unknown): void {
    this.#parsed.set(payload, parsed);
    this.#newest = payload;
    this.#bytes += payload.length;
    for (const [oldest] of this.#parsed) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#parsed.delete(oldest);
      this.#bytes -= oldest.length;
    }
  }
}

/** Kept parsed results, per larder (the bound is per larder, whatever number of functions share it). */
const copiesByLarder = new WeakMap<object, ResultCopies>();

/** The parsed results kept for `larder`. */
export function copiesOf(larder: object): ResultCopies {
  let copies = copiesByLarder.get(larder);
  if (copies === undefined) copiesByLarder.set(larder, (copies = new ResultCopies()));
  return copies;
}

/** Whether `for…in` lists own properties only: nothing enumerable was added to Object.prototype. */
function prototypeClean(): boolean {
  for (const _ in Object.prototype) return false;
  return true;
}

/**
 * A deep copy of a value parsed from JSON: plain objects (own keys in order), arrays and primitives. The
 * depth is bounded by the JSON results accept (json-exact.ts), so the recursion is too.
 */
function copyJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (let i = 0; i < value.length; i++) copy.push(copyJson(value[i]));
    return copy;
  }
  // Spread copies own enumerable properties in order, `__proto__` included, as data properties.
  const copy: Record<string, unknown> = { ...value };
  for (const key of Object.keys(copy)) {
    const item = copy[key];
    if (typeof item === 'object' && item !== null) copy[key] = copyJson(item);
  }
  return copy;
}
