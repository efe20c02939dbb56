// The critical path under the token-time clock: the least wall time of a system that writes this
// plan, in its own format, at this rate. Each step is available when its text ends in the
// planner's stream (its last token has arrived), starts once it is available and its dependencies
// are done, and takes its latency; then comes the answer call. Each system's protocol decides the
// rest: replan and the tutorial's graph replan as soon as the failed step ends and skip what
// depended on it (replan-langgraph's replan is a patch that replaces the failed step in place: its
// dependents, not rewritten, run after it); LLMCompiler runs every task (a failed one's dependents too), then its joiner
// decides to replan, and a second joiner answers.
import { compactPlanText, compactReplanText, inPlaceReplan } from "./compact-script.js";
import { compilerJoinerReply, compilerPlanText, compilerReplanText } from "./llmcompiler-script.js";
import {
  baselinePlanArgs,
  baselineRemaining,
  baselineResponseReply,
  jsonPatchOf,
  PATCH_TOOL,
  replanPlanReply,
} from "./model.js";
import { finalAnswerText, type Scenario, type StepDefinition } from "./scenarios.js";
import { callDurationMs, type TokenClock, tokenArrivalMs } from "./token-clock.js";
import { countTokens, tokenPieces } from "./tokens.js";

/** The systems measured on the token-time clock. */
export type TokenTimeSystem =
  | "replan-langgraph"
  | "replan-langgraph-batch"
  | "llmcompiler"
  | "baseline-tutorial";

/** A call's output: its tokens, and the token at which each step's text is complete. */
export interface StreamedCall {
  tokens: number;
  stepTokens: Map<string, number>;
}

/** The names of the structured-output tools the systems bind (their tokens are output tokens too). */
export const STRUCTURED_TOOL_NAMES = { replanPlan: "plan", baselinePlan: "plan", joiner: "join_outputs" };

/**
 * Tokens up to each step's end, in a call that writes `segments` one after the other (content, or
 * a tool call's name then its JSON arguments), each step ending at `[segment, offset]`.
 */
export function streamedCall(segments: string[], ends: Array<[id: string, segment: number, offset: number]>) {
  const pieces = segments.map(tokenPieces);
  const before = pieces.map((_, index) => pieces.slice(0, index).reduce((sum, list) => sum + list.length, 0));
  const stepTokens = new Map<string, number>();
  for (const [id, segment, offset] of ends) {
    let length = 0;
    let count = 0;
    for (const piece of pieces[segment]!) {
      if (length >= offset) break;
      length += piece.length;
      count++;
    }
    stepTokens.set(id, before[segment]! + count);
  }
  return { tokens: pieces.reduce((sum, list) => sum + list.length, 0), stepTokens };
}

/** `{"steps":[item,item]}` as JSON, with the offset just after each item. */
function jsonStepList(items: unknown[]): { json: string; offsets: number[] } {
  let json = '{"steps":[';
  const offsets: number[] = [];
  items.forEach((item, index) => {
    json += `${index > 0 ? "," : ""}${JSON.stringify(item)}`;
    offsets.push(json.length);
  });
  return { json: `${json}]}`, offsets };
}

/** A plan written as a structured tool call `{"steps": [...]}`, one item per step. */
function toolCallPlan(name: string, ids: string[], items: unknown[]): StreamedCall {
  const { json, offsets } = jsonStepList(items);
  return streamedCall(
    [name, json],
    ids.map((id, index) => [id, 1, offsets[index]!]),
  );
}

/** A plan written as text lines, one task a line (its newline ends it), `join()` last. */
function linePlan(text: string, ids: string[], firstLine: number): StreamedCall {
  const ends: Array<[string, number, number]> = [];
  let offset = 0;
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    offset += line.length + (index < lines.length - 1 ? 1 : 0);
    const id = ids[index - firstLine];
    if (id !== undefined) ends.push([id, 0, offset]);
  });
  return streamedCall([text], ends);
}

