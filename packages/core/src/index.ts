// The public API of @larder/core: what applications call. Framework adapters use '@larder/core/adapter'.
export { parseDuration } from './duration.js';
export {
  LarderError, UnhashableParamError, UserHashError, UnserializableReturnValueError, BadDurationError,
  ResourceError, BadOptionError, StoreConfigError, StoreError,
} from './errors.js';
export type { LarderErrorCode } from './errors.js';
export { hashValue, hashArguments } from './hash/hash.js';
export type { HashFunc, HashFuncsInput, HashOptions } from './hash/hash.js';
export { cacheData } from './functions/data-cache.js';
export type { CacheDataOptions, CachedData } from './functions/data-cache.js';
export { cacheResource } from './functions/resource-cache.js';
export type { CacheResourceOptions, CachedResource } from './functions/resource-cache.js';
export type { CachedFunctionOptions } from './functions/cached-function.js';
export type { ResourceRegistry, RegisterOptions } from './functions/registry.js';
export { Larder, createLarder } from './larder.js';
export type { LarderOptions } from './larder.js';
export { configure, defaultLarder, resources } from './default-larder.js';
export type { LarderEvent, LarderEventName, LarderReason } from './events.js';
export type { CacheStats } from './stats.js';
export type { Clock } from './clock.js';
export type { StoreOption } from './store/backends/resolve-store.js';
export type { CachedOptions } from './http/options.js';
export type { ProvideLarderOptions } from './http/provide-options.js';
export type { InspectorOptions } from './inspector/options.js';
export type { InspectorSnapshot, SpaceReport, ReasonCount } from './inspector/snapshot.js';
export { larderMetrics, PROMETHEUS_CONTENT_TYPE } from './inspector/metrics.js';
