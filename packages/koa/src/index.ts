export { cached } from './cached.js';
export type { CachedMiddleware } from './cached.js';
export * from '@larder/core';
