import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createPlanParser,
  formatPlan,
  type PlanFormat,
  type StepSpec,
  StepSpecSchema,
  type StepSpecInput,
} from "./index.js";

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 150);
const FORMATS: PlanFormat[] = ["json", "compact"];

/** Everything a parser yields for `chunks`, then its end. */
function parseChunks(format: PlanFormat, chunks: string[], limits = {}) {
  const parser = createPlanParser({ format, ...limits });
  const steps: StepSpecInput[] = [];
  const perChunk: number[] = [];
  for (const chunk of chunks) {
    const got = parser.push(chunk);
    perChunk.push(got.length);
    steps.push(...got);
  }
  const end = parser.end();
  return { steps: [...steps, ...end.steps], issues: end.issues, perChunk, atEnd: end.steps.length };
}

const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
const text = fc.string({
  minLength: 1,
  maxLength: 30,
  unit: fc.constantFrom(
    "a",
    " ",
    '"',
    "#",
    "\n",
    "\r",
    "\\",
    "{",
    "}",
    "é",
    "\u2028",
    "👍",
    "$",
    "[",
    "]",
    "=",
    ",",
  ),
});
// What JSON can carry (no -0).
const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);

/** Ids "1".."N" in order: the compact format writes them numbered, with lean bodies. */
const numberedIds = fc
  .integer({ min: 1, max: 8 })
  .map((count) => Array.from({ length: count }, (_, index) => String(index + 1)));
/** Argument names: bare names (a lean body can write them) or any text (it cannot). */
const argName = fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/), fc.string({ maxLength: 6 }));

/** A plan of unique ids whose steps are valid on their own (references to earlier steps). */
const plan = fc
  .oneof(fc.uniqueArray(id, { minLength: 1, maxLength: 8 }), numberedIds)
  .chain((ids) =>
    fc.tuple(
      ...ids.map((stepId, index) => {
        const earlier = ids.slice(0, index);
        const dependsOn = earlier.length > 0 ? fc.subarray(earlier) : fc.constant<string[]>([]);
        const reference =
          earlier.length > 0
            ? fc.oneof(
                fc.constantFrom(...earlier).map((ref) => `\${${ref}.x}`),
                fc.constantFrom(...earlier).map((ref) => `\${${ref}}`),
                fc
                  .tuple(fc.constantFrom(...earlier), text)
                  .map(([ref, around]) => `${around}\${${ref}.a-b}$${ref}`),
                fc.constantFrom(...earlier).map((ref) => [`\${${ref}.x}`, { k: `\${${ref}.y.z}` }]),
              )
            : fc.constant("plain");
        const toolName = fc.oneof(fc.constantFrom("fetch", "combine", "my.tool-2"), text);
        const toolStep = fc
          .record({
            id: fc.constant(stepId),
            kind: fc.constant("tool" as const),
            tool: toolName,
            args: fc.dictionary(argName, fc.oneof(jsonValue, reference), { maxKeys: 3 }),
            dependsOn,
          })
          .chain((step) =>
            fc.oneof(fc.constant(step.tool), text).map((description) => ({ ...step, description })),
          );
        const agentStep = fc.record({
          id: fc.constant(stepId),
          kind: fc.constant("agent" as const),
          description: text,
          dependsOn,
        });
        return fc.oneof(toolStep, agentStep);
      }),
    ),
  )
  .map((steps) => steps.map((step) => StepSpecSchema.parse(step)) as StepSpec[]);

/** The text cut at the given positions. */
function cut(text: string, positions: number[]): string[] {
  const points = [...new Set(positions.map((position) => position % (text.length + 1)))].sort(
    (a, b) => a - b,
  );
  const chunks: string[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(text.slice(from, point));
    from = point;
  }
  chunks.push(text.slice(from));
  return chunks;
}

