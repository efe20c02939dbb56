// The settle node: a `write` step was in flight when the process died, and its tool's reconcile
// hook could not tell (or there is none) whether its effect happened. The run pauses (a LangGraph
// interrupt) and a person answers, per step: it ran (with its result), run it again, or fail it.
import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { type RunInput, type RunState, type Step, stepKey, transition } from "@replan/core";
import { z } from "zod";
import { publish } from "./publish.js";
import { assembleRun, type PlanExecuteStateType, runUpdate } from "./state.js";

/** What `Command({ resume })` takes after an effect-settlement interrupt. */
export const EffectSettlementSchema = z.discriminatedUnion("action", [
  /** The effect happened: the step is done, with this result (what the tool would have returned). */
  z.object({ action: z.literal("ran"), result: z.unknown() }),
  /** The effect did not happen: the step runs again (same idempotency key). */
  z.object({ action: z.literal("run-again") }),
  /** The step fails (`failed-by-person`); a replanner may route around it. */
  z.object({ action: z.literal("fail"), reason: z.string().optional() }),
]);

/** The resume value of an effect-settlement interrupt. */
export type EffectSettlement = z.infer<typeof EffectSettlementSchema>;

/** The value of an effect-settlement interrupt (what `__interrupt__` holds). */
export interface EffectSettlementRequest {
  type: "effect-settlement";
  /** The `write` step whose outcome is unknown. */
  step: Step;
  /** The idempotency key its interrupted call was given. */
  key: string;
  /** Why nobody else could settle it. */
  why: string;
  /**
   * The tool's `reconcile` hook failed (it threw, timed out or answered garbage): its own message.
   * Absent when the tool has no hook.
   */
  reconcileError?: { code: "reconcile-failed"; message: string };
  /** Why the previous answer was not accepted (`invalid-settlement`). */
  error?: { code: "invalid-settlement"; message: string };
}

/** Answers the node takes for one step before it fails the step. */
const MAX_ANSWER_ROUNDS = 5;

/**
 * Whether a person is asked about a step: a running `write` step still unsettled after a crash. A
 * step unsettled by a failure (or a replan that writes it again) is the executor node's: its hook
 * settles it, or it fails.
 */
function needsPerson(step: Step): boolean {
  return (
    step.status === "running" && step.settlement === "unsettled" && step.unknownEffect?.cause !== "failure"
  );
}

/** Whether the run waits for a person to settle a step (see `needsPerson`). */
export function awaitsPerson(run: RunState | null): boolean {
  return run?.plan?.steps.some(needsPerson) ?? false;
}

/**
 * Makes the settle node: one interrupt per unsettled step, in plan order; each valid answer is a
 * `step-settle` input by a person; an invalid one is asked again with why (`invalid-settlement`),
 * and after {@link MAX_ANSWER_ROUNDS} invalid answers the step fails with `unsettled-effect`.
 *
 * @param now - the clock.
 */
export function createSettleNode(now: () => number) {
  return async (state: PlanExecuteStateType, config: LangGraphRunnableConfig) => {
    let run = assembleRun(state)!;
    const waiting = run.plan!.steps.filter(needsPerson);
    for (const step of waiting) {
      const next = transition(run, answerFor(run, step, now));
      publish(config, next.events);
      run = next.state;
    }
    return runUpdate(run);
  };
}

/** Asks about one step until a valid answer (bounded), and returns the input it comes to. */
function answerFor(run: RunState, step: Step, now: () => number): RunInput {
  const base = { type: "step-settle", stepId: step.id, attempt: step.attempts, by: "person" } as const;
  let error: EffectSettlementRequest["error"];
  const hookFailed = step.error?.code === "reconcile-failed" ? step.error.message : undefined;
  for (let round = 0; round < MAX_ANSWER_ROUNDS; round++) {
    const request: EffectSettlementRequest = {
      type: "effect-settlement",
      step,
      key: step.unknownEffect?.key ?? stepKey(run, step),
      why:
        hookFailed === undefined
          ? "its tool has no reconcile hook"
          : `its reconcile hook could not tell whether the effect happened: ${hookFailed}`,
      ...(hookFailed === undefined
        ? {}
        : { reconcileError: { code: "reconcile-failed", message: hookFailed } }),
      ...(error ? { error } : {}),
    };
    const answer = EffectSettlementSchema.safeParse(interrupt(request));
    if (!answer.success) {
      const issue = answer.error.issues[0];
      error = {
        code: "invalid-settlement",
        message: `expected { action: "ran", result } | { action: "run-again" } | { action: "fail", reason? }: ${issue?.path.join(".") || "answer"}: ${issue?.message ?? "invalid"}`,
      };
      continue;
    }
    const decision = answer.data;
    if (decision.action === "ran")
      return { ...base, at: now(), outcome: { type: "ran", result: decision.result } };
    if (decision.action === "run-again") return { ...base, at: now(), outcome: { type: "run-again" } };
    const message = `a person failed step "${step.id}"${decision.reason ? `: ${decision.reason}` : ""}`;
    return { ...base, at: now(), outcome: { type: "fail", error: { code: "failed-by-person", message } } };
  }
  const message = `step "${step.id}": no valid settlement after ${MAX_ANSWER_ROUNDS} answers`;
  return { ...base, at: now(), outcome: { type: "fail", error: { code: "unsettled-effect", message } } };
}
