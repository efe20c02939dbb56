// Default prompts, and the formatting that keeps them short: results are truncated in prompts
// (they stay whole in state), so a replanner prompt grows with the plan, not with the outputs.
import type { StructuredToolInterface } from "@langchain/core/tools";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { downstreamOf, findStep, type Plan, type ReplanReason, type Step } from "@replan/core";
import type { PlanFormat } from "./defaults.js";

/** A system prompt: a string (with `{tools}` and `{maxSteps}` placeholders) or a function of them. */
export type PromptTemplate = string | ((variables: PromptVariables) => string);

/** What a prompt template can use. */
export interface PromptVariables {
  /** The tools, one per line: name, description and JSON schema of the arguments. */
  tools: string;
  /** The plan size limit. */
  maxSteps: number;
}

/** Prompts that can be replaced; each is the system message of its call. */
export interface PlanExecutePrompts {
  /** The planner's system prompt. */
  planner?: PromptTemplate;
  /** The replanner's system prompt. */
  replanner?: PromptTemplate;
  /** The system prompt of the default agent-step executor (a model with tools). */
  executor?: PromptTemplate;
  /** The system prompt of the final answer. */
  answer?: PromptTemplate;
}

const PLAN_RULES = `Write the plan as JSON steps. Each step has:
- "id": a short unique id (letters, digits, "-" and "_"), e.g. "fetch-users";
- "description": what the step does, precise enough to be done without seeing the other steps;
- "dependsOn": the ids of the steps whose results it needs ([] if none);
- "tool" and "args": for a step that is exactly one call of one of the tools below with known
  arguments, the tool's name and its arguments as a JSON object string; otherwise both null, and an
  agent with the tools will carry the step out.
In "args", a string may use the result of a step it depends on: "\${id}" is that step's whole
result, "\${id.field}" a field of it.
Steps without dependencies between them run in parallel, so only add the dependencies a step
really needs. Use at most {maxSteps} steps, and no step for the final answer: it is written from
the results afterwards.

Tools:
{tools}`;

/** The plan's rules in the compact format (`planFormat: "compact"`; the grammar is @replan/core's). */
const COMPACT_PLAN_RULES = `Write the plan as plain text, one numbered step a line, and nothing else:
  1. tool(name=value, ...)   one call of one of the tools below, with its arguments by name
  2. "what to do"            a step that an agent with the tools carries out
- Number the steps 1, 2, 3, ...; the number is the step's id. When steps are already done, go on
  from the highest number used so far.
- Argument values are JSON: "text", 3, true, null, ["a", "b"], {"key": "value"}.
- A value may be the result of an earlier step: $1 is step 1's whole result, $1.field a field of
  it (also inside lists: [$1.id, $2.id]); inside a longer text write "\${1.field}". A tool step
  depends on the steps it refers to.
- Other dependencies go in brackets after the number: 3[1,2]. "Compare the two reports".
- A tool step may end with " # description" when the call alone does not say what it is for.
- A step may only use or depend on steps written before it.
Steps without dependencies between them run in parallel, so only add the dependencies a step
really needs. Use at most {maxSteps} steps, and no step for the final answer: it is written from
the results afterwards. Example:
1. search(query="weather in Paris")
2. search(query="weather in Rome")
3. compare(a=$1.temperature, b=$2.temperature)
4[3]. "Say which city will be warmer tomorrow"

Tools:
{tools}`;

const PLANNER_ROLE =
  "You are the planner of a plan-and-execute agent. Turn the user's goal into the shortest plan of steps that achieves it.";
const REPLANNER_ROLE =
  "You are the replanner of a plan-and-execute agent. A step failed or gave an unexpected result; the steps that do not depend on it keep running while you answer. Answer a patch of the plan, not a new plan: steps you do not name stay as they are, so do not repeat them. Never remove or replace a step that is done or running. Every failed step must be replaced (same id, new content) or removed; when you remove one, replace or remove the steps that depend on it too. New steps may depend on any step that stays, done ones included. To give up (the goal cannot be reached), answer only the reason: the run then ends failed.";

/** The JSON patch (`planFormat: "json"`). */
const JSON_PATCH_RULES =
  'The patch is one JSON object: "remove" lists the ids of the steps to drop, "add" the new steps (new ids), "replace" new content for existing steps under their id, "reason" says why in one sentence. Steps are written as in a plan:';

/** The compact patch (`planFormat: "compact"`). */
const COMPACT_PATCH_RULES = `The patch is plain text: the steps to add or replace, one numbered line each as in a plan (a number already in the plan replaces that step; add new steps from the highest number used so far), then a line "remove: 3, 5" with the numbers of the steps to drop (if any) and a line "reason: why, in one sentence". Steps are written as in a plan:`;

