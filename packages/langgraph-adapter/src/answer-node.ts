// The final-answer node: the answer written by the model from the run's results (one LLM call), or
// a plain summary when that is turned off, not allowed by the budget, or fails.
import { AIMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { llmCallRefusal, type RunState } from "@replan/core";
import { toStepError } from "@replan/core/internal";
import type { Answer, AnswerRequest } from "./model-layer.js";
import { addUsage } from "./models.js";
import { meterOf } from "./plan-nodes.js";
import { assembleRun, type PlanExecuteStateType } from "./state.js";

/** What the final-answer node needs. */
export interface AnswerNodeSettings {
  /** Writes the answer with the model ({@link modelAnswer}). */
  writeAnswer: (request: AnswerRequest) => Promise<Answer>;
  /** Whether the model writes the answer (else the plain summary, no LLM call). */
  finalAnswer: boolean;
  /** Longest text of one result in the summary. */
  resultPreviewChars: number;
}

/**
 * Makes the final-answer node: it appends the answer to `messages` as an `AIMessage` (the same
 * message as the one streamed in `messages` mode) and sets `answer`. A cancelled run, a budget with
 * no room for the call, or `finalAnswer: false` get the summary; a failed call gets the summary
 * with why.
 */
export function createAnswerNode(settings: AnswerNodeSettings) {
  const { writeAnswer, finalAnswer, resultPreviewChars } = settings;
  return async (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => {
    const run = assembleRun(state)!;
    const outcome = run.outcome ? `${run.outcome.status}: ${run.outcome.reason}` : "unknown";
    let text = "";
    let id: string | undefined;
    let usage = run.usage;
    let written = false;
    if (finalAnswer && run.outcome?.status !== "cancelled" && llmCallRefusal(run, 0) === undefined) {
      const meter = meterOf(run, runConfig);
      try {
        const reply = await writeAnswer({
          goal: run.goal,
          plan: run.plan,
          outcome: run.outcome,
          ...(runConfig.signal ? { signal: runConfig.signal } : {}),
          ...meter.hooks,
        });
        text = reply.text;
        id = reply.message.id; // the same message as the one streamed in "messages" mode, not a copy
        written = true;
      } catch (error) {
        if (runConfig.signal?.aborted) throw error;
        // The run's results stand: the answer falls back to the plain summary.
        text = `${summarize(run, outcome, resultPreviewChars)}\n(The final answer could not be written: ${toStepError(error, "model-call-failed").message})`;
      }
      usage = addUsage(usage, meter.usage);
    }
    if (!written && text === "") text = summarize(run, outcome, resultPreviewChars);
    return {
      answer: text,
      messages: [new AIMessage({ content: text, id })],
      run: { ...run, plan: null, usage },
    };
  };
}

/** The plain summary: the outcome, then each step's result (cut to `limit`) or status. */
function summarize(run: RunState, outcome: string, limit: number): string {
  const lines = [`Outcome: ${outcome}.`];
  for (const step of run.plan?.steps ?? []) {
    if (step.status === "done") {
      const result = typeof step.result === "string" ? step.result : JSON.stringify(step.result);
      lines.push(`- ${step.id}: ${(result ?? "").slice(0, limit)}`);
    } else lines.push(`- ${step.id}: ${step.status}${step.error ? ` (${step.error.message})` : ""}`);
  }
  return lines.join("\n");
}
