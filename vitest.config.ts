import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

const shared = {
  resolve: {
    // graphql 16 has a "module" field but no "exports": vite would load index.mjs for our
    // code while graphql-yoga gets index.js from Node, and `instanceof GraphQLError` breaks.
    // Node (and so the real service) always loads index.js; make the tests do the same.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
};
// The Temporal native bridge crashes under worker threads: one process per file.
const pool = 'forks' as const;
// Structured logs stay out of the test output unless asked for (LOG_LEVEL=info npm test).
const LOG_ENV = { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };

export default defineConfig({
  ...shared,
  test: {
    // Runs once for both projects (neither extends this file, so neither repeats it).
    globalSetup: ['test/global-setup.ts'],
    projects: [
      {
        ...shared,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/faults/**'], pool, testTimeout: 60_000, hookTimeout: 120_000, env: LOG_ENV },
      },
      {
        ...shared,
        // Fault tests kill and restart servers and worker processes, with timeouts measured in
        // seconds: they run after the suite, one file at a time, so neither disturbs the other
        // and no two of them start a Temporal dev server at once.
        test: { name: 'faults', include: ['test/faults/**/*.test.ts'], pool, maxWorkers: 1, sequence: { groupOrder: 1 }, testTimeout: 240_000, hookTimeout: 120_000, env: LOG_ENV },
      },
    ],
  },
});
