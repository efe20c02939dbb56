import { describe, expect, it } from "vitest";
import { makeScenario } from "./scenarios.js";
import { runSystem, SYSTEM_NAMES } from "./systems.js";

describe("tmp", () => {
  it("runs", async () => {
    for (const name of ["fan-out", "chain", "one-failure", "agent-steps", "skewed-dag"] as const) {
      for (const system of SYSTEM_NAMES) {
        const record = await runSystem(system, makeScenario(name, 4), 0);
        console.log(JSON.stringify(record));
      }
    }
  });
});
