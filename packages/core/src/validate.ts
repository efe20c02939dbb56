/**
 * Plan validation: shape (zod), ids, dependencies, cycles, references and size.
 *
 * @module
 */
import type { z } from "zod";
import { coreDefaults } from "./defaults.js";
import { type PlanIssue, PlanValidationError } from "./errors.js";
import { findReferences } from "./references.js";
import { type Step, type StepSpec, StepSpecSchema } from "./schemas.js";

/** Default for {@link ValidatePlanOptions.maxSteps}: `coreDefaults.maxSteps`, kept under its former name. */
export const DEFAULT_MAX_STEPS = coreDefaults.maxSteps;

/** Options of {@link checkPlan} and {@link validatePlan}. */
export interface ValidatePlanOptions {
  /**
   * Most steps a plan may hold, kept steps included.
   * @default 50
   */
  maxSteps?: number;
  /**
   * Steps kept from an earlier revision (done or running): new steps may depend on them, and may
   * not reuse their ids.
   * @default []
   */
  locked?: readonly Step[];
  /**
   * Whether a plan with no new steps is accepted (a replanner saying nothing is left to do).
   * @default false
   */
  allowEmpty?: boolean;
}

/** The outcome of {@link checkPlan}: the parsed steps, or every issue found. */
export type PlanCheck = { ok: true; steps: StepSpec[] } | { ok: false; issues: PlanIssue[] };

/**
 * Checks a plan without throwing. Accepts an array of steps or `{ steps }`.
 *
 * @param input - the planner's output (unknown: it is parsed with zod).
 * @param options - size limit and kept steps.
 * @returns the parsed steps (defaults applied), or the issues, naming the offending ids.
 * @example
 * ```ts
 * const check = checkPlan([{ id: "a", kind: "agent", description: "x", dependsOn: ["b"] }]);
 * if (!check.ok) console.log(check.issues[0].code); // "unknown-dependency"
 * ```
 */
export function checkPlan(input: unknown, options: ValidatePlanOptions = {}): PlanCheck {
  const { maxSteps = DEFAULT_MAX_STEPS, locked = [], allowEmpty = false } = options;
  const rawSteps = Array.isArray(input)
    ? input
    : input !== null && typeof input === "object" && Array.isArray((input as { steps?: unknown }).steps)
      ? (input as { steps: unknown[] }).steps
      : undefined;
  if (!rawSteps) {
    return {
      ok: false,
      issues: [
        { code: "invalid-shape", stepIds: [], message: "a plan is an array of steps or { steps: [...] }" },
      ],
    };
  }
  // Each stage runs only when the ones before it found nothing (later checks need their results).
  const issues: PlanIssue[] = [];
  if (rawSteps.length === 0 && !allowEmpty) {
    issues.push({ code: "empty-plan", stepIds: [], message: "the plan has no steps" });
  }
  if (rawSteps.length + locked.length > maxSteps) {
    issues.push({
      code: "too-many-steps",
      stepIds: [],
      message: `the plan has ${rawSteps.length + locked.length} steps, more than the limit of ${maxSteps}`,
    });
    return { ok: false, issues };
  }
  const steps = parseSteps(rawSteps, issues);
  if (issues.length > 0) return { ok: false, issues };
  const byId = checkIdsAndDependencies(steps, locked, issues);
  if (issues.length > 0) return { ok: false, issues };
  const cycle = findCycle(steps);
  if (cycle) {
    const message = `steps form a cycle: ${[...cycle, cycle[0]].join(" -> ")}`;
    return { ok: false, issues: [{ code: "cycle", stepIds: cycle, message }] };
  }
  checkReferences(steps, byId, locked, issues);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, steps };
}

/** Parses each step with zod; a malformed one is an `invalid-shape` issue naming it. */
function parseSteps(rawSteps: unknown[], issues: PlanIssue[]): StepSpec[] {
  const steps: StepSpec[] = [];
  rawSteps.forEach((raw, index) => {
    const parsed = StepSpecSchema.safeParse(raw);
    if (parsed.success) steps.push(parsed.data);
    else {
      const id = (raw as { id?: unknown } | null)?.id;
      const name = typeof id === "string" ? `step "${id}"` : `step #${index + 1}`;
      issues.push({
        code: "invalid-shape",
        stepIds: typeof id === "string" ? [id] : [],
        message: `${name} is malformed: ${describeZodError(parsed.error)}`,
      });
    }
  });
  return steps;
}

/**
 * Ids (unique, not replacing a locked step) and dependencies (known, not the step itself).
 *
 * @returns the new steps by id.
 */
