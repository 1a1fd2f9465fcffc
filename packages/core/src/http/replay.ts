import fresh from 'fresh';
import type { Entry } from '../store/entry.js';
import type { HttpFreshness } from './freshness.js';
import { mergeVary } from './policy.js';

/** What an HTTP entry's metadata holds besides the body bytes. */
export interface StoredResponse {
  status: number;
  /** Header names in the case the handler used; multi-valued headers as arrays. */
  headers: Array<[string, string | string[]]>;
  /** The validators are read from `headers`; entries written before they were dropped here still carry them. */
  etag?: string;
  lastModified?: string;
  /** `mode: 'http'`: the response's freshness, decided when it was stored. */
  http?: HttpFreshness;
}

/** A response ready to be written by an adapter. `body` is undefined for HEAD and 304. Shared between requests: never mutate it. */
export interface ReplayPlan {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string | string[]]>;
  readonly body: Buffer | undefined;
}

/** RFC 9110 §15.4.5: a 304 carries the fields a 200 would have sent among these. */
const NOT_MODIFIED_FIELDS = new Set(['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified']);

/**
 * Plans the answer to a request from a stored response: byte-identical headers and body,
 * plus `X-Cache`, `Age` and `Server-Timing`; `304` when the request's validators match
 * (weak comparison for If-None-Match, lists and `*`; If-Modified-Since only without it).
 * `vary`: the request headers the route keys on, listed in `Vary` besides the handler's own.
 */
export function planReplay(
  entry: Entry,
  request: { method: string; headers: Readonly<Record<string, string | string[] | undefined>> },
  state: 'HIT' | 'STALE',
  ageMs: number,
  reason?: string,
  vary: readonly string[] = [],
): ReplayPlan {
  const stored = entry.header.meta as StoredResponse;
  const age = Math.floor(ageMs / 1000);
  if (isConditional(request.headers) && fresh(request.headers, validators(stored))) {
    const headers = baseHeaders(entry, stored, vary).filter(([name]) => NOT_MODIFIED_FIELDS.has(name.toLowerCase()));
    return { status: 304, headers: [...headers, ...larderHeaders(state, age, reason)], body: undefined };
  }
  const body = request.method === 'HEAD' ? undefined : entry.payload;
  // The common case, a plain GET hit: every one of an entry within one second of Age gets the same plan.
  const shared = body !== undefined && state === 'HIT' && reason === undefined;
  const last = shared ? hitPlans.get(entry) : undefined;
  if (last !== undefined && last.age === age) return last.plan;
  const plan: ReplayPlan = { status: stored.status, headers: [...baseHeaders(entry, stored, vary), ...larderHeaders(state, age, reason)], body };
  if (shared) hitPlans.set(entry, { age, plan });
  return plan;
}

/** Each entry's last plain GET hit plan and the Age (seconds) it was made for. */
const hitPlans = new WeakMap<Entry, { age: number; plan: ReplayPlan }>();

/** `X-Cache`, `Age` and `Server-Timing`, plus `X-Larder-Reason` with debugHeaders. */
function larderHeaders(state: 'HIT' | 'STALE', age: number, reason?: string): Array<[string, string]> {
  const headers: Array<[string, string]> = [
    ['X-Cache', state],
    ['Age', String(age)],
    ['Server-Timing', state === 'HIT' ? 'larder;desc="hit"' : 'larder;desc="stale"'],
  ];
  if (reason) headers.push(['X-Larder-Reason', reason]);
  return headers;
}

/**
 * An entry's replay headers minus Larder's own, computed once per decoded entry (memory hits reuse it;
 * an entry belongs to one route, so its `vary` is always the same).
 */
const baseHeaderCache = new WeakMap<Entry, ReadonlyArray<[string, string | string[]]>>();

function baseHeaders(entry: Entry, stored: StoredResponse, vary: readonly string[]): ReadonlyArray<[string, string | string[]]> {
  let headers = baseHeaderCache.get(entry);
  if (!headers) {
    // The stored length is the body's; a streamed original had none, and HEAD must announce it.
    const list = stored.headers.filter(([name]) => name.toLowerCase() !== 'content-length' && (vary.length === 0 || name.toLowerCase() !== 'vary'));
    if (vary.length > 0) {
      const own = stored.headers.find(([name]) => name.toLowerCase() === 'vary');
      list.push([own?.[0] ?? 'Vary', mergeVary(own?.[1], vary)!]);
    }
    list.push(['Content-Length', String(entry.payload.length)]);
    baseHeaderCache.set(entry, (headers = list));
  }
  return headers;
}

function validators(stored: StoredResponse): { etag?: string; 'last-modified'?: string } {
  let etag = stored.etag;
  let lastModified = stored.lastModified;
  let date: string | undefined;
  for (const [name, value] of stored.headers) {
    const lower = name.toLowerCase();
    if (lower === 'etag') etag = String(value);
    else if (lower === 'last-modified') lastModified = String(value);
    else if (lower === 'date') date = String(value);
  }
  // RFC 9111 §4.3.2: without Last-Modified, a shared cache evaluates If-Modified-Since against the stored Date.
  if (lastModified === undefined && stored.http) lastModified = date;
  return { etag, 'last-modified': lastModified };
}

function isConditional(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  return headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined;
}
