import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

type PackageJson = { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as PackageJson;
/** The major versions a range like `^1.0.0 || ^2.0.0` (or `~1.15.0`) admits. */
const majors = (range: string) =>
  range.split("||").map((part) => Number(/(\d+)\./.exec(part.trim())?.[1] ?? Number.NaN));

describe("package.json", () => {
  it("accepts the @langchain/langgraph-sdk that @langchain/langgraph brings (npm install of both must not fail with ERESOLVE)", () => {
    const view = read(new URL("../package.json", import.meta.url).pathname);
    const adapterRequire = createRequire(new URL("../../langgraph-adapter/package.json", import.meta.url));
    const langgraph = read(adapterRequire.resolve("@langchain/langgraph/package.json"));
    const sdkRange = langgraph.dependencies?.["@langchain/langgraph-sdk"];
    expect(sdkRange).toBeTypeOf("string");
    const peer = view.peerDependencies?.["@langchain/langgraph-sdk"] ?? "";
    for (const major of majors(sdkRange ?? "")) expect(majors(peer)).toContain(major);
  });
});
