import { describe, expect, it } from "vitest";
import { effectOfPrograms } from "./policy.js";
import { defaultPrograms, programRules } from "./program-rules.js";
import { createShellTool } from "./shell-tool.js";

const metadataOf = (tool: unknown) => (tool as { metadata?: { effect?: string } }).metadata;

describe("effect classes of shell tools", () => {
  it("every shipped rule is declared read (each keeps its program read-only)", () => {
    expect(Object.values(defaultPrograms).every((rule) => rule.effect === "read")).toBe(true);
    expect(programRules.git.effect).toBe("read");
    expect(effectOfPrograms(defaultPrograms, false)).toBe("read");
    expect(effectOfPrograms({ ...defaultPrograms, git: programRules.git }, false)).toBe("read");
  });

  it("a program nobody vouched for is write, and so is a tool that runs shell scripts", () => {
    expect(effectOfPrograms({ ...defaultPrograms, rm: {} }, false)).toBe("write");
    expect(effectOfPrograms({ ...defaultPrograms, touch: { effect: "idempotent" } }, false)).toBe(
      "idempotent",
    );
    expect(effectOfPrograms({ ls: { ...defaultPrograms.ls } }, false)).toBe("read");
    expect(effectOfPrograms({ ls: { deniedFlags: ["--dereference"] } }, false)).toBe("write");
    expect(effectOfPrograms(defaultPrograms, true)).toBe("write");
  });

  it("the tool's metadata carries its class; the caller may say otherwise; a bad class is refused", () => {
    expect(metadataOf(createShellTool({ root: "/tmp" }))?.effect).toBe("read");
    expect(
      metadataOf(createShellTool({ root: "/tmp", programs: { ...defaultPrograms, mkdir: {} } }))?.effect,
    ).toBe("write");
    expect(metadataOf(createShellTool({ root: "/tmp", effect: "idempotent" }))?.effect).toBe("idempotent");
    expect(() => createShellTool({ root: "/tmp", programs: { ls: { effect: "safe" as never } } })).toThrow(
      expect.objectContaining({
        code: "invalid-options",
        message: expect.stringContaining("programs.ls.effect"),
      }),
    );
  });
});
