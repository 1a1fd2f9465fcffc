export { parseDuration } from './duration.js';
export {
  LarderError, UnhashableParamError, UserHashError, UnserializableReturnValueError, BadDurationError,
  ResourceError, BadOptionError, StoreConfigError,
} from './errors.js';
export type { LarderErrorCode } from './errors.js';
export { hashValue, hashArguments, normalizeHashFuncs } from './hash.js';
export type { HashFunc, HashFuncsInput, HashOptions, NormalizedHashFuncs } from './hash.js';
export { cacheData } from './data-cache.js';
export type { CacheDataOptions, CachedData } from './data-cache.js';
export { cacheResource } from './resource-cache.js';
export type { CacheResourceOptions, CachedResource } from './resource-cache.js';
export type { CachedFunctionOptions } from './cached-function.js';
export { ResourceRegistry } from './registry.js';
export type { RegisterOptions } from './registry.js';
export { Larder, createLarder } from './larder.js';
export type { LarderOptions, CacheSpace, ReadResult, WriteSpec } from './larder.js';
export { configure, defaultLarder, resources } from './default-larder.js';
export type { LarderEvent, LarderEventName, LarderReason } from './events.js';
export type { CacheStats } from './stats.js';
export type { Clock } from './clock.js';
export type { Store } from './store.js';
export type { StoreOption } from './stores/resolve-store.js';
export { encodeEntry, decodeEntry } from './entry.js';
export type { Entry, EntryHeader } from './entry.js';
export { RouteCache } from './http/route-cache.js';
export type { Decision } from './http/route-cache.js';
export { Capture, responseHeaders } from './http/capture.js';
export type { HeaderPairs } from './http/capture.js';
export { stripUnkeyed, sourceHash } from './http/key.js';
export type { RequestFacts } from './http/key.js';
export type { CachedOptions } from './http/options.js';
export type { ReplayPlan } from './http/replay.js';
export { InputGuard } from './http/guard.js';
export { detachedExchange, isRefresh } from './http/detached.js';
