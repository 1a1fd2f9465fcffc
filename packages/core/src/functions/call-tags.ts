import { BadOptionError, describe } from '../errors.js';

/** `tags` of `cacheData`: a list, or computed from the call's arguments. */
export type FunctionTags<Args extends readonly unknown[] = any[]> = readonly string[] | ((...args: Args) => readonly string[]);

/** The tags of one call; `this` is the method receiver, as the cached function sees it. */
export type CallTags = (thisArg: unknown, args: readonly unknown[]) => readonly string[];

const EXAMPLE = "cacheData(loadUser, { tags: (id) => [`user:${id}`] })";
const NONE: readonly string[] = [];

/**
 * Validates `tags` once: a fixed list is checked now, a function's result on every call (it cannot be
 * known before). Undefined when there are no tags, so a call without them does no work.
 */
export function callTags(option: unknown): CallTags | undefined {
  if (option === undefined) return undefined;
  if (typeof option === 'function') {
    return (thisArg, args) => checkTags((option as (...args: unknown[]) => unknown).apply(thisArg, args as unknown[]), 'the tags function returned');
  }
  const fixed = checkTags(option, 'expected an array of tags or a function of the arguments, got');
  return fixed.length === 0 ? undefined : () => fixed;
}

function checkTags(tags: unknown, problem: string): readonly string[] {
  if (tags === undefined || tags === null) return NONE;
  if (!Array.isArray(tags)) throw new BadOptionError('tags', `${problem} ${describe(tags)}, not an array of non-empty strings`, EXAMPLE);
  const bad: unknown = tags.find((tag) => typeof tag !== 'string' || tag.length === 0);
  if (bad !== undefined || tags.includes(undefined)) {
    throw new BadOptionError('tags', `${problem} an array holding ${describe(bad)}; tags are non-empty strings`, EXAMPLE);
  }
  return tags as readonly string[];
}