export const DEFAULT_PROMPTS: Required<PlanExecutePrompts> = {
  planner: `${PLANNER_ROLE}\n\n${PLAN_RULES}`,
  replanner: `${REPLANNER_ROLE}\n\n${JSON_PATCH_RULES}\n\n${PLAN_RULES}`,
  // The tools are bound to the executor's model calls; listing them here too would send them twice.
  executor:
    "You carry out one step of a plan. Use the tools when they help. Answer with the step's result only, concisely.",
  answer:
    "You write the final answer to the user's goal from the results of the plan's steps. Be concise and factual; say plainly what could not be done.",
};

/**
 * The default prompts for plans in the compact format (`planFormat: "compact"`): the planner's and
 * replanner's ask for core's compact text format; the executor's and the answer's are those of
 * {@link DEFAULT_PROMPTS}.
 */
export const DEFAULT_COMPACT_PROMPTS: Required<PlanExecutePrompts> = {
  ...DEFAULT_PROMPTS,
  planner: `${PLANNER_ROLE}\n\n${COMPACT_PLAN_RULES}`,
  replanner: `${REPLANNER_ROLE}\n\n${COMPACT_PATCH_RULES}\n\n${COMPACT_PLAN_RULES}`,
};

/** The default prompts of a plan format. */
export function defaultPromptsFor(format: PlanFormat): Required<PlanExecutePrompts> {
  return format === "compact" ? DEFAULT_COMPACT_PROMPTS : DEFAULT_PROMPTS;
}

export function renderPrompt(template: PromptTemplate, variables: PromptVariables): string {
  if (typeof template === "function") return template(variables);
  return template.replaceAll("{tools}", variables.tools).replaceAll("{maxSteps}", String(variables.maxSteps));
}

export function describeTools(tools: readonly StructuredToolInterface[]): string {
  if (tools.length === 0) return "(none: every step is an agent step)";
  return tools
    .map((tool) => {
      let schema = "";
      try {
        schema = JSON.stringify(toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0]));
      } catch {
        schema = "{}";
      }
      return `- ${tool.name}: ${tool.description}\n  arguments (JSON schema): ${schema}`;
    })
    .join("\n");
}

/** Text of a value for a prompt, cut to `limit` characters. */
export function preview(value: unknown, limit: number): string {
  let text: string;
  if (typeof value === "string") text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > limit ? `${text.slice(0, limit)}… [${text.length - limit} more characters]` : text;
}

function describeStep(step: Step, resultLimit: number): string {
  const what = step.kind === "tool" ? `tool ${step.tool} ${JSON.stringify(step.args)}` : "agent";
  const after = step.dependsOn.length > 0 ? ` after ${step.dependsOn.join(", ")}` : "";
  let line = `- ${step.id} [${step.status}] (${what}${after}): ${step.description}`;
  if (step.status === "done") line += `\n  result: ${preview(step.result, resultLimit)}`;
  if (step.error) line += `\n  error (${step.error.code}): ${preview(step.error.message, resultLimit)}`;
  return line;
}

/**
 * The replanner's request: the goal, why the plan must change, the plan with statuses and results,
 * the steps that wait for the answer (the failed steps' downstream cone), and the patch asked for.
 */
export function replanMessage(
  goal: string,
  plan: Plan,
  reason: ReplanReason,
  resultLimit: number,
  format: PlanFormat = "json",
): string {
  const waiting = downstreamOf(plan.steps, reason.stepIds).filter((id) => !reason.stepIds.includes(id));
  return [
    `Goal: ${goal}`,
    `Why the plan must change: ${reason.message}`,
    `The plan so far (revision ${plan.revision}):`,
    ...plan.steps.map((step) => describeStep(step, resultLimit)),
    ...(waiting.length > 0
      ? [`Waiting for your patch (they depend on a failed step): ${waiting.join(", ")}`]
      : []),
    format === "compact"
      ? 'Answer a patch: the numbered steps to add or replace, a "remove:" line, a "reason:" line.'
      : 'Answer a patch: {"remove": [ids], "add": [steps], "replace": [steps], "reason": "why"}.',
  ].join("\n");
}

/** The executor's request: the goal, the step, and the results of the steps it depends on (looked up, not the whole plan's). */
export function executorMessage(goal: string, step: Step, plan: Plan, limit: number): string {
  const inputs = step.dependsOn.flatMap((id) => {
    const dependency = findStep(plan, id);
    return dependency?.status === "done" ? [`- ${id}: ${preview(dependency.result, limit)}`] : [];
  });
  return [
    `Overall goal: ${goal}`,
    `Your step (${step.id}): ${step.description}`,
    ...(inputs.length > 0 ? ["Results of the steps it depends on:", ...inputs] : []),
  ].join("\n");
}

export function answerMessage(goal: string, plan: Plan | null, outcome: string, limit: number): string {
  const steps = plan?.steps ?? [];
  return [
    `Goal: ${goal}`,
    `How the plan ended: ${outcome}`,
    "Steps and results:",
    ...steps.map((step) => describeStep(step, limit)),
  ].join("\n");
}
