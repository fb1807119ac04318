import { defineConfig } from 'vitest/config';

// .ci/run sets FAULTLINE_TEST_JSON to collect the pass/fail count from vitest's JSON reporter.
const json = process.env.FAULTLINE_TEST_JSON;

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Two cores: the socket-level tests measure timing, so keep the worker count low
    // enough that one test's load does not starve another's event loop.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
  },
});
