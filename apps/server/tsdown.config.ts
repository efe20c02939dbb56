import { defineConfig } from "tsdown";

export default defineConfig({
  // graph.ts is what langgraph.json serves; index.ts the same API for embedding and tests.
  entry: ["src/index.ts", "src/graph.ts"],
  format: ["esm"],
  dts: false,
  platform: "node",
  target: "node20",
  sourcemap: true,
  clean: true,
});
