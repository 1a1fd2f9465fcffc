/**
 * The adapter SPI of @larder/core (`@larder/core/adapter`): what a framework adapter needs to cache
 * routes. `@larder/express` and `@larder/koa` are written against it alone; a Fastify or Hono adapter
 * would be too. See docs/architecture.md. Not part of the application API: it may change in minor versions.
 */
export { RouteCache } from './http/route-cache.js';
export type { Decision } from './http/route-cache.js';
export { Capture, responseHeaders } from './http/capture.js';
export { teeResponse } from './http/node-response.js';
export type { HeaderPairs } from './http/capture.js';
export { stripUnkeyed, sourceHash } from './http/key.js';
export type { RequestFacts } from './http/key.js';
export type { ReplayPlan } from './http/replay.js';
export { InputGuard } from './http/guard.js';
export type { InputKind, PropertyWatch } from './http/guard.js';
export { watchBag, watchGetters, watchIncoming, watchOwnState, undoAll } from './http/request-watch.js';
export { replaceSearch } from './http/target.js';
export { detachedExchange, isRefresh } from './http/detached.js';
export { claimWrite, invalidateWrite, isWrite } from './http/write-invalidation.js';
export type { WriteFacts } from './http/write-invalidation.js';
export { provideSettings } from './http/provide-options.js';
export type { ProvideSettings } from './http/provide-options.js';
export { encodeEntry, decodeEntry } from './store/entry.js';
export type { Entry, EntryHeader } from './store/entry.js';
export type { Store } from './store/store.js';
export type { CacheSpace, ReadResult, WriteSpec } from './larder.js';
export { normalizeHashFuncs } from './hash/hash.js';
export type { NormalizedHashFuncs } from './hash/hash.js';
export { Inspector } from './inspector/inspector.js';
export type { InspectorRequest } from './inspector/inspector.js';
export type { InspectorResponse } from './inspector/responses.js';
export { readForm } from './inspector/form.js';
