import { defineConfig } from 'vitest/config';

// .ci/run sets FAULTLINE_TEST_JSON to collect the pass/fail count from vitest's JSON reporter.
const json = process.env.FAULTLINE_TEST_JSON;

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Two cores, and many files measure timing over real sockets (arrival spread, switch
    // lag, toxic latency) with worker processes of their own: one file at a time, so one
    // file's load never starves another's event loop and shows up as a false failure.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
  },
});
