// The scripted model every system uses: `ScriptedChatModel` from @replan/langgraph/testing, with
// replies that follow the scenario and a sleep of `latencyMs` per call (a step's own latency for
// the call that carries out an agent step). Calls are recorded; tokens are counted after the run.
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import type { AIMessageChunk } from "@langchain/core/messages";
import { ToolMessage } from "@langchain/core/messages";
import { type ScriptedReply, type ScriptedRequest, ScriptedChatModel } from "@replan/langgraph/testing";
import { finalAnswerText, fillerText, type Scenario, type StepDefinition, stepTable } from "./scenarios.js";
import { promptTokensOf } from "./tokens.js";

/** A scripted model that also measures the time spent inside its calls. */
export class BenchModel extends ScriptedChatModel {
  /** Time spent inside `invoke` (overlapping calls are counted each). */
  modelMs = 0;

  override async invoke(
    input: BaseLanguageModelInput,
    options?: Parameters<ScriptedChatModel["invoke"]>[1],
  ): Promise<AIMessageChunk> {
    const start = performance.now();
    try {
      return await super.invoke(input, options);
    } finally {
      this.modelMs += performance.now() - start;
    }
  }
}

/** The role of a call, as the script sees it. */
export type CallRole = "planner" | "replanner" | "executor" | "answer";

/** Usage of a run's model calls. */
export interface CallStats {
  llmCalls: number;
  promptTokens: number;
  /** Prompt tokens of the replanner's calls. */
  replannerPromptTokens: number;
  /** The largest prompt of one call. */
  maxPromptTokens: number;
}

/** The role of a call, from its metadata (replan's model layer, and the baseline, tag every call). */
export function roleOf(request: ScriptedRequest): CallRole {
  if (request.role === undefined) throw new Error(`scripted model: call #${request.index} has no role`);
  return request.role;
}

/** Counts the calls and their prompt tokens, with the role of each call. */
export function callStats(calls: readonly ScriptedRequest[]) {
  const stats: CallStats = { llmCalls: 0, promptTokens: 0, replannerPromptTokens: 0, maxPromptTokens: 0 };
  for (const call of calls) {
    const tokens = promptTokensOf(call.messages, call.tools);
    stats.llmCalls++;
    stats.promptTokens += tokens;
    stats.maxPromptTokens = Math.max(stats.maxPromptTokens, tokens);
    if (roleOf(call) === "replanner") stats.replannerPromptTokens += tokens;
  }
  return stats;
}

const sleep = (ms: number) =>
  ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

/** The baseline's step: its agent sees only the task text, "step <id>: ...". */
function baselineStepIdIn(text: string): string | undefined {
  return /^step ([\w-]+):/m.exec(text)?.[1];
}

/** An agent step's answer: text of the scenario's output size (a short note for the join). */
export function agentAnswer(scenario: Scenario, step: StepDefinition): string {
  if (step.tool === "combine") return `Combined ${step.dependsOn.length} summaries: all consistent.`;
  return `Summary of ${step.id}: ${fillerText(`${step.id}:agent`, scenario.outputChars)}`;
}

/** A step as the replan planner writes it (`ModelPlanSchema`: tool and args as JSON, or nulls). */
export function modelStep(scenario: Scenario, step: StepDefinition) {
  const tool = scenario.mode === "tool";
  return {
    id: step.id,
    description: step.description,
    dependsOn: step.dependsOn,
    tool: tool ? step.tool : null,
    args: tool ? JSON.stringify(step.args) : null,
  };
}

/** The replan planner's answer: the steps as `ModelPlanSchema` (a structured tool call). */
export function replanPlanReply(scenario: Scenario, steps: readonly StepDefinition[]): ScriptedReply {
  return { structured: { steps: steps.map((step) => modelStep(scenario, step)) } };
}

/** A script: the scripted model's answer to each call. */
export type Script = (request: ScriptedRequest) => Promise<ScriptedReply>;

/**
 * The script for replan (core and adapter): plans the scenario's steps, replans the failure with
 * its replacement steps, carries out agent steps with a text answer, writes the final answer.
 *
 * @param scenario - the scenario.
 * @param latencyMs - the sleep of each call (an agent step's call sleeps that step's latency).
 */
export function replanScript(scenario: Scenario, latencyMs: number): Script {
  const steps = stepTable(scenario);
  const answers = new Map([...steps.values()].map((step) => [step.id, agentAnswer(scenario, step)]));
  return async (request) => {
    const role = roleOf(request);
    if (role === "executor") {
      const id = request.stepId;
      const step = id === undefined ? undefined : steps.get(id);
      if (!step) return new Error(`scripted model: no step in ${request.text.slice(0, 200)}`);
      await sleep(step.latencyFactor * latencyMs);
      return answers.get(step.id)!;
    }
    await sleep(latencyMs);
    if (role === "planner") return replanPlanReply(scenario, scenario.steps);
    if (role === "replanner") return replanReply(scenario);
    return finalAnswerText(scenario);
  };
}

