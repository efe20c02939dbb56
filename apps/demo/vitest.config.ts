import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // The end-to-end tests mostly wait on child processes: run the files side by side.
    maxWorkers: 3,
    testTimeout: 45_000,
  },
});
