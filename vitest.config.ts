import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Vite would resolve our own `import 'graphql'` to graphql's ESM build while graphql-yoga, loaded by
// Node, gets the CommonJS one: two graphql instances that refuse each other's schema objects. Point
// ours at the file Node picks, so tests run the one instance production runs.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');

export default defineConfig({
  resolve: {
    alias: [{ find: /^graphql$/, replacement: graphqlEntry }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Each file gets its own database, so files run in parallel safely; two cores here.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