/** A patch written as a structured tool call, each added or replaced step available when its item ends. */
function toolCallPatch(patch: NonNullable<ReturnType<typeof jsonPatchOf>>): StreamedCall {
  const json = JSON.stringify(patch);
  const ends: Array<[string, number, number]> = [];
  let from = 0;
  for (const item of [...patch.add, ...patch.replace]) {
    const text = JSON.stringify(item);
    const at = json.indexOf(text, from);
    from = at + text.length;
    ends.push([item.id, 1, from]);
  }
  return streamedCall([PATCH_TOOL, json], ends);
}

/** The ids a replan of replan's writes, in order: the patch's added and replaced steps, or the replacement. */
function replanIds(scenario: Scenario): string[] {
  const patch = scenario.failure?.patch;
  const steps = patch ? [...patch.add, ...patch.replace] : (scenario.failure?.replacement ?? []);
  return steps.map((step) => step.id);
}

const toolCallTokens = (name: string, args: unknown) => countTokens(name) + countTokens(JSON.stringify(args));

/** What a system's calls write on a scenario: its plan, its replan, its answer. */
interface Protocol {
  plan: StreamedCall;
  replan?: StreamedCall;
  /**
   * The steps that run after the replan (default: the scenario's replacement); a step the replan
   * does not write (a plan's step left as it is) is available at once.
   */
  afterReplan?: StepDefinition[];
  answerTokens: number;
  /** LLMCompiler: a joiner call between the first plan's tasks and the replan. */
  joinerTokens?: number;
}

function protocolOf(system: TokenTimeSystem, scenario: Scenario): Protocol {
  const replacement = scenario.failure?.replacement ?? [];
  const ids = (steps: readonly StepDefinition[]) => steps.map((step) => step.id);
  if (system === "llmcompiler") {
    const first = scenario.steps.length + 2; // the tasks, join, then the replan's first number
    const reply = (failed: boolean, replanned: boolean) =>
      toolCallTokens(STRUCTURED_TOOL_NAMES.joiner, compilerJoinerReply(scenario, failed, replanned));
    return {
      plan: linePlan(compilerPlanText(scenario), ids(scenario.steps), 0),
      ...(scenario.failure
        ? {
            replan: linePlan(compilerReplanText(scenario, first), ids(replacement), 1),
            joinerTokens: reply(true, false),
          }
        : {}),
      answerTokens: reply(Boolean(scenario.failure), Boolean(scenario.failure)),
    };
  }
  if (system === "baseline-tutorial") {
    const planned = ids(scenario.steps);
    const failedAt = scenario.failure ? planned.indexOf(scenario.failure.stepId) : -1;
    const remaining = scenario.failure
      ? baselineRemaining(scenario, planned.slice(failedAt + 1), scenario.failure.stepId)
      : [];
    const response = baselineResponseReply(scenario) as { toolCalls: Array<{ name: string; args: unknown }> };
    return {
      plan: toolCallPlan(
        STRUCTURED_TOOL_NAMES.baselinePlan,
        planned,
        baselinePlanArgs(scenario, planned).steps,
      ),
      ...(scenario.failure
        ? { replan: toolCallPlan("plan", remaining, baselinePlanArgs(scenario, remaining).steps) }
        : {}),
      answerTokens: toolCallTokens(response.toolCalls[0]!.name, response.toolCalls[0]!.args),
    };
  }
  if (system === "replan-langgraph") {
    // The compact format: one line a step, each available when its line ends; the replan is a
    // patch that replaces the failed step in place (what the scripted replanner writes).
    const inPlace = inPlaceReplan(scenario);
    return {
      plan: linePlan(compactPlanText(scenario, scenario.steps), ids(scenario.steps), 0),
      ...(scenario.failure
        ? {
            replan: linePlan(
              compactReplanText(scenario),
              inPlace ? ids(inPlace.written) : replanIds(scenario),
              0,
            ),
            ...(inPlace ? { afterReplan: inPlace.run } : {}),
          }
        : {}),
      answerTokens: countTokens(finalAnswerText(scenario)),
    };
  }
  // replan-langgraph-batch: today's JSON plan, as a structured tool call (a replan: the patch).
  const stepsOf = (steps: readonly StepDefinition[]) =>
    (replanPlanReply(scenario, steps) as { structured: { steps: unknown[] } }).structured.steps;
  const patch = jsonPatchOf(scenario);
  return {
    plan: toolCallPlan(STRUCTURED_TOOL_NAMES.replanPlan, ids(scenario.steps), stepsOf(scenario.steps)),
    ...(scenario.failure
      ? {
          replan: patch
            ? toolCallPatch(patch)
            : toolCallPlan(STRUCTURED_TOOL_NAMES.replanPlan, ids(replacement), stepsOf(replacement)),
        }
      : {}),
    answerTokens: countTokens(finalAnswerText(scenario)),
  };
}

