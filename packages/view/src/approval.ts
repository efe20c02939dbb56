/**
 * Approval answers sent from the page: read and validated as the adapter validates them (the
 * shape of `PlanApprovalSchema`, then an edited plan through `checkPlan`), so that a bad edit is
 * refused in the page instead of being sent to the run.
 *
 * @module
 */
import { checkPlan, type StepSpecInput } from "@replan/core";

/** The answer to a plan-approval request: what `Command({ resume })` takes (`PlanApproval`). */
export type ApprovalAnswer =
  | { action: "approve" }
  | { action: "edit"; steps: StepSpecInput[] }
  | { action: "reject"; reason?: string };

/** The outcome of {@link readApprovalAnswer}. */
export type ApprovalCheck =
  | { ok: true; answer: ApprovalAnswer }
  | { ok: false; error: string; issues?: string[] };

/** Longest reject reason kept, in characters. */
const MAX_REASON = 2_000;

/**
 * Reads an approval answer and, for an edit, validates the steps with `@replan/core`'s
 * `checkPlan` (ids, dependencies, cycles, `${id}` references, size), as the adapter does.
 *
 * @param value - the parsed JSON body.
 * @param options - `maxSteps`: the run's limit (core's default when unset).
 * @example
 * ```ts
 * readApprovalAnswer({ action: "edit", steps: [{ id: "a", kind: "agent", description: "" }] });
 * // { ok: false, error: "the edited plan is invalid: ...", issues: [...] }
 * ```
 */
export function readApprovalAnswer(value: unknown, options: { maxSteps?: number } = {}): ApprovalCheck {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, error: 'expected { action: "approve" | "edit" | "reject" }' };
  }
  const body = value as Record<string, unknown>;
  switch (body.action) {
    case "approve":
      return { ok: true, answer: { action: "approve" } };
    case "reject": {
      if (body.reason !== undefined && typeof body.reason !== "string") {
        return { ok: false, error: "a reject reason must be text" };
      }
      const reason = typeof body.reason === "string" ? body.reason.trim().slice(0, MAX_REASON) : "";
      return { ok: true, answer: reason ? { action: "reject", reason } : { action: "reject" } };
    }
    case "edit": {
      if (!Array.isArray(body.steps))
        return { ok: false, error: "an edit needs the plan's steps (an array)" };
      const check = checkPlan(
        body.steps,
        options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps },
      );
      if (!check.ok) {
        const issues = check.issues.map((issue) => issue.message);
        return { ok: false, error: `the edited plan is invalid: ${issues.join("; ")}`, issues };
      }
      return { ok: true, answer: { action: "edit", steps: check.steps } };
    }
    default:
      return { ok: false, error: 'expected { action: "approve" | "edit" | "reject" }' };
  }
}
