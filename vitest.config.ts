import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit`: the inner loop, in-process (PGlite, and Postgres when TEST_DATABASE_URL is set).
 * `system`: what starts processes or a browser, or runs for long — crash and kill tests, the service's own
 * processes, the CLIs as a user runs them, Chromium, the fuzzer, the knowledge watcher. `npm test` runs both;
 * `npm run test:unit` and `npm run test:system` run one.
 */
const SYSTEM = [
  'test/ops/**/*.test.ts',
  'test/**/crash.test.ts',
  'test/web/**/*.test.ts',
  'test/console/*browser*.test.ts',
  'test/**/*-cli.test.ts',
  'test/cli/ask.test.ts',
  'test/store/lock.test.ts',
  'test/channels/*-service.test.ts',
  'test/security/fuzz.test.ts',
  'test/knowledge/live-reload.test.ts',
  // Restarts and schema upgrades: opens, migrates and reopens databases on disk many times.
  'test/store/lifecycle.test.ts',
];

const shared = { testTimeout: 30_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'unit', include: ['test/**/*.test.ts'], exclude: SYSTEM } },
      { test: { ...shared, name: 'system', include: SYSTEM } },
    ],
  },
});
