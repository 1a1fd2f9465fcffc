import type { LarderReason } from '../events.js';
import type { RouteConfig } from './options.js';

/**
 * The storability rules of a shared cache, narrowed to what a route cache must never get wrong.
 * RFC 9111 §3 (storing), RFC 9110 §7.6.1 (hop-by-hop fields).
 */

/** A request that is neither read from nor written to the cache; `pass` means not cached at all. */
export function requestBypass(
  config: RouteConfig,
  method: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): LarderReason | 'pass' | undefined {
  if (!config.methods.has(method)) return 'pass';
  if (headers.authorization !== undefined && !config.shareAuthenticated && !config.key && !config.vary.includes('authorization')) {
    return 'authorization';
  }
  if ((method === 'GET' || method === 'HEAD') && hasBody(headers)) return 'body-on-get';
  return undefined;
}

export function hasBody(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}

export interface ResponseFacts {
  status: number;
  headers: ReadonlyArray<readonly [string, string | string[]]>;
  bodyBytes: number;
}

/** Why a finished response may not be stored, or undefined when it may. */
export function responseNotStorable(config: RouteConfig, response: ResponseFacts): LarderReason | undefined {
  if (!config.statuses.has(response.status)) return 'status';
  let declaredLength: string | undefined;
  for (const [name, value] of response.headers) {
    const lower = name.toLowerCase();
    if (lower === 'set-cookie') return 'set-cookie';
    if (lower === 'cache-control' && /(?:^|[\s,])(?:no-store|private)(?:[\s,=]|$)/i.test(String(value))) return 'cache-control-response';
    if (lower === 'vary' && varyNames(value).includes('*')) return 'vary-star';
    if (lower === 'content-length') declaredLength = String(value);
  }
  if (response.bodyBytes > config.maxBodyBytes) return 'body-too-large';
  if (declaredLength !== undefined && Number(declaredLength) !== response.bodyBytes) return 'incomplete-body';
  return undefined;
}

/** Lower-cased names listed in a `Vary` header. */
export function varyNames(value: string | string[] | number | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : String(value);
  return joined.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
}

/**
 * The `Vary` value that lists `names` (the request headers `vary` keys) besides what `existing`
 * already lists: a CDN or browser cache in front must key on them too (RFC 9110 §12.5.5). Undefined
 * when there is nothing to say.
 */
export function mergeVary(existing: string | string[] | number | undefined, names: readonly string[]): string | undefined {
  const listed = varyNames(existing);
  const missing = names.filter((name) => !listed.includes(name) && !listed.includes('*'));
  if (missing.length === 0) return existing === undefined ? undefined : Array.isArray(existing) ? existing.join(', ') : String(existing);
  const added = missing.map((name) => name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase()));
  return [...(listed.length > 0 ? [Array.isArray(existing) ? existing.join(', ') : String(existing)] : []), ...added].join(', ');
}

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);
/**
 * Headers Larder adds on every answer (a stored copy would lie on replay), and Content-Length,
 * which replay always sets from the stored body.
 */
const OWN_HEADERS = new Set(['x-cache', 'age', 'server-timing', 'x-larder-reason', 'date', 'content-length']);

/** The headers worth storing: no hop-by-hop fields (nor those `Connection` names), none of Larder's own. */
export function storableHeaders(headers: ReadonlyArray<readonly [string, string | string[]]>): Array<[string, string | string[]]> {
  const connection = new Set<string>();
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'connection') for (const token of varyNames(value)) connection.add(token);
  }
  const kept: Array<[string, string | string[]]> = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || OWN_HEADERS.has(lower) || connection.has(lower)) continue;
    kept.push([name, value]);
  }
  return kept;
}
