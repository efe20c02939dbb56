import { fileURLToPath } from "node:url";
import { defineConfig } from "tsdown";

export default defineConfig([
  {
    // The Node side: the server helper, the model, the LangGraph SDK bridge.
    entry: ["src/index.ts", "src/langgraph-sdk.ts"],
    format: ["esm", "cjs"],
    dts: true,
    platform: "node",
    target: "node20",
    sourcemap: true,
    shims: true,
    clean: true,
  },
  {
    // The browser side: the element with everything it needs (dagre, core's reference
    // resolution) in one file, served by the server helper; nothing is fetched at run time.
    entry: { "replan-view": "src/browser.ts" },
    outDir: "dist/browser",
    format: ["esm"],
    platform: "browser",
    target: "es2022",
    dts: false,
    minify: true,
    sourcemap: false,
    clean: false,
    noExternal: [/.*/],
    // Core's sources (modules without side effects, one per file) rather than its single-file
    // build: only what the element uses (reference resolution, step keys, the options checker) is
    // bundled, not zod. The internal entry first: "@replan/core" would also match it as a prefix.
    // Its modules use no Node API (the body reader, unused here, reads any async iterable).
    alias: {
      "@replan/core/internal": fileURLToPath(new URL("../core/src/internal.ts", import.meta.url)),
      "@replan/core": fileURLToPath(new URL("../core/src/index.ts", import.meta.url)),
    },
    outExtensions: () => ({ js: ".js" }),
  },
]);
