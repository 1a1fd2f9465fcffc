import { LarderError } from '../errors.js';
import type { Larder } from '../larder.js';

/** The outcome of an action, for a redirect with a message or a JSON answer. */
export type ActionResult =
  | { ok: true; done: 'cleared' | 'cleared-all' | 'invalidated'; subject: Record<string, string> }
  | { ok: false; status: number; error: string };

/**
 * `POST <mount>/clear`: `all=1` drops every entry in the store (`larder.clear()`); `cache=<name>`
 * (with `kind=http|data` when a route and a function share a name) drops the entries of that
 * function or route, in every process sharing the store.
 */
export async function clearAction(larder: Larder, form: URLSearchParams): Promise<ActionResult> {
  if (form.get('all') === '1') {
    return settle(larder.clear(), () => ({ ok: true, done: 'cleared-all', subject: {} }));
  }
  const cache = form.get('cache') ?? '';
  const kind = form.get('kind');
  if (cache === '') return { ok: false, status: 400, error: 'say what to clear: cache=<name> (e.g. GET /users/:id) or all=1' };
  const kinds: ReadonlyArray<'http' | 'data'> | undefined = kind === null ? ['http', 'data'] : kind === 'http' || kind === 'data' ? [kind] : undefined;
  if (!kinds) return { ok: false, status: 400, error: `kind must be http or data, got ${kind}` };
  return settle(Promise.all(kinds.map((k) => larder.clearNamed(k, cache))), (counts): ActionResult => {
    if (counts.some((n) => n > 0)) return { ok: true, done: 'cleared', subject: { cache } };
    return { ok: false, status: 404, error: `No cached route or function named ${cache} has run in this process.` };
  });
}

/** `POST <mount>/invalidate`: `tag=<tag>` moves the tag on, like `larder.invalidate(tag)`. */
export async function invalidateAction(larder: Larder, form: URLSearchParams): Promise<ActionResult> {
  const tag = (form.get('tag') ?? '').trim();
  if (tag === '') return { ok: false, status: 400, error: 'say which tag to invalidate: tag=<tag> (e.g. user:42)' };
  return settle(larder.invalidate(tag), () => ({ ok: true, done: 'invalidated', subject: { tag } }));
}

/** The store may fail or time out: that is a failed action with its reason, not a crash. */
async function settle<T>(work: Promise<T>, then: (value: T) => ActionResult): Promise<ActionResult> {
  try {
    return then(await work);
  } catch (error) {
    const reason = error instanceof LarderError || error instanceof Error ? error.message : String(error);
    return { ok: false, status: 502, error: `The store did not complete the action: ${reason}` };
  }
}
