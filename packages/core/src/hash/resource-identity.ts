/**
 * Objects handed out by `cacheResource` or the resource registry hash by who made them
 * (function/name + the key of its own arguments), so they can be passed to cached functions
 * without `hashFuncs`. The mark lives in a WeakMap: it never keeps a resource alive.
 */
const identities = new WeakMap<object, string>();

export function markResource(value: unknown, identity: string): void {
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    if (!identities.has(value)) identities.set(value, identity);
  }
}

export function resourceIdentity(value: object): string | undefined {
  return identities.get(value);
}
