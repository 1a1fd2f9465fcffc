/**
 * Invalidation on writes (RFC 9111 §4.4): a non-error response to an unsafe method (POST, PUT, PATCH,
 * DELETE, and any method not known to be safe) drops the stored responses of its path and of the
 * same-origin paths its `Location` and `Content-Location` name — in every process sharing the store.
 *
 * Every HTTP entry is written under the tag of its path, and a write moves that tag's version (tags.ts):
 * the check costs a hit one more tag version in the read it makes anyway. Paths are hashed into a fixed
 * number of tags, so a store holds at most that many, whatever paths are written; a write therefore also
 * drops, rarely (one path in 16,384), the entries of an unrelated path that shares its tag.
 */
import type { Larder } from '../larder.js';

/** RFC 9110 §9.2.1: the methods known to be safe; every other one may change what GETs return. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** How many path tags there are. */
const PATH_TAGS = 16_384;

/** Whether a response to `method` may invalidate (before its status is known). */
export function isWrite(method: string): boolean {
  return !SAFE.has(method);
}

/**
 * The tag every stored response of this path carries: host (lower-cased) and path (without the query,
 * so `PUT /users/42` also drops `GET /users/42?fields=name`). Computed on every hit, so without
 * building a string: FNV-1a over the characters (fast, and spreads `/users/41` and `/users/42` apart).
 */
export function pathTag(host: string | undefined, url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let hash = 0x811c9dc5;
  if (host !== undefined) {
    for (let i = 0; i < host.length; i++) {
      const code = host.charCodeAt(i);
      hash = Math.imul(hash ^ (code >= 65 && code <= 90 ? code + 32 : code), 0x01000193);
    }
  }
  for (let i = 0; i < url.length; i++) {
    let code = url.charCodeAt(i);
    if (code === 63 /* ? */ || code === 35 /* # */) break;
    // RFC 3986 §6.2.2.2: `%34%32` is `42`. An unreserved character means the same encoded or not, so a
    // write to `/users/42` also reaches `GET /users/%34%32`; reserved ones (`%2F`) stay as they are.
    if (code === 37 /* % */ && i + 2 < url.length) {
      const decoded = unreserved(hexValue(url.charCodeAt(i + 1)) * 16 + hexValue(url.charCodeAt(i + 2)));
      if (decoded !== -1) {
        code = decoded;
        i += 2;
      }
    }
    hash = Math.imul(hash ^ code, 0x01000193);
  }
  const bucket = (hash >>> 0) % PATH_TAGS;
  return (TAG_NAMES[bucket] ??= `larder:path:${bucket.toString(36)}`);
}

/** 0–15 for a hex digit's character code, else a value that makes any byte built from it invalid. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -4096;
}

/** `byte` when it is an unreserved character (ALPHA, DIGIT, `-`, `.`, `_`, `~`), else -1. */
function unreserved(byte: number): number {
  if ((byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57)) return byte;
  return byte === 45 || byte === 46 || byte === 95 || byte === 126 ? byte : -1;
}

/** The tag names made so far, by bucket (at most {@link PATH_TAGS}). */
const TAG_NAMES: string[] = [];

/** What a finished write tells: its request, its status, and where its response points. */
export interface WriteFacts {
  method: string;
  host: string | undefined;
  /** The request target as received (`req.originalUrl`, `ctx.originalUrl`). */
  url: string | undefined;
  status: number;
  location?: unknown;
  contentLocation?: unknown;
}

/** The path tags a write moves: none when it failed (RFC 9111 §4.4: only non-error responses invalidate). */
export function writeTags(write: WriteFacts): string[] {
  if (!isWrite(write.method) || write.status < 200 || write.status >= 400 || write.url === undefined) return [];
  const tags = new Set<string>();
  const own = pathTag(write.host, write.url);
  if (own) tags.add(own);
  const base = `http://${write.host ?? 'localhost'}${write.url.startsWith('/') ? '' : '/'}${write.url}`;
  for (const reference of [write.location, write.contentLocation]) {
    if (typeof reference !== 'string' || reference === '') continue;
    let target: URL;
    try {
      target = new URL(reference, base);
    } catch {
      continue;
    }
    // Only the same origin: a response must not be able to drop another site's entries.
    if (target.host.toLowerCase() !== new URL(base).host.toLowerCase()) continue;
    const tag = pathTag(target.host, target.pathname);
    if (tag) tags.add(tag);
  }
  return [...tags];
}

/** Requests whose write has been claimed (by provideLarder or an app-level cached(), whichever ran first), or that are not to invalidate. */
const claimed = new WeakSet<object>();
/** Requests a cached() route answers as a read (`methods: ['POST']` for a search endpoint): they invalidate nothing. */
const reads = new WeakSet<object>();

/** Takes charge of invalidating after this request; false when something before did (or turned it off). */
export function claimWrite(request: object): boolean {
  if (claimed.has(request)) return false;
  claimed.add(request);
  return true;
}

/** Marks a request that a cached() route handles as a cacheable read. */
export function markCachedRead(request: object): void {
  reads.add(request);
}

/**
 * Moves the path tags of a finished write, within the larder's store timeout. Never rejects: a store
 * that fails or does not answer is reported as an `error` event, and the response goes out anyway.
 * Returns undefined when the write invalidates nothing (a failure, a cached read, a closed larder).
 */
export function invalidateWrite(larder: Larder, request: object, write: WriteFacts): Promise<void> | undefined {
  if (reads.has(request) || larder.closed) return undefined;
  const tags = writeTags(write);
  if (tags.length === 0) return undefined;
  const cache = `${write.method} ${write.url}`;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, larder.storeTimeoutMs, 'timeout');
  });
  return Promise.race([larder.invalidate(tags), timeout]).then(
    (outcome) => {
      if (outcome === 'timeout') {
        larder.emitEvent('error', { cache, kind: 'http', reason: 'store-timeout', error: new Error(`invalidating ${cache} took longer than ${larder.storeTimeoutMs} ms (storeTimeout)`) });
      }
    },
    (error: unknown) => larder.emitEvent('error', { cache, kind: 'http', reason: 'store-error', error }),
  ).finally(() => clearTimeout(timer));
}