/**
 * Runs steps as early as the clock allows: each at max(available, dependencies done), for its
 * latency. A step whose dependency failed or was skipped is skipped, unless `runAfterFailure`.
 */
function runSteps(
  steps: readonly StepDefinition[],
  availableAt: (id: string) => number,
  finish: Map<string, number>,
  options: { latency: (step: StepDefinition) => number; failed?: string; runAfterFailure: boolean },
) {
  const blocked = new Set<string>();
  for (const step of steps) {
    if (!options.runAfterFailure && step.dependsOn.some((id) => blocked.has(id) || id === options.failed)) {
      blocked.add(step.id);
      continue;
    }
    const start = Math.max(availableAt(step.id), ...step.dependsOn.map((id) => finish.get(id) ?? 0));
    finish.set(step.id, start + options.latency(step));
  }
}

/**
 * The least wall time of `system` on `scenario` under `clock`, in ms (see the file's header).
 *
 * @param system - the system (its plan format and protocol).
 * @param scenario - the scenario.
 * @param clock - the token-time clock.
 */
export function tokenCriticalPathMs(system: TokenTimeSystem, scenario: Scenario, clock: TokenClock): number {
  const protocol = protocolOf(system, scenario);
  const latency = (step: StepDefinition) => step.latencyFactor * clock.toolLatencyMs;
  const llmcompiler = system === "llmcompiler";
  const failed = scenario.failure?.stepId;
  const finish = new Map<string, number>();
  const arrival = (call: StreamedCall, start: number) => (id: string) =>
    start + tokenArrivalMs(clock, call.stepTokens.get(id) ?? call.tokens);
  const planEnd = callDurationMs(clock, protocol.plan.tokens);
  runSteps(scenario.steps, arrival(protocol.plan, 0), finish, {
    latency,
    failed,
    runAfterFailure: llmcompiler,
  });
  let ready = Math.max(planEnd, ...finish.values());
  if (scenario.failure && protocol.replan) {
    // replan and the baseline replan once the failed step ends (and the plan call has ended);
    // LLMCompiler once every task has run and its joiner has decided.
    const replanStart = llmcompiler
      ? ready + callDurationMs(clock, protocol.joinerTokens ?? 0)
      : Math.max(planEnd, finish.get(scenario.failure.stepId)!);
    const after = protocol.afterReplan ?? scenario.failure.replacement;
    const replan = protocol.replan;
    const written = arrival(replan, replanStart);
    runSteps(after, (id) => (replan.stepTokens.has(id) ? written(id) : 0), finish, {
      latency,
      runAfterFailure: true,
    });
    const replanEnd = replanStart + callDurationMs(clock, replan.tokens);
    ready = Math.max(ready, replanEnd, ...after.map((step) => finish.get(step.id)!));
  }
  return ready + callDurationMs(clock, protocol.answerTokens);
}

/** How long a system's first planner call takes on a scenario (its plan's tokens at the clock's rate). */
export function planCallMs(system: TokenTimeSystem, scenario: Scenario, clock: TokenClock): number {
  return callDurationMs(clock, protocolOf(system, scenario).plan.tokens);
}

/** The planner's output tokens per step on a scenario's first plan, in a system's format. */
export function planTokensPerStep(system: TokenTimeSystem, scenario: Scenario): number {
  return protocolOf(system, scenario).plan.tokens / scenario.steps.length;
}
