import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // The end-to-end tests mostly wait on child processes, but each process loads LangChain: on a
    // 2-core machine (CI), a few at a time.
    maxWorkers: 2,
    maxConcurrency: 2,
    testTimeout: 90_000,
    hookTimeout: 60_000,
    // web.test.ts polls pages of runs that start as processes: generous on a loaded machine.
    expect: { poll: { timeout: 60_000 } },
  },
});
