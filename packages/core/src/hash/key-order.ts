/** Most key lists remembered; past it the memory starts over (data of a few shapes needs few). */
const MAX_SHAPES = 512;
/** Shapes remembered per first key (`{ id, … }` comes in many shapes). */
const MAX_PER_FIRST_KEY = 8;

interface Shape {
  /** The key list as `Object.keys` returned it. */
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
}

/**
 * The keys of plain objects in the order they are hashed (sorted by UTF-16 code units, as `Array#sort`
 * does), remembered per key list. Sorting every object's keys was most of the time spent hashing rows
 * and line items; objects of one shape list their keys in the same order, so comparing the list with a
 * remembered one (property names are interned strings: each comparison is a pointer check) replaces the
 * sort. The result is the same sort, only not redone.
 */
export class KeyOrder {
  readonly #byFirstKey = new Map<string, Shape[]>();
  #shapes = 0;

  /** `keys` sorted; `keys` must be a fresh array (from `Object.keys`) that the caller does not change. */
  sorted(keys: string[]): readonly string[] {
    if (keys.length < 2) return keys;
    const first = keys[0]!;
    let shapes = this.#byFirstKey.get(first);
    if (shapes !== undefined) {
      for (const shape of shapes) if (sameKeys(shape.keys, keys)) return shape.sorted;
    }
    const sorted = [...keys].sort();
    if (this.#shapes >= MAX_SHAPES) {
      this.#byFirstKey.clear();
      this.#shapes = 0;
      shapes = undefined;
    }
    if (shapes === undefined) this.#byFirstKey.set(first, (shapes = []));
    if (shapes.length >= MAX_PER_FIRST_KEY) shapes.pop();
    else this.#shapes++;
    shapes.unshift({ keys, sorted });
    return sorted;
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
