import type { LarderReason } from '../events.js';

/**
 * Each reason code in a few words, as docs/troubleshooting.md explains it, for the inspector page.
 * The codes are stable; a code missing here is shown with a pointer to the guide.
 */
const WORDS: Record<string, string> = {
  absent: 'nothing stored under this key yet: a first request, or something in the key changes every time',
  expired: 'the entry outlived its ttl (and its stale window)',
  invalidated: 'one of its tags was invalidated, or the function or route was cleared',
  corrupt: 'the stored bytes failed the integrity check; the entry was deleted',
  'store-error': 'the store failed (Redis unreachable, SQLite not writable); the error events say why',
  'store-timeout': 'the store took longer than storeTimeout to answer',
  authorization: 'the request carries Authorization and the route does not key on it',
  'body-on-get': 'a GET or HEAD request with a body',
  'body-not-parsed': 'the request has a body but no parser ran before cached()',
  unhashable: 'a param, query or key() value has no hashing rule (add hashFuncs)',
  status: 'the status is not in statuses (default [200])',
  'set-cookie': 'the response sets a cookie',
  'cache-control-response': 'the response says Cache-Control: no-store or private',
  'vary-star': 'the response says Vary: *',
  'body-too-large': 'the body is larger than maxBodyBytes',
  'incomplete-body': 'the body did not match its Content-Length, or never finished',
  'handler-error': 'the handler threw',
  aborted: 'the client went away before the response ended',
  guard: 'the handler read a header or per-user state that is not in the key',
  'head-miss': 'a HEAD request missed; nothing is stored for GET from it',
  'stale-if-error': 'the handler failed and the stale copy was served',
  'stale-while-revalidate': 'the stale copy was served while one refresh ran',
  'compute-error': 'a background refresh threw',
  lru: 'the memory store evicted it to stay within maxBytes or maxEntries',
  'max-entries': "the function's maxEntries was reached",
  cleared: 'released by clear()',
  'validate-failed': 'validate() returned false',
  released: 'released by close()',
};

/** A reason code in words, for people. */
export function reasonInWords(reason: LarderReason): string {
  return WORDS[reason] ?? 'see docs/troubleshooting.md';
}
