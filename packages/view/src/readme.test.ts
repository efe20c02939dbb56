import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readmeExamples, runReadmeExample } from "../../../scripts/readme-examples.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README examples run as written", () => {
  const examples = readmeExamples(packageDir);

  it("quickstart: a run's events feed the page; the feed ends completed", async () => {
    expect(examples.map((example) => example.name)).toEqual(["quickstart"]);
    const output = await runReadmeExample(packageDir, examples[0]!);
    expect(output.split("\n")).toEqual([
      expect.stringMatching(/^open http:\/\/127\.0\.0\.1:\d+\/runs\/stock$/),
      "completed completed",
    ]);
  });
});