/**
 * The model for replan (core and adapter), on {@link replanScript}.
 *
 * @param scenario - the scenario.
 * @param latencyMs - the sleep of each call (an agent step's call sleeps that step's latency).
 */
export function replanModel(scenario: Scenario, latencyMs: number): BenchModel {
  return new BenchModel({ responses: replanScript(scenario, latencyMs) });
}

/** A tool step's arguments as the baseline's agent writes them: references become the ids. */
export function literalArgs(step: StepDefinition): Record<string, unknown> {
  return JSON.parse(JSON.stringify(step.args).replace(/\$\{([\w-]+)(?:\.[\w-]+)*\}/g, "$1"));
}

/** The steps the baseline's planner (or replanner) writes: their descriptions, in order. */
export function baselinePlanArgs(scenario: Scenario, ids: readonly string[]) {
  const steps = stepTable(scenario);
  return { steps: ids.map((id) => steps.get(id)!.description) };
}

/** The baseline's replanner, when no step is left: the answer, as its `response` tool call. */
export function baselineResponseReply(scenario: Scenario): ScriptedReply {
  return { toolCalls: [{ name: "response", args: { response: finalAnswerText(scenario) } }] };
}

/** The steps the baseline still has to run after `done`: the replacement replaces the failed ones. */
export function baselineRemaining(scenario: Scenario, queue: readonly string[], done: string): string[] {
  const failure = scenario.failure;
  if (!failure || done !== failure.stepId) return [...queue];
  const replacing = new Set(failure.replacement.map((step) => step.id));
  return [...failure.replacement.map((step) => step.id), ...queue.filter((id) => !replacing.has(id))];
}

/**
 * The script for the baseline (the LangGraph tutorial's graph): plans the steps as text in
 * dependency order, carries out one step with a ReAct agent (a tool call then a text answer that
 * repeats the tool's output; for agent steps a text answer), and after every step replans the
 * remaining steps (with the replacement after the failure) or responds when none is left.
 *
 * @param scenario - the scenario.
 * @param latencyMs - the sleep of each call (an agent step's call sleeps that step's latency).
 */
export function baselineScript(scenario: Scenario, latencyMs: number): Script {
  const steps = stepTable(scenario);
  const answers = new Map([...steps.values()].map((step) => [step.id, agentAnswer(scenario, step)]));
  let queue = scenario.steps.map((step) => step.id);
  return async (request) => {
    const role = roleOf(request);
    if (role === "planner") {
      await sleep(latencyMs);
      return { structured: baselinePlanArgs(scenario, queue) };
    }
    if (role === "replanner") {
      await sleep(latencyMs);
      const done = queue[0]!;
      queue = baselineRemaining(scenario, queue.slice(1), done);
      if (queue.length === 0) return baselineResponseReply(scenario);
      return { toolCalls: [{ name: "plan", args: baselinePlanArgs(scenario, queue) }] };
    }
    const id = baselineStepIdIn(request.messages[0]?.text ?? "");
    const step = id === undefined ? undefined : steps.get(id);
    if (!step) return new Error(`scripted model: no step in ${request.text.slice(0, 200)}`);
    if (scenario.mode === "agent") {
      await sleep(step.latencyFactor * latencyMs);
      return answers.get(step.id)!;
    }
    await sleep(latencyMs);
    const last = request.messages.at(-1);
    if (last && ToolMessage.isInstance(last)) return last.text; // the step's result, as the agent's answer
    return { toolCalls: [{ name: step.tool, args: literalArgs(step) }] };
  };
}

/**
 * The model for the baseline, on {@link baselineScript}.
 *
 * @param scenario - the scenario.
 * @param latencyMs - the sleep of each call (an agent step's call sleeps that step's latency).
 */
export function baselineModel(scenario: Scenario, latencyMs: number): BenchModel {
  return new BenchModel({ responses: baselineScript(scenario, latencyMs) });
}

/** The name of the structured tool a replanner's patch is written with (the adapter's). */
export const PATCH_TOOL = "patch";

/** The JSON patch of a scenario with one, as the model writes it (`{ remove, add, replace, reason }`). */
export function jsonPatchOf(scenario: Scenario) {
  const patch = scenario.failure?.patch;
  if (!patch) return undefined;
  return {
    remove: patch.remove,
    add: patch.add.map((step) => modelStep(scenario, step)),
    replace: patch.replace.map((step) => modelStep(scenario, step)),
    reason: patch.reason,
  };
}

/**
 * The replanner's answer in today's JSON: the scenario's patch, or its replacement steps (a
 * rewrite of the remaining steps).
 */
export function replanReply(scenario: Scenario): ScriptedReply {
  const patch = jsonPatchOf(scenario);
  return patch ? { structured: patch } : replanPlanReply(scenario, scenario.failure?.replacement ?? []);
}
