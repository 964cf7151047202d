import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 has a "module" field but no "exports": vite would load index.mjs for our
    // code while graphql-yoga gets index.js from Node, and `instanceof GraphQLError` breaks.
    // Node (and so the real service) always loads index.js; make the tests do the same.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The Temporal native bridge crashes under worker threads: one process per file.
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    // Structured logs stay out of the test output unless asked for (LOG_LEVEL=info npm test).
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
    hookTimeout: 120_000,
  },
});
