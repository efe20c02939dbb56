import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 30_000,
    // One LangGraph dev server per integration file; it takes a while to start.
    hookTimeout: 90_000,
  },
});
