/** Deeper results keep V8's serialization: copies of JSON results are made by recursion (result-copies.ts). */
const MAX_DEPTH = 256;

/**
 * Whether `JSON.parse(JSON.stringify(value))` gives back exactly `value`, as a copy: only plain objects
 * and arrays (no holes, no extra properties), strings, finite numbers other than −0, booleans and null;
 * no `undefined` (JSON drops it or turns it into null), and no object reached twice (JSON would copy a
 * shared object once per reference, and throws on cycles, where V8's serialization keeps identity).
 *
 * Such a result is stored as JSON text: `JSON.parse` makes a copy in about half the time
 * `v8.deserialize` takes, and a copy of a kept parsed value (result-copies.ts) in a seventh of that.
 * Everything else (Date, Map, Set, typed arrays, BigInt, −0, undefined, shared references) keeps V8's
 * structured serialization.
 */
export function representsExactly(root: unknown): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const value = stack.pop();
    const depth = depths.pop()!;
    switch (typeof value) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (!Number.isFinite(value) || Object.is(value, -0)) return false;
        continue;
      case 'object':
        if (value === null) continue;
        break;
      default:
        return false;
    }
    if (seen.has(value) || depth >= MAX_DEPTH) return false;
    seen.add(value);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Array.prototype) {
      const array = value as unknown[];
      for (let i = 0; i < array.length; i++) {
        if (!(i in array)) return false;
        stack.push(array[i]);
        depths.push(depth + 1);
      }
      // Named properties of an array survive V8's serialization; JSON would drop them.
      if (Object.keys(array).length !== array.length) return false;
    } else if (proto === Object.prototype) {
      const object = value as Record<string, unknown>;
      for (const key of Object.keys(object)) stack.push(object[key]), depths.push(depth + 1);
    } else {
      return false;
    }
  }
  return true;
}
