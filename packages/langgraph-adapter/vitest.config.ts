import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // README examples import this package as users do; resolve it to the sources under test.
    alias: {
      "@replan/langgraph/testing": fileURLToPath(new URL("./src/testing.ts", import.meta.url)),
      "@replan/langgraph": fileURLToPath(new URL("./src/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