function checkIdsAndDependencies(
  steps: StepSpec[],
  locked: readonly Pick<Step, "id" | "dependsOn">[],
  issues: PlanIssue[],
): Map<string, StepSpec> {
  const lockedIds = new Set(locked.map((step) => step.id));
  const byId = new Map<string, StepSpec>();
  for (const step of steps) {
    if (lockedIds.has(step.id)) {
      issues.push({
        code: "replaces-locked-step",
        stepIds: [step.id],
        message: `step "${step.id}" is already done or running and cannot be replaced; use a new id`,
      });
    } else if (byId.has(step.id)) {
      issues.push({
        code: "duplicate-id",
        stepIds: [step.id],
        message: `step id "${step.id}" is used twice`,
      });
    } else byId.set(step.id, step);
  }
  for (const step of steps) {
    for (const dependency of step.dependsOn) {
      if (dependency === step.id) {
        issues.push({
          code: "self-dependency",
          stepIds: [step.id],
          message: `step "${step.id}" depends on itself`,
        });
      } else if (!byId.has(dependency) && !lockedIds.has(dependency)) {
        issues.push({
          code: "unknown-dependency",
          stepIds: [step.id, dependency],
          message: `step "${step.id}" depends on "${dependency}", which is not in the plan`,
        });
      }
    }
  }
  return byId;
}

/** A tool step's `${id}` references name only its dependencies (direct or transitive). */
function checkReferences(
  steps: StepSpec[],
  byId: Map<string, StepSpec>,
  locked: readonly Pick<Step, "id" | "dependsOn">[],
  issues: PlanIssue[],
): void {
  const lockedDeps = new Map(locked.map((step) => [step.id, step.dependsOn]));
  const dependsOn = dependencyTest((id) => byId.get(id)?.dependsOn ?? lockedDeps.get(id) ?? []);
  for (const step of steps) {
    if (step.kind !== "tool") continue;
    for (const reference of findReferences(step.args)) {
      if (!dependsOn(step.id, reference)) {
        issues.push({
          code: "invalid-reference",
          stepIds: [step.id, reference],
          message: `step "${step.id}" refers to "\${${reference}}", which is not among its dependencies`,
        });
      }
    }
  }
}

/**
 * Validates a plan and returns its steps with defaults applied.
 *
 * @param input - an array of steps or `{ steps }`.
 * @param options - size limit and kept steps.
 * @throws {PlanValidationError} with every issue (`duplicate-id`, `unknown-dependency`, `cycle`,
 *   `invalid-reference`, `empty-plan`, `too-many-steps`, ...), each naming the step ids involved.
 * @example
 * ```ts
 * const steps = validatePlan([
 *   { id: "a", kind: "agent", description: "Find the file" },
 *   { id: "b", kind: "tool", tool: "read", args: { path: "${a}" }, dependsOn: ["a"], description: "Read it" },
 * ]);
 * ```
 */
export function validatePlan(input: unknown, options: ValidatePlanOptions = {}): StepSpec[] {
  const check = checkPlan(input, options);
  if (!check.ok) throw new PlanValidationError(check.issues);
  return check.steps;
}

function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "value"}: ${issue.message}`)
    .join(", ");
}

/** One cycle among `steps` (their ids, in order), or undefined. Iterative, so deep plans are fine. */
function findCycle(steps: readonly StepSpec[]): string[] | undefined {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const state = new Map<string, 1 | 2>(); // 1: on the current path, 2: finished
  for (const start of steps) {
    if (state.has(start.id)) continue;
    const path: string[] = [];
    const stack: Array<{ id: string; next: number }> = [{ id: start.id, next: 0 }];
    state.set(start.id, 1);
    path.push(start.id);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const dependencies = byId.get(frame.id)?.dependsOn ?? [];
      if (frame.next < dependencies.length) {
        const dependency = dependencies[frame.next++]!;
        if (!byId.has(dependency)) continue;
        const seen = state.get(dependency);
        if (seen === 1) return path.slice(path.indexOf(dependency));
        if (seen === undefined) {
          state.set(dependency, 1);
          path.push(dependency);
          stack.push({ id: dependency, next: 0 });
        }
      } else {
        state.set(frame.id, 2);
        path.pop();
        stack.pop();
      }
    }
  }
  return undefined;
}

/**
 * Returns a test of whether one step depends on another, directly or transitively. A direct
 * dependency (the usual case: a step refers to a result it waits for) costs one array lookup; any
 * other reference one search of the dependencies, so checking a chain of N steps stays O(N), where
 * building every step's set of ancestors would be O(N²).
 */
function dependencyTest(
  dependenciesOf: (id: string) => readonly string[],
): (id: string, ancestor: string) => boolean {
  return (id, ancestor) => {
    const direct = dependenciesOf(id);
    if (direct.includes(ancestor)) return true;
    const seen = new Set<string>(direct);
    const stack = [...direct];
    while (stack.length > 0) {
      for (const next of dependenciesOf(stack.pop()!)) {
        if (next === ancestor) return true;
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return false;
  };
}
