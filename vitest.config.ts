import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * Three suites, each in its own environment: unit (pure core and main-thread plumbing, fast),
 * integration (the real model service on a bundled model in Node), e2e (the built app in
 * Chromium through Playwright). `npm test` runs all three (scripts/test-all.mjs).
 */
export default defineConfig({
  test: {
    projects: [
      {
        // Compiles the runes in *.svelte.ts state classes for their unit tests.
        plugins: [svelte()],
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One model in memory at a time on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
