import { defineConfig } from "tsdown";

export default defineConfig({
  entry: ["src/cli.ts"],
  format: ["esm"],
  platform: "node",
  target: "node22",
  dts: false,
  clean: true,
  // dist/cli.js, as scripts/bootstrap.mjs and the package's bin expect (the package is ESM).
  outExtensions: () => ({ js: ".js" }),
});