describe("formatPlan and createPlanParser", () => {
  it.each(FORMATS)("%s: parse(format(plan)) is the plan, however the text is cut (fast-check)", (format) => {
    fc.assert(
      fc.property(plan, fc.array(fc.nat(), { maxLength: 12 }), (steps, positions) => {
        const written = formatPlan(steps, format);
        const whole = parseChunks(format, [written]);
        expect(whole.issues).toEqual([]);
        expect(whole.steps).toEqual(steps);
        const chunked = parseChunks(format, cut(written, positions));
        expect(chunked.steps).toEqual(steps);
        expect(chunked.issues).toEqual([]);
        // Cut at every position: one character at a time.
        const single = parseChunks(format, [...written]);
        expect(single.steps).toEqual(steps);
        expect(single.issues).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it.each(FORMATS)(
    "%s: every step is handed over with the chunk that completes it, one character at a time",
    (format) => {
      const steps = [
        { id: "a", kind: "tool", tool: "fetch", args: { id: 1 }, description: "fetch", dependsOn: [] },
        { id: "b", kind: "agent", description: "sum up", dependsOn: ["a"] },
      ] satisfies StepSpec[];
      const written = formatPlan(steps, format);
      const result = parseChunks(format, [...written]);
      expect(result.steps).toEqual(steps);
      expect(result.atEnd).toBe(0); // none waited for the end
      // The first step arrives with the character that completes it: its newline, its closing brace.
      const firstAt = result.perChunk.findIndex((count) => count > 0);
      expect(firstAt).toBe(format === "compact" ? written.indexOf("\n") : written.indexOf("},{"));
    },
  );

  it("compact: the grammar's example, with implied and explicit dependencies", () => {
    const text = [
      "Here is the plan:",
      "```",
      's1 = fetch_record {"id":"s1"}',
      's2 = fetch_record {"id":"s2","after":"${s1.id}"} # fetch s2 after s1',
      'sum[s1,s2] = "Summarize both records"',
      'all[] = combine {"parts":["${s1}"]}',
      "```",
    ].join("\n");
    const { steps, issues } = parseChunks("compact", [text]);
    expect(issues).toEqual([]);
    expect(steps).toEqual([
      {
        id: "s1",
        kind: "tool",
        tool: "fetch_record",
        args: { id: "s1" },
        description: "fetch_record",
        dependsOn: [],
      },
      {
        id: "s2",
        kind: "tool",
        tool: "fetch_record",
        args: { id: "s2", after: "${s1.id}" },
        description: "fetch s2 after s1",
        dependsOn: ["s1"],
      },
      { id: "sum", kind: "agent", description: "Summarize both records", dependsOn: ["s1", "s2"] },
      {
        id: "all",
        kind: "tool",
        tool: "combine",
        args: { parts: ["${s1}"] },
        description: "combine",
        dependsOn: [],
      },
    ]);
  });

  it("compact: numbered steps with lean bodies, bare references and prose around them", () => {
    const text = [
      "Plan:",
      "1. First, fetch the records one by one.",
      '1. fetch_record(id="s1")',
      '2. fetch_record(id="s2", after=$1.id) # fetch s2 after s1',
      '3. combine(parts=[$1.id, $2], note="see ${2.name}", opts={"n": -1.5e3, "ok": [true, null]},)',
      '4[3]. "Summarize the records"',
      '5. fetch {"id":"s5"}',
      "x = fetch(after=$4)",
      "2026. A year of plans.",
    ].join("\n");
    const { steps, issues } = parseChunks("compact", [...text]);
    expect(issues).toEqual([]);
    expect(steps).toEqual([
      {
        id: "1",
        kind: "tool",
        tool: "fetch_record",
        args: { id: "s1" },
        description: "fetch_record",
        dependsOn: [],
      },
      {
        id: "2",
        kind: "tool",
        tool: "fetch_record",
        args: { id: "s2", after: "${1.id}" },
        description: "fetch s2 after s1",
        dependsOn: ["1"],
      },
      {
        id: "3",
        kind: "tool",
        tool: "combine",
        args: { parts: ["${1.id}", "${2}"], note: "see ${2.name}", opts: { n: -1500, ok: [true, null] } },
        description: "combine",
        dependsOn: ["1", "2"],
      },
      { id: "4", kind: "agent", description: "Summarize the records", dependsOn: ["3"] },
      { id: "5", kind: "tool", tool: "fetch", args: { id: "s5" }, description: "fetch", dependsOn: [] },
      {
        id: "x",
        kind: "tool",
        tool: "fetch",
        args: { after: "${4}" },
        description: "fetch",
        dependsOn: ["4"],
      },
    ]);
  });

  it("compact: formatPlan writes numbered lean lines when every id is a number, else today's lines", () => {
    const step = (id: string, args: Record<string, unknown>, dependsOn: string[] = []): StepSpec => ({
      id,
      kind: "tool",
      tool: "fetch_record",
      args,
      description: "fetch_record",
      dependsOn,
    });
    const numbered = [
      step("1", { id: "s1" }),
      step("2", { id: "s2", after: "${1.id}", note: "a ${1} b" }, ["1"]),
      step("3", { "not-a-name": 1 }, []),
      { id: "4", kind: "agent", description: "sum", dependsOn: ["2", "3"] },
    ] satisfies StepSpec[];
    expect(formatPlan(numbered, "compact")).toBe(
      [
        '1. fetch_record(id="s1")',
        '2. fetch_record(id="s2", after=$1.id, note="a ${1} b")',
        '3. fetch_record {"not-a-name":1}',
        '4[2,3]. "sum"',
        "",
      ].join("\n"),
    );
    // A replan's numbers go on from the plan's: numbered still, in any order.
    expect(formatPlan([step("18", { id: "s2" }), step("17", { id: "s1" })], "compact")).toBe(
      '18. fetch_record(id="s2")\n17. fetch_record(id="s1")\n',
    );
    // One id that is not a number: every line as today.
    expect(formatPlan([step("1", { id: "s1" }), step("b", { after: "${1.id}" }, ["1"])], "compact")).toBe(
      '1 = fetch_record {"id":"s1"}\nb = fetch_record {"after":"${1.id}"}\n',
    );
  });

  it("compact: malformed lean lines are typed issues; the lean body stays bounded", () => {
    const text = [
      "1. fetch(id=)",
      '2. fetch(id="x"',
      "3. fetch(id=1 2)",
      '4. fetch("x")',
      "5. fetch(id=1, id=2)",
      "6. fetch(id=1) trailing",
      "7. fetch(v={a: 1})",
      `8. fetch(v=${"[".repeat(40)}${"]".repeat(40)})`,
      "9. fetch(v=$)",
      '10. fetch(id="ok")',
    ].join("\n");
    const { steps, issues } = parseChunks("compact", [text], { maxDepth: 8 });
    expect(steps.map((step) => step.id)).toEqual(["10"]);
    expect(issues.map((issue) => [issue.code, issue.stepIds[0]])).toEqual(
      ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map((stepId) => ["syntax-error", stepId]),
    );
    expect(issues[0]!.message).toBe('step "1" (#1) has arguments that do not read: unexpected ")"');
    expect(issues[4]!.message).toBe('step "5" (#5) has arguments that do not read: argument id given twice');
    expect(issues[7]!.message).toContain("nesting deeper than 8 levels");
    const proto = parseChunks("compact", ['1. t(__proto__={"polluted": true}, v={"__proto__": 1})\n']);
    const json = parseChunks("compact", ['1 = t {"__proto__":{"polluted":true},"v":{"__proto__":1}}\n']);
    expect(proto.steps).toHaveLength(1);
    expect(proto.steps).toEqual(json.steps); // read as the JSON body reads them
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("compact: malformed step lines are typed issues; later lines are still read", () => {
    const text = [
      'a = fetch {"id":',
      'b = "unterminated',
      "c = fetch [1]",
      'd = fetch {"x":1} trailing',
      'e[bad id] = "x"',
      'f = "ok"',
    ].join("\n");
    const { steps, issues } = parseChunks("compact", [text]);
    expect(steps.map((step) => step.id)).toEqual(["f"]);
    expect(issues.map((issue) => [issue.code, issue.stepIds])).toEqual([
      ["syntax-error", ["a"]],
      ["syntax-error", ["b"]],
      ["syntax-error", ["c"]],
      ["syntax-error", ["d"]],
      ["syntax-error", ["e"]],
    ]);
    expect(issues[0]!.message).toBe('step "a" (#1) has arguments that are not one JSON object');
  });

  it("json: prose, a code fence and loose shapes around the plan, as the adapter's parser accepts", () => {
    const text =
      'Sure {not a plan}. ```json\n{"steps":[{"id":1,"description":"look","tool":null,"args":null},' +
      '{"id":"b","description":"","tool":"fetch","args":"{\\"q\\":\\"${1}\\"}","depends_on":"1"},' +
      '{"id":"c","kind":"agent","description":"sum","dependsOn":["b"]}]}\n```\nDone.';
    const { steps, issues } = parseChunks("json", [...text]);
    expect(issues).toEqual([]);
    expect(steps).toEqual([
      { id: "1", kind: "agent", description: "look", dependsOn: [] },
      { id: "b", kind: "tool", tool: "fetch", description: "fetch", args: { q: "${1}" }, dependsOn: ["1"] },
      { id: "c", kind: "agent", description: "sum", dependsOn: ["b"] },
    ]);
  });

  it("json: steps given as JSON text are found at the end; no plan at all is an issue", () => {
    const inner = JSON.stringify([{ id: "a", kind: "agent", description: "x" }]);
    expect(parseChunks("json", [JSON.stringify({ steps: inner })]).steps).toEqual([
      { id: "a", kind: "agent", description: "x", dependsOn: [] },
    ]);
    expect(parseChunks("json", ["I cannot plan that."]).issues.map((issue) => issue.code)).toEqual([
      "no-plan",
    ]);
    const cutOff = parseChunks("json", ['{"steps":[{"id":"a","kind":"agent","description":"x"},{"id":"b"']);
    expect(cutOff.steps.map((step) => step.id)).toEqual(["a"]);
    expect(cutOff.issues.map((issue) => issue.code)).toEqual(["syntax-error"]);
    // every step closed, the plan not: steps after the last may be missing
    for (const cut of [-1, -2]) {
      const text = JSON.stringify({ steps: [{ id: "a", kind: "agent", description: "x" }] }).slice(0, cut);
      const unclosed = parseChunks("json", [...text]);
      expect(unclosed.steps.map((step) => step.id)).toEqual(["a"]);
      expect(unclosed.issues.map((issue) => [issue.code, issue.message])).toEqual([
        ["syntax-error", expect.stringContaining("closing brackets never came")],
      ]);
    }
  });

  it.each(FORMATS)("%s: hostile input stays bounded, with typed issues", (format) => {
    const long = "x".repeat(5000);
    const deep = `${"[".repeat(100)}${"]".repeat(100)}`;
    const lines =
      format === "compact"
        ? [
            `a = t {"v":"${long}"}`,
            `b = t {"v":${deep}}`,
            ...Array.from({ length: 10 }, (_, index) => `s${index} = "x"`),
          ]
        : [
            `{"steps":[{"id":"a","kind":"agent","description":"${long}"},`,
            `{"id":"b","kind":"tool","tool":"t","description":"t","args":{"v":${deep}}},`,
            Array.from({ length: 10 }, (_, index) =>
              JSON.stringify({ id: `s${index}`, kind: "agent", description: "x" }),
            ).join(","),
            "]}",
          ];
    const { steps, issues } = parseChunks(format, [lines.join("\n")], {
      maxStepChars: 1000,
      maxDepth: 8,
      maxSteps: 5,
    });
    expect(steps.map((step) => step.id)).toEqual(["s0", "s1", "s2"]);
    expect(issues.map((issue) => issue.code)).toEqual([
      "step-too-long",
      format === "compact" ? "syntax-error" : "too-deep",
      "too-many-steps",
    ]);
  });

  it.each([
    ["an unclosed bracket run", "{".repeat(2_000_000), "too-deep"],
    ["a string that never ends", `{"steps":[{"id":"${"x".repeat(2_000_000)}`, "step-too-long"],
    ["prose", "no plan here. ".repeat(150_000), "no-plan"],
    ["endless empty steps", `{"steps":[${"{},".repeat(700_000)}`, "too-many-steps"],
  ])("json: %s stays bounded, with a typed issue", (_name, text, code) => {
    const parser = createPlanParser({ format: "json" });
    for (let index = 0; index < text.length; index += 65_536) parser.push(text.slice(index, index + 65_536));
    const { issues } = parser.end();
    expect(issues.map((issue) => issue.code)).toContain(code);
    expect(issues.length).toBeLessThanOrEqual(22);
  });

  it("compact: a huge line, and a flood of steps, stay bounded", () => {
    const parser = createPlanParser({ format: "compact" });
    parser.push(`a = t {"v":"${"x".repeat(3_000_000)}`);
    parser.push('"}\n');
    parser.push('b = "ok"\n'.repeat(100_000));
    const { steps, issues } = parser.end();
    expect(issues.map((issue) => issue.code)).toEqual(["step-too-long", "too-many-steps"]);
    expect(steps).toEqual([]); // every valid step was handed over by push
  });

  it("refuses a bad format or bound with invalid-options", () => {
    expect(() => createPlanParser({ format: "yaml" as PlanFormat })).toThrow(
      'Option "format" must be "json" or "compact"',
    );
    expect(() => createPlanParser({ format: "json", maxSteps: 0 })).toThrow('Option "maxSteps"');
    expect(() => formatPlan([], "yaml" as PlanFormat)).toThrow('the format must be "json" or "compact"');
  });
});
