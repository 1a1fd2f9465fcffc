export { cached } from './cached.js';
export type { CachedMiddleware } from './cached.js';
export { provideLarder } from './provide-larder.js';
export * from '@larder/core';
