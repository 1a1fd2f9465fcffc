import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, file = 'index') => fileURLToPath(new URL(`./packages/${pkg}/src/${file}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources; `npm test` builds first so the published dist type-checks too.
    alias: [
      { find: /^@larder\/core\/adapter$/, replacement: src('core', 'adapter') },
      { find: /^@larder\/core$/, replacement: src('core') },
      { find: /^@larder\/express$/, replacement: src('express') },
      { find: /^@larder\/koa$/, replacement: src('koa') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    // A green run prints only the runner's output: expected warnings are taken and asserted, anything else fails the test.
    // No unhandled rejection anywhere: the test during which one surfaces fails, naming it.
    setupFiles: ['test/support/quiet-setup.ts', 'test/support/unhandled.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
