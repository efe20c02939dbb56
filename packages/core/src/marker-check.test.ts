import { describe, expect, test } from "vitest";
import { markerMismatches } from "./marker-check.js";

describe("markerMismatches", () => {
  const a = { kind: "a" };
  const b = { kind: "b" };
  const base = { kind: "base" };
  const own = (kind: string) => ({
    isInstance: (value: unknown) => (value as { kind?: string } | null)?.kind === kind,
  });

  test("is empty when each class accepts only its own instances and the base accepts all", () => {
    const classes = {
      ReplanError: { isInstance: (value: unknown) => value === a || value === b || value === base },
      A: own("a"),
      B: own("b"),
    };
    expect(markerMismatches(classes, { ReplanError: base, A: a, B: b }, [null, { kind: "c" }])).toEqual([]);
  });

  test("names every crossing: a class that accepts another's instance, one that refuses its own, a foreign value accepted", () => {
    const everything = { isInstance: (value: unknown) => value !== undefined };
    const nothing = { isInstance: () => false };
    expect(markerMismatches({ A: everything, B: nothing }, { A: a, B: b }, [null])).toEqual([
      "A.isInstance(new B) is true",
      "A.isInstance(foreign[0]) is true",
      "B.isInstance(new B) is false",
    ]);
  });
});
