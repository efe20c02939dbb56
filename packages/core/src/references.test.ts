import { describe, expect, it } from "vitest";
import { ReplanError } from "./errors.js";
import { findReferences, resolveReferences } from "./references.js";

describe("references", () => {
  it("finds references at any depth, once each", () => {
    expect(findReferences({ a: "${s1} and ${s2.x}", b: [{ c: "${s1}" }], n: 3 })).toEqual(["s1", "s2"]);
    expect(findReferences({ a: "$s1 {s2} ${}" })).toEqual([]);
  });

  it("keeps the type of a whole-string reference and interpolates inside text", () => {
    const results = { s1: { items: [{ name: "Ada" }], count: 2 }, s2: "text" };
    const args = {
      all: "${s1}",
      count: "${s1.count}",
      name: "${s1.items.0.name}",
      note: "n=${s1.count} ${s2}",
      obj: "x ${s1.items}",
    };
    expect(resolveReferences(args, results)).toEqual({
      all: results.s1,
      count: 2,
      name: "Ada",
      note: "n=2 text",
      obj: 'x [{"name":"Ada"}]',
    });
    expect(args.all).toBe("${s1}"); // not mutated
  });

  it("fails with invalid-reference for a missing step or path", () => {
    for (const args of [{ x: "${ghost}" }, { x: "${s1.nope}" }]) {
      try {
        resolveReferences(args, { s1: { a: 1 } });
        expect.unreachable();
      } catch (error) {
        expect(ReplanError.isInstance(error) && error.code).toBe("invalid-reference");
      }
    }
  });
});
