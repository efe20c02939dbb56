// The approval node: with `requireApproval`, the run pauses after planning (a LangGraph interrupt)
// until a person approves, edits or rejects the plan.
import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { checkPlan, type RunState, type StepSpecInput, transition } from "@replan/core";
import { z } from "zod";
import { publish } from "./publish.js";
import { assembleRun, type PlanExecuteStateType, runUpdate } from "./state.js";

/** What `Command({ resume })` takes after a plan-approval interrupt. */
export const PlanApprovalSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("approve") }),
  z.object({ action: z.literal("edit"), steps: z.array(z.unknown()) }),
  z.object({ action: z.literal("reject"), reason: z.string().optional() }),
]);

/** The resume value of a plan-approval interrupt. */
export type PlanApproval =
  | { action: "approve" }
  | { action: "edit"; steps: StepSpecInput[] }
  | { action: "reject"; reason?: string };

/** The value of a plan-approval interrupt (what `__interrupt__` holds). */
export interface PlanApprovalRequest {
  type: "plan-approval";
  goal: string;
  plan: NonNullable<RunState["plan"]>;
  /** Why the previous answer was not accepted (an invalid edit). */
  error?: string;
}

/** Answers the node takes before it cancels the run. */
const MAX_APPROVAL_ROUNDS = 5;

/** The decision read from one resume value, or why it cannot be used. */
type Decision = { input: Parameters<typeof transition>[1] } | { error: string };

/**
 * Makes the approval node: it interrupts with a {@link PlanApprovalRequest} and applies the
 * answer (`approve`, `edit` with valid steps, `reject`); an invalid answer is asked again with
 * why, and after {@link MAX_APPROVAL_ROUNDS} invalid answers the run is cancelled.
 *
 * @param now - the clock.
 */
export function createApproveNode(now: () => number) {
  return async (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => {
    const run = assembleRun(state)!;
    let error: string | undefined;
    for (let round = 0; round < MAX_APPROVAL_ROUNDS; round++) {
      const request: PlanApprovalRequest = {
        type: "plan-approval",
        goal: run.goal,
        plan: run.plan!,
        ...(error ? { error } : {}),
      };
      const decision = decide(interrupt(request), run, now);
      if ("error" in decision) {
        error = decision.error;
        continue;
      }
      // Only now do steps start (and their step-start events go out), or the run-end of a rejection.
      const next = transition(run, decision.input);
      publish(runConfig, next.events);
      return runUpdate(next.state);
    }
    const cancelled = transition(run, {
      type: "cancel",
      at: now(),
      reason: `no valid approval after ${MAX_APPROVAL_ROUNDS} answers`,
    });
    publish(runConfig, cancelled.events);
    return runUpdate(cancelled.state);
  };
}

/** The state machine's input for a resume value, or why it is not a valid answer. */
function decide(value: unknown, run: RunState, now: () => number): Decision {
  const answer = PlanApprovalSchema.safeParse(value);
  if (!answer.success) {
    return {
      error: `expected { action: "approve" | "edit" | "reject" }: ${answer.error.issues[0]?.message ?? "invalid"}`,
    };
  }
  const decision = answer.data;
  if (decision.action === "reject") {
    const reason = `plan rejected${decision.reason ? `: ${decision.reason}` : ""}`;
    return { input: { type: "cancel", at: now(), reason } };
  }
  if (decision.action === "approve") return { input: { type: "approve", at: now() } };
  const check = checkPlan(decision.steps, { maxSteps: run.config.maxSteps });
  if (!check.ok) {
    return {
      error: `the edited plan is invalid: ${check.issues.map((issue) => issue.message).join("; ")}`,
    };
  }
  return { input: { type: "approve", at: now(), steps: check.steps } };
}
