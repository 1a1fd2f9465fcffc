/**
 * Reads a function's parameter names from its source text, so cached functions can be keyed by
 * argument name and `_`-prefixed parameters left out (as Streamlit does with Python's signature).
 * Destructured parameters have no name: they are keyed by position.
 */
export interface ParamInfo {
  /** The parameter's name, or undefined for a destructuring pattern. */
  name: string | undefined;
  /** `...rest`: every remaining argument. */
  rest: boolean;
}

export function parseParams(fn: Function): ParamInfo[] {
  const source = Function.prototype.toString.call(fn);
  const list = parameterList(source);
  if (list === undefined) return [];
  return splitTopLevel(list)
    .map((raw) => raw.trim())
    .filter((raw) => raw.length > 0)
    .map(toParamInfo);
}

/**
 * Whether the source mentions `this`. A function that never reads its receiver cannot depend on it, so
 * `api.load()` or `import * as queries; queries.load()` must not hash the object it was called on (which
 * holds the cached function itself, and so is never hashable). Mentions in strings count: a false
 * positive only hashes `this` as it would otherwise be.
 */
export function readsThis(fn: Function): boolean {
  return /\bthis\b/.test(stripComments(Function.prototype.toString.call(fn)));
}

function toParamInfo(raw: string): ParamInfo {
  const rest = raw.startsWith('...');
  const body = rest ? raw.slice(3).trim() : raw;
  const match = /^([\p{L}\p{Nl}$_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$\u200c\u200d]*)\s*(?:=|:|$)/u.exec(body);
  return { name: match ? match[1] : undefined, rest };
}

/** The text between the parentheses of the parameter list, or a lone arrow parameter. */
function parameterList(source: string): string | undefined {
  const code = stripComments(source);
  const open = code.indexOf('(');
  const arrow = code.indexOf('=>');
  if (arrow !== -1 && (open === -1 || arrow < open)) {
    // `x => …` or `async x => …`
    return code.slice(0, arrow).replace(/^\s*async\s+/, '').trim();
  }
  if (open === -1) return undefined;
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    const ch = code[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return code.slice(open + 1, i);
    } else if (ch === '"' || ch === "'" || ch === '`') {
      i = skipString(code, i);
    }
  }
  return undefined;
}

function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === '"' || ch === "'" || ch === '`') i = skipString(list, i);
    else if (ch === ',' && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(list.slice(start));
  return parts;
}

function skipString(code: string, start: number): number {
  const quote = code[start];
  for (let i = start + 1; i < code.length; i++) {
    if (code[i] === '\\') i++;
    else if (code[i] === quote) return i;
  }
  return code.length;
}

function stripComments(code: string): string {
  let out = '';
  for (let i = 0; i < code.length; i++) {
    const ch = code[i];
    if (ch === '"' || ch === "'" || ch === '`') {
      const end = skipString(code, i);
      out += code.slice(i, end + 1);
      i = end;
    } else if (ch === '/' && code[i + 1] === '/') {
      while (i < code.length && code[i] !== '\n') i++;
      out += ' ';
    } else if (ch === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      i = end === -1 ? code.length : end + 1;
      out += ' ';
    } else out += ch;
  }
  return out;
}

/**
 * Pairs call arguments with their names: named parameters by name, destructured, rest and
 * surplus arguments by position (`#2`); `_`-prefixed parameters are dropped. Trailing
 * `undefined` arguments are ignored, so `f(1)` and `f(1, undefined)` share an entry.
 */
export function namedArguments(params: readonly ParamInfo[], args: readonly unknown[]): Array<[string, unknown]> {
  let count = args.length;
  while (count > 0 && args[count - 1] === undefined) count--;
  const named: Array<[string, unknown]> = [];
  let restFrom = params.findIndex((p) => p.rest);
  if (restFrom === -1) restFrom = Infinity;
  for (let i = 0; i < count; i++) {
    const param = i < restFrom ? params[i] : params[restFrom as number];
    const name = param?.name;
    if (name?.startsWith('_')) continue;
    named.push([name !== undefined && !param?.rest ? name : `#${i}`, args[i]]);
  }
  return named;
}
