/**
 * The request target as the cache sees it. A stored response may depend only on what is keyed, so the
 * handler is shown the target rebuilt from the key's parts — the path as received and the query as
 * parsed and stripped — never the raw text, which may carry `_`-prefixed or excluded fields, fields a
 * parser dropped (past its parameter limit, empty names), another spelling of the same values, or a
 * fragment. RFC 9112 §3.2 (request target forms).
 */

/** The target without its query and fragment. (indexOf, not a regular expression: every request pays it.) */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  const fragment = url.indexOf('#');
  const end = query === -1 ? fragment : fragment === -1 ? query : Math.min(query, fragment);
  return end === -1 ? url : url.slice(0, end);
}

/** Whether a target is in absolute form (`http://host/x`) rather than a path. */
export function isAbsoluteForm(url: string): boolean {
  return url.charCodeAt(0) !== 0x2f; /* '/' */
}

/**
 * Puts `search` in place of the query and fragment of the target in `owner[property]` (`req.url`,
 * `req.originalUrl`, `ctx.originalUrl`), and returns the undo, which gives the received ones back
 * unless something else replaced the target meanwhile. A router may have changed the path in between
 * (Express re-adds a mount path on the way out): only the query is swapped back.
 */
export function replaceSearch(owner: object, property: string, search: string): () => void {
  const holder = owner as Record<string, unknown>;
  const received = holder[property];
  if (typeof received !== 'string') return () => {};
  const tail = received.slice(pathOf(received).length);
  if (tail === search) return () => {};
  holder[property] = pathOf(received) + search;
  return () => {
    const current = holder[property];
    if (typeof current === 'string' && current.slice(pathOf(current).length) === search) holder[property] = pathOf(current) + tail;
  };
}

/**
 * The query string of a parsed (and stripped) query: `''`, or `?` and its fields in order, nested
 * objects in bracket notation (`a[b]=1`) and arrays as repeated fields, every name and value
 * percent-encoded. It is a function of the parsed query alone, so two requests with one key see one
 * target; Node's `querystring`, `qs` and `URLSearchParams` read it back as the same fields.
 */
export function canonicalSearch(query: unknown): string {
  if (query === null || typeof query !== 'object') return '';
  const parts: string[] = [];
  const add = (name: string, value: unknown): void => {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => add(isObject(item) ? `${name}[${index}]` : name, item));
    } else if (isObject(value)) {
      for (const field of Object.keys(value)) add(`${name}[${field}]`, (value as Record<string, unknown>)[field]);
    } else {
      parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(value === null ? '' : String(value))}`);
    }
  };
  for (const name of Object.keys(query)) add(name, (query as Record<string, unknown>)[name]);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}
