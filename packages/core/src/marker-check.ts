/**
 * The check every package's tests make of its error classes: their markers do not cross.
 *
 * @module
 */

/** Anything with a marker-based `isInstance`, as every replan error class has. */
export interface MarkedClass {
  isInstance(value: unknown): boolean;
}

/**
 * Where error markers cross. For every class and every instance (both keyed by class name),
 * `isInstance` must be true exactly when the instance is of that class, or when the class is the
 * base `ReplanError`, which accepts every replan error; every `foreign` value (a plain `Error`, a
 * look-alike object, `null`) must be refused by every class.
 *
 * @param classes - the error classes, by name.
 * @param instances - one instance of each class, by the class's name.
 * @param foreign - values no class may accept.
 * @returns one sentence per disagreement; empty when the markers do not cross.
 * @example
 * ```ts
 * expect(markerMismatches({ ReplanError, HttpToolError }, { ReplanError: base, HttpToolError: http })).toEqual([]);
 * ```
 */
export function markerMismatches(
  classes: Readonly<Record<string, MarkedClass>>,
  instances: Readonly<Record<string, unknown>>,
  foreign: readonly unknown[] = [],
): string[] {
  const mismatches: string[] = [];
  for (const [className, errorClass] of Object.entries(classes)) {
    for (const [instanceName, instance] of Object.entries(instances)) {
      const expected = className === "ReplanError" || className === instanceName;
      const actual = errorClass.isInstance(instance);
      if (actual !== expected) mismatches.push(`${className}.isInstance(new ${instanceName}) is ${actual}`);
    }
    foreign.forEach((value, index) => {
      if (errorClass.isInstance(value)) mismatches.push(`${className}.isInstance(foreign[${index}]) is true`);
    });
  }
  return mismatches;
}
