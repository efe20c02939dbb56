import { describe, expect, it } from "vitest";
import { formatSandboxCost, measureSandboxCost } from "./sandbox-cost.js";

describe("sandbox cost", () => {
  it("measures `true` with and without the sandbox, or says why it cannot (never on CI)", async () => {
    const measured = await measureSandboxCost(3);
    if ("unavailable" in measured) {
      expect(process.env.CI, measured.unavailable).toBeUndefined();
      expect(formatSandboxCost(measured)[0]).toContain("not measured");
      return;
    }
    expect(measured.records.map((record) => [record.sandbox, record.prewarm])).toEqual([
      [false, undefined],
      [true, 2],
      [true, 0],
    ]);
    for (const record of measured.records) {
      expect(record.p50Ms).toBeGreaterThan(0);
      expect(record.p95Ms).toBeGreaterThanOrEqual(record.p50Ms);
    }
    expect(formatSandboxCost(measured).join("\n")).toMatch(
      /(PASS|FAIL) added at p50 \(default\): -?[\d.]+ ms/,
    );
  });
});
