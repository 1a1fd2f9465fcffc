export { cached } from './cached.js';
export type { CachedMiddleware } from './cached.js';
export { provideLarder } from './provide-larder.js';
export { larderInspector } from './inspector.js';
export * from '@larder/core';
