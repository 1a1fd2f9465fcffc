/**
 * Cache directives as RFC 9111 §5.2 writes them (`Cache-Control`, `Pragma`) and as RFC 9213 writes
 * them (`CDN-Cache-Control`, a Structured Field Dictionary, RFC 8941). Parsing is strict where the
 * grammar is: a directive that does not parse is ignored, never guessed at, because a guessed
 * `max-age` can serve a page that its origin said must not be reused.
 */

/** Directive name (lower-cased) → its value, or `true` when it has none. The first occurrence wins (§4.2.1). */
export type Directives = ReadonlyMap<string, string | true>;

/** RFC 9110 §5.6.2 token characters. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The greatest delta-seconds a cache needs to represent (RFC 9111 §1.2.2): larger values mean this. */
export const MAX_DELTA_SECONDS = 2 ** 31;

/** The field lines of a header joined as one list, as RFC 9110 §5.3 allows for list-based fields. */
export function joinLines(value: string | readonly string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * Parses `Cache-Control` (one value or several field lines): `token [ "=" ( token / quoted-string ) ]`,
 * comma-separated. Names are case-insensitive; commas inside a quoted string do not separate.
 * A member that is not a directive (`max-age =5`, `max-age='5'` is kept as a token, see delta()) is skipped.
 */
export function parseCacheControl(value: string | readonly string[] | number | undefined): Directives {
  const directives = new Map<string, string | true>();
  const text = joinLines(value);
  if (text === undefined) return directives;
  for (const member of splitList(text)) {
    const equals = member.indexOf('=');
    const name = (equals === -1 ? member : member.slice(0, equals)).toLowerCase();
    if (!TOKEN.test(name)) continue;
    let argument: string | true = true;
    if (equals !== -1) {
      const raw = member.slice(equals + 1);
      if (raw.startsWith('"')) {
        const unquoted = unquote(raw);
        if (unquoted === undefined) continue;
        argument = unquoted;
      } else if (TOKEN.test(raw)) {
        argument = raw;
      } else {
        continue;
      }
    }
    if (!directives.has(name)) directives.set(name, argument);
  }
  return directives;
}

/**
 * A delta-seconds argument (`max-age=3600`, also quoted, as §5.2 asks recipients to accept):
 * digits only, so `-1`, `3600.5`, `'3600'` and `1h` are invalid (undefined). Values beyond 2^31 are 2^31.
 */
export function delta(argument: string | true | undefined): number | undefined {
  if (typeof argument !== 'string' || !/^\d+$/.test(argument)) return undefined;
  const seconds = Number(argument);
  return seconds > MAX_DELTA_SECONDS ? MAX_DELTA_SECONDS : seconds;
}

/**
 * Parses `CDN-Cache-Control` (RFC 9213) as a Structured Field Dictionary. Returns undefined when the
 * field is absent, does not parse, or gives a directive the cache uses a value of the wrong type: then
 * the cache behaves as if it were not there (RFC 9213 §2.1) and `Cache-Control` applies.
 */
export function parseTargeted(value: string | readonly string[] | number | undefined): Directives | undefined {
  const text = joinLines(value);
  if (text === undefined || text.trim() === '') return undefined;
  const directives = new Map<string, string | true>();
  for (const rawMember of splitList(text)) {
    // Parameters (";a=1") are allowed by the grammar and carry nothing a cache uses.
    const member = rawMember.split(';')[0]!;
    const equals = member.indexOf('=');
    const key = equals === -1 ? member : member.slice(0, equals);
    if (!/^[a-z*][a-z0-9_.*-]*$/.test(key)) return undefined;
    let item: string | true = true;
    if (equals !== -1) {
      const raw = member.slice(equals + 1);
      if (/^-?\d{1,15}$/.test(raw) || /^-?\d{1,12}\.\d{1,3}$/.test(raw) || /^[A-Za-z*][!#$%&'*+.^_`|~0-9A-Za-z:/-]*$/.test(raw) || /^:[A-Za-z0-9+/=]*:$/.test(raw)) {
        item = raw;
      } else if (raw === '?1' || raw === '?0') {
        item = raw === '?1' ? true : '?0';
      } else if (raw.startsWith('"')) {
        const unquoted = unquote(raw);
        if (unquoted === undefined) return undefined;
        item = `"${unquoted}`; // marked as a String: never a valid delta-seconds
      } else {
        return undefined;
      }
    }
    if (!directives.has(key)) directives.set(key, item);
  }
  for (const name of ['max-age', 's-maxage', 'stale-while-revalidate', 'stale-if-error']) {
    const item = directives.get(name);
    if (item !== undefined && (item === true || !/^\d+$/.test(item))) return undefined;
  }
  return directives;
}

/** Splits a comma-separated list, keeping commas inside quoted strings; trims members and drops empty ones. */
function splitList(text: string): string[] {
  const members: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      current += char;
      if (char === '\\' && i + 1 < text.length) current += text[++i];
      else if (char === '"') quoted = false;
    } else if (char === ',') {
      members.push(current);
      current = '';
    } else {
      if (char === '"') quoted = true;
      current += char;
    }
  }
  members.push(current);
  return members.map((member) => member.trim()).filter((member) => member.length > 0);
}

/** The content of a quoted-string that spans all of `raw`, or undefined when it does not. */
function unquote(raw: string): string | undefined {
  if (raw.length < 2 || !raw.startsWith('"') || !raw.endsWith('"')) return undefined;
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    const char = raw[i]!;
    if (char === '"') return undefined;
    if (char === '\\') {
      if (i + 1 >= raw.length - 1) return undefined;
      out += raw[++i];
    } else {
      out += char;
    }
  }
  return out;
}
