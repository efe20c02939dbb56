// The approval node: with `requireApproval`, the run pauses after planning (a LangGraph interrupt)
// until a person approves, edits or rejects the plan; with `reapprove`, it pauses the same way
// before a replan that needs it is applied (the replan is held in `pendingReplan` meanwhile).
import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import {
  checkPlan,
  type PlanForecast,
  type RunInput,
  type RunState,
  type StepSpecInput,
  type TransitionResult,
  transition,
} from "@replan/core";
import { errorMessage } from "@replan/core/internal";
import { z } from "zod";
import { type GraphForecastOptions, graphForecast } from "./approval-forecast.js";
import type { PlanExecuteErrorCode } from "./errors.js";
import { publish } from "./publish.js";
import { type PendingReplan, type PlanChange, proposedPlan } from "./reapproval.js";
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
  /** The plan to approve: the planner's, or (on a re-approval) the new revision, its new steps pending. */
  plan: NonNullable<RunState["plan"]>;
  /** What the plan will cost if nothing fails: critical path, model calls, tokens (an estimate). */
  forecast: PlanForecast;
  /**
   * Set on a re-approval (`reapprove`): what the replan changes. An edit then replaces the
   * replanner's steps (everything not done or running), a rejection cancels the run.
   */
  change?: PlanChange;
  /** Why the previous answer was not accepted (an invalid answer, an invalid edit). */
  error?: string;
  /** The same, as a code: `invalid-approval` (not an answer of the schema) or `invalid-plan` (the edit). */
  errorCode?: Extract<PlanExecuteErrorCode, "invalid-approval" | "invalid-plan">;
}

/** Answers the node takes before it cancels the run. */
const MAX_APPROVAL_ROUNDS = 5;

/** The transition an answer leads to, or why the answer cannot be used. */
type Decision =
  | { next: TransitionResult }
  | { error: string; code: NonNullable<PlanApprovalRequest["errorCode"]> };

/** One approval: the request to show, and how an answer is decided. */
interface Question {
  request: PlanApprovalRequest;
  decide: (answer: PlanApproval) => Decision;
  /** Usage to count when the run is cancelled (the held replanner call). */
  usage?: PendingReplan["usage"];
}

/**
 * Makes the approval node: it interrupts with a {@link PlanApprovalRequest} and applies the
 * answer (`approve`, `edit` with valid steps, `reject`); an invalid answer is asked again with
 * why, and after {@link MAX_APPROVAL_ROUNDS} invalid answers the run is cancelled.
 *
 * @param now - the clock.
 * @param forecast - how the requests' forecasts count.
 */
export function createApproveNode(now: () => number, forecast: GraphForecastOptions) {
  return async (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => {
    const run = assembleRun(state)!;
    const pending = state.pendingReplan ?? null;
    const question = pending ? replanQuestion(run, pending, now, forecast) : planQuestion(run, now, forecast);
    let failure: Extract<Decision, { error: string }> | undefined;
    for (let round = 0; round < MAX_APPROVAL_ROUNDS; round++) {
      const request: PlanApprovalRequest = {
        ...question.request,
        ...(failure ? { error: failure.error, errorCode: failure.code } : {}),
      };
      const decision = readAnswer(interrupt(request), question);
      if ("error" in decision) {
        failure = decision;
        continue;
      }
      // Only now do steps start (and their step-start events go out), or the run-end of a rejection.
      publish(runConfig, decision.next.events);
      return { ...runUpdate(decision.next.state), pendingReplan: null };
    }
    const cancelled = transition(run, {
      type: "cancel",
      at: now(),
      reason: `no valid approval after ${MAX_APPROVAL_ROUNDS} answers`,
      ...(question.usage ? { usage: question.usage } : {}),
    });
    publish(runConfig, cancelled.events);
    return { ...runUpdate(cancelled.state), pendingReplan: null };
  };
}

/** Reads a resume value (whatever it is: nothing in it is trusted) and decides it. */
function readAnswer(value: unknown, question: Question): Decision {
  try {
    const answer = PlanApprovalSchema.safeParse(value);
    if (!answer.success) {
      const issue = answer.error.issues[0]?.message ?? "invalid";
      return {
        error: `expected { action: "approve" | "edit" | "reject" }: ${issue}`,
        code: "invalid-approval",
      };
    }
    return question.decide(answer.data as PlanApproval);
  } catch (error) {
    // a value whose getters throw, or an edit that breaks more than the plan's rules
    return { error: `the answer could not be read: ${errorMessage(error)}`, code: "invalid-approval" };
  }
}

/** The approval of the planner's plan (the run is `approving`). */
function planQuestion(run: RunState, now: () => number, forecast: GraphForecastOptions): Question {
  const plan = run.plan!;
  return {
    request: {
      type: "plan-approval",
      goal: run.goal,
      plan,
      forecast: graphForecast(plan, { usage: run.usage, effects: run.config.effects }, forecast),
    },
    decide: (answer) => {
      if (answer.action === "reject") return { next: transition(run, rejection(answer, now)) };
      if (answer.action === "approve") return { next: transition(run, { type: "approve", at: now() }) };
      const check = checkPlan(answer.steps, { maxSteps: run.config.maxSteps });
      if (!check.ok) {
        const why = check.issues.map((issue) => issue.message).join("; ");
        return { error: `the edited plan is invalid: ${why}`, code: "invalid-plan" };
      }
      return { next: transition(run, { type: "approve", at: now(), steps: check.steps }) };
    },
  };
}

/**
 * The re-approval of a held replan (the run is `replanning`): approving applies the replanner's
 * answer, an edit applies the person's steps instead (validated as a replanner's answer), a
 * rejection cancels the run. The replanner call's usage is counted in every case.
 */
function replanQuestion(
  run: RunState,
  pending: PendingReplan,
  now: () => number,
  forecast: GraphForecastOptions,
): Question {
  const usage = pending.usage;
  const replan = (output: unknown): TransitionResult =>
    transition(run, { type: "replan", at: now(), output, ...(usage ? { usage } : {}) });
  const held = replan(pending.output);
  const plan = proposedPlan(held.state.plan ?? run.plan!);
  return {
    request: {
      type: "plan-approval",
      goal: run.goal,
      plan,
      forecast: graphForecast(plan, { usage: held.state.usage, effects: run.config.effects }, forecast),
      change: pending.change,
    },
    decide: (answer) => {
      if (answer.action === "reject") return { next: transition(run, rejection(answer, now, usage)) };
      if (answer.action === "approve") return { next: replan(pending.output) };
      const next = replan(answer.steps);
      if (next.events.some((event) => event.type === "replan-end")) return { next };
      const refused = next.events.find((event) => event.type === "replan-error");
      const why = refused?.type === "replan-error" ? refused.error.message : "it left nothing to run";
      return { error: `the edited plan is invalid: ${why}`, code: "invalid-plan" };
    },
    ...(usage ? { usage } : {}),
  };
}

/** The cancellation a rejection leads to. */
function rejection(
  answer: { reason?: string | undefined },
  now: () => number,
  usage?: PendingReplan["usage"],
): RunInput {
  const reason = `plan rejected${answer.reason ? `: ${answer.reason}` : ""}`;
  return { type: "cancel", at: now(), reason, ...(usage ? { usage } : {}) };
}
