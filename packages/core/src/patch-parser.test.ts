import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createPatchParser, formatPatch, type PlanPatchInput, ReplanError } from "./index.js";

const tool = (id: string, args: Record<string, unknown>, dependsOn?: string[]) => ({
  id,
  kind: "tool" as const,
  tool: "fetch",
  description: "fetch",
  args,
  ...(dependsOn ? { dependsOn } : {}),
});

/** Feeds the text in pieces of `size` characters; returns every entry pushed and the end. */
function parse(text: string, size = 3) {
  const parser = createPatchParser();
  const pushed = [];
  for (let at = 0; at < text.length; at += size) pushed.push(...parser.push(text.slice(at, at + size)));
  const end = parser.end();
  return { entries: [...pushed, ...end.entries], pushed, end };
}

describe("the compact patch", () => {
  it("reads a replacement in place the moment its line ends", () => {
    const parser = createPatchParser();
    expect(parser.push('~15. fetch(id="s15", source="mi')).toEqual([]);
    const [entry] = parser.push('rror")\n# the primary source is down\n');
    expect(entry).toEqual({
      op: "replace",
      step: {
        id: "15",
        kind: "tool",
        tool: "fetch",
        description: "fetch",
        args: { id: "s15", source: "mirror" },
        dependsOn: [],
      },
    });
    const end = parser.end();
    expect(end.issues).toEqual([]);
    expect(end.output).toMatchObject({
      replace: [{ id: "15" }],
      remove: [],
      add: [],
      reason: "the primary source is down",
    });
  });

  it("reads additions with dependencies, references and removals of several ids", () => {
    const { entries, end } = parse('+17[14]. fetch(after=$14.id)\n-16,18\n~s2 = fetch {"a":1}\n');
    expect(entries.map((entry) => entry.op)).toEqual(["add", "remove", "remove", "replace"]);
    expect(entries[0]).toMatchObject({ step: { id: "17", dependsOn: ["14"], args: { after: "${14.id}" } } });
    expect(end.output).toMatchObject({ remove: ["16", "18"], add: [{ id: "17" }], replace: [{ id: "s2" }] });
  });

  it("skips prose, bullets, rules and headings, and reads an empty patch (giving up) with its reason", () => {
    const { entries, end } = parse(
      "Here is my patch:\n- Fetch from the mirror\n---\n## Patch\n```\n# nothing can fetch it\n```\n",
    );
    expect(entries).toEqual([]);
    expect(end.issues).toEqual([]);
    expect(end.output).toEqual({ remove: [], add: [], replace: [], reason: "nothing can fetch it" });
  });

  it("reads step lines without ~ or + as the older answer (the steps rewritten), and mixed ones as an issue", () => {
    expect(parse("15. fetch(a=1)\n16. fetch(b=$15)\n").end.output).toMatchObject([
      { id: "15" },
      { id: "16" },
    ]);
    const mixed = parse("~15. fetch(a=1)\n16. fetch(b=$15)\n").end;
    expect(mixed.issues.map((issue) => issue.code)).toEqual(["syntax-error"]);
  });

  it("reads the adapter's spelling: step lines classified by the plan's ids, remove: and reason: lines", () => {
    const parser = createPatchParser({ planIds: ["1", "2", "15", "16"] });
    const entries = parser.push(
      '15. fetch(source="mirror")\n17[14]. fetch(a=1)\nremove: 16, $2 #1.\nreason: the primary is down\nreason: ignored\n',
    );
    expect(entries.map((entry) => `${entry.op}:${entry.op === "remove" ? entry.id : entry.step.id}`)).toEqual(
      ["replace:15", "add:17", "remove:16", "remove:2", "remove:1"],
    );
    expect(parser.end()).toMatchObject({ issues: [], output: { reason: "the primary is down" } });
    const bad = createPatchParser({ planIds: [] });
    bad.push("remove: 3, ../etc\nremove: none\n");
    expect(bad.end().issues.map((issue) => issue.code)).toEqual(["syntax-error"]);
  });

  it("reports a line that does not read, a malformed step, hostile ids and too many entries; never throws", () => {
    const bad = parse("~15. fetch(a=\n+16. fetch(a=1, a=2)\n~../../etc = fetch {}\n-__proto__\n").end;
    expect(bad.issues.map((issue) => issue.code)).toEqual(["syntax-error", "syntax-error"]);
    expect(bad.output).toMatchObject({ remove: ["__proto__"] });
    const parser = createPatchParser({ maxSteps: 2 });
    expect(parser.push("-1\n-2\n-3\n-4\n")).toHaveLength(2);
    expect(parser.end().issues.map((issue) => issue.code)).toEqual(["too-many-steps"]);
    const long = createPatchParser({ maxStepChars: 10 });
    long.push(`~1. fetch(a="${"x".repeat(100)}")\n-2\n`);
    expect(long.end()).toMatchObject({ issues: [{ code: "step-too-long" }], output: { remove: ["2"] } });
    expect(() => createPatchParser({ maxDepth: 0 })).toThrow(ReplanError);
  });

  it("ends once: a last line without a newline is read, later pushes and ends add nothing", () => {
    const parser = createPatchParser();
    parser.push("-3");
    expect(parser.end().entries).toEqual([{ op: "remove", id: "3" }]);
    expect(parser.push("-4\n")).toEqual([]);
    expect(parser.end()).toMatchObject({ entries: [], output: { remove: ["3"] } });
  });

  it("formats what it reads back, whatever the chunks (property)", () => {
    const id = fc.integer({ min: 1, max: 40 }).map(String);
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
    const step = fc.record({
      id,
      args: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), value, { maxKeys: 3 }),
    });
    const patchArb = fc.record({
      remove: fc.uniqueArray(id, { maxLength: 3 }),
      add: fc.uniqueArray(step, { maxLength: 3, selector: (item) => item.id }),
      replace: fc.uniqueArray(step, { maxLength: 3, selector: (item) => item.id }),
      reason: fc.option(fc.stringMatching(/^[A-Za-z]+( [A-Za-z]+){0,3}$/), { nil: undefined }),
    });
    fc.assert(
      fc.property(patchArb, fc.integer({ min: 1, max: 12 }), (raw, size) => {
        const patch: PlanPatchInput = {
          remove: raw.remove,
          add: raw.add.map((item) => tool(item.id, item.args)),
          replace: raw.replace.map((item) => tool(item.id, item.args)),
          ...(raw.reason === undefined ? {} : { reason: raw.reason }),
        };
        const { end } = parse(formatPatch(patch), size);
        expect(end.issues).toEqual([]);
        expect(end.output).toEqual({
          remove: patch.remove,
          add: patch.add!.map((item) => ({ ...item, dependsOn: [] })),
          replace: patch.replace!.map((item) => ({ ...item, dependsOn: [] })),
          ...(raw.reason === undefined ? {} : { reason: raw.reason }),
        });
      }),
      { numRuns: Number(process.env.FC_NUM_RUNS ?? 150) },
    );
  });
});
