/**
 * `_`-prefixed and excluded query/body fields are removed before the handler runs, so that an unkeyed
 * input can never shape a stored response. A json-server style API that reads `?_page=2` would then
 * silently serve page 1 for every page: the handler gets a view of the stripped fields that reports a
 * read of a removed field, and Larder warns once (`LARDER_STRIPPED_FIELD`) with the fix.
 */

/** Where a field came from, as `include`/`exclude` name it. */
export type FieldSource = 'query' | 'body';

/**
 * `stripped` as the handler sees it: reading (`get`, `in`, a property descriptor) a field that is in
 * `original` but not in `stripped` calls `onRead(field)`. `stripped` itself when nothing was removed.
 */
export function watchStripped<T>(original: T, stripped: T, onRead: (field: string) => void): T {
  if (original === stripped || stripped === null || typeof stripped !== 'object') return stripped;
  const removed = new Set(Object.keys(original as object).filter((name) => !Object.hasOwn(stripped, name)));
  const check = (property: string | symbol): void => {
    if (typeof property === 'string' && removed.has(property)) onRead(property);
  };
  return new Proxy(stripped as object, {
    get: (target, property, receiver) => (check(property), Reflect.get(target, property, receiver)),
    has: (target, property) => (check(property), Reflect.has(target, property)),
    getOwnPropertyDescriptor: (target, property) => (check(property), Reflect.getOwnPropertyDescriptor(target, property)),
  }) as T;
}

/** The warning for a handler that read a field Larder removed. */
export function strippedFieldMessage(source: FieldSource, field: string, route: string, excluded: boolean): string {
  const path = `${source}.${field}`;
  const why = excluded
    ? `it is listed in exclude, so it is left out of the cache key and removed from what the handler sees`
    : `fields whose names start with '_' are left out of the cache key and removed from what the handler sees ` +
      `(so that a cache-buster like ?_ts=123 simply hits)`;
  const fix = excluded
    ? `remove '${path}' from exclude to make it part of the key`
    : `rename it (e.g. '${field.replace(/^_+/, '') || 'value'}'), or keep it and make it part of the key with cached({ include: ['${path}'] })`;
  return `The handler of ${route} read the ${source} field '${field}', which Larder removed before the handler ran: it got undefined. ` +
    `Larder did this because ${why}. To use it, ${fix}.`;
}
