import { defineConfig } from "tsdown";

export default defineConfig({
  entry: ["src/bench.ts"],
  format: ["esm"],
  dts: false,
  platform: "node",
  target: "node22",
  sourcemap: true,
  clean: true,
});
