// The one way this package asks a model for a plan, for the planner and the replanner alike: the
// role's system prompt, the request (the goal, or the plan and why it must change), the repair
// request when the previous answer was invalid, the structured-output method, and the parse.
import type { AIMessage, BaseMessage } from "@langchain/core/messages";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import type {
  Feedback,
  ModelCallReporter,
  PatchEntry,
  Plan,
  PlanIssue,
  PlanRequest,
  ReplanRequest,
  StepSpecInput,
} from "@replan/core";
import { type CallRequest, callModel } from "./model-call.js";
import { type Settings, variablesOf } from "./model-settings.js";
import {
  excerpt,
  MAX_PLAN_CHARS,
  ModelPlanSchema,
  parseCompactPlan,
  parsePlan,
  readCompactPlan,
  refuseCutShort,
} from "./parse.js";
import { type ReplanAnswer, ModelPatchSchema, parseCompactPatch, parsePatch } from "./patch-parse.js";
import { planChunkHandler } from "./plan-stream.js";
import { patchStreamReader } from "./patch-stream.js";
import { renderPrompt, replanMessage } from "./prompts.js";

/** The name of the forced tool call that carries a plan (`functionCalling`). */
const PLAN_TOOL = "plan";
/** The name of the forced tool call that carries a replanner's patch (`functionCalling`). */
const PATCH_TOOL = "patch";

/**
 * What a plan call returns: the steps (the replanner's: a patch, or the remaining steps
 * rewritten) and the model's raw message.
 */
export interface PlanAnswer<Steps = StepSpecInput[]> {
  steps: Steps;
  message: AIMessage;
  /**
   * A streamed call's lines that did not parse (compact format): the steps are those that did,
   * and these issues make the plan invalid when it ends. A call that is not streamed throws instead.
   */
  issues?: PlanIssue[];
}

/**
 * How a call is made: its signal, and `onStep`, which (when given) has the answer streamed and
 * gets each step as soon as it is complete in the stream, before the call returns.
 */
export interface CallControls {
  signal?: AbortSignal | undefined;
  onStep?: ((spec: StepSpecInput) => void) | undefined;
  /**
   * The replanner's: has a compact patch streamed, and gets each entry as soon as its line ends
   * (the answer's `steps` is then the whole patch as parsed, and `issues` what did not parse).
   */
  onEntry?: ((entry: PatchEntry) => void) | undefined;
}

/** What the planner is asked: the goal, and what was wrong with its previous answer. */
export type PlannerCall = Pick<PlanRequest, "goal" | "feedback"> & CallControls;

/** What the replanner is asked: the plan so far, why it must change, and what was wrong with its previous answer. */
export type ReplannerCall = Pick<ReplanRequest, "goal" | "plan" | "reason" | "feedback"> & CallControls;

/** What each role is asked. */
interface Calls {
  planner: PlannerCall;
  replanner: ReplannerCall;
}

/** What each role answers: the planner steps, the replanner a patch (or the remaining steps). */
interface Answers {
  planner: StepSpecInput[];
  replanner: ReplanAnswer;
}

/**
 * Asks for a plan and parses it; errors carry `rawOutput` (an answer that does not parse) and
 * `retryable`.
 */
export type PlanCaller<Role extends keyof Calls> = (
  request: Calls[Role],
  reporter: Partial<ModelCallReporter>,
) => Promise<PlanAnswer<Answers[Role]>>;

/**
 * Makes the plan caller of a role: the system prompt is rendered once, each call sends it with
 * the role's request (and the repair request after an invalid answer), in the settings'
 * structured-output method, and parses the answer.
 *
 * @param settings - the model and how it is asked.
 * @param role - `planner` or `replanner`.
 */
export function createPlanCaller<Role extends keyof Calls>(settings: Settings, role: Role): PlanCaller<Role> {
  const system = renderPrompt(settings.prompts[role], variablesOf(settings));
  const ask = structuredCall(settings, role);
  return (request, reporter) => {
    const text =
      role === "planner"
        ? request.goal
        : replanMessage(
            request.goal,
            (request as ReplannerCall).plan,
            (request as ReplannerCall).reason,
            settings.resultPreviewChars,
            settings.format,
          );
    const human = request.feedback ? `${text}\n\n${repairMessage(request.feedback)}` : text;
    const plan = role === "replanner" ? (request as ReplannerCall).plan : undefined;
    return ask([new SystemMessage(system), new HumanMessage(human)], request, reporter, plan) as Promise<
      PlanAnswer<Answers[Role]>
    >;
  };
}

/** The repair request: what was wrong with the previous answer, and that answer. */
export function repairMessage(feedback: Feedback): string {
  const previous =
    feedback.output === undefined ? "" : `\nIt was:\n${excerpt(safeJson(feedback.output), 4000)}`;
  return `Your previous answer was invalid: ${excerpt(feedback.message, 2000)}${previous}\nReturn a corrected, complete answer in the same format.`;
}

/**
 * One request for a plan (the replanner's: a patch) in the settings' format and method, parsed
 * into steps (or a patch).
 */
function structuredCall(settings: Settings, role: keyof Calls) {
  const { model, openAI, call, method, format } = settings;
  const compact = format === "compact";
  const answerSchema = role === "replanner" ? ModelPatchSchema : ModelPlanSchema;
  const schema = toJsonSchema(answerSchema) as Record<string, unknown>;
  const description = answerSchema.description ?? "A plan";
  const toolName = role === "replanner" ? PATCH_TOOL : PLAN_TOOL;
  const runnable =
    method === "functionCalling" && !compact
      ? model.bindTools!(
          [{ type: "function", function: { name: toolName, description, parameters: schema } }],
          { tool_choice: toolName } as never,
        )
      : model;
  const callOptions: Record<string, unknown> = compact
    ? {}
    : method === "jsonSchema"
      ? { response_format: { type: "json_schema", json_schema: { name: toolName, description, schema } } }
      : method === "jsonMode"
        ? { response_format: { type: "json_object" } }
        : {};
  const schemaNote =
    method === "jsonMode" && !compact
      ? `\n\nAnswer with one JSON object that follows this JSON schema:\n${JSON.stringify(schema)}`
      : "";
  return async (
    messages: BaseMessage[],
    controls: CallControls,
    reporter: Partial<ModelCallReporter>,
    plan?: Plan,
  ): Promise<PlanAnswer<StepSpecInput[] | ReplanAnswer>> => {
    const [system, ...rest] = messages;
    const { signal, onStep, onEntry } = controls;
    // A compact patch streamed entry by entry (the in-node replanner, decision 017).
    const patchReader =
      plan && compact && onEntry
        ? patchStreamReader(
            plan.steps.map((step) => step.id),
            onEntry,
          )
        : undefined;
    const request: CallRequest = {
      role,
      messages: schemaNote && system ? [new SystemMessage(`${system.text}${schemaNote}`), ...rest] : messages,
      signal,
      reporter,
      callOptions,
      stream: (method === "jsonSchema" && !compact) || onStep !== undefined || patchReader !== undefined,
      maxChars: MAX_PLAN_CHARS,
      quiet: true,
      ...(patchReader ? { onChunk: patchReader.onChunk } : {}),
      ...(onStep
        ? {
            onChunk: planChunkHandler({
              format,
              method: compact ? "text" : method,
              toolName: toolName,
              onStep,
            }),
          }
        : {}),
    };
    const message = await callModel(runnable as never, openAI, call, request);
    refuseCutShort(message);
    if (patchReader) {
      const ended = patchReader.end();
      // Nothing streamed (JSON, prose, a rewrite): read as a whole answer, as when not streamed.
      if (patchReader.delivered === 0) return { steps: parseCompactPatch(message, plan!), message };
      return { steps: ended.output, message, issues: ended.issues };
    }
    if (plan)
      return { steps: compact ? parseCompactPatch(message, plan) : parsePatch(message, toolName), message };
    if (!compact) return { steps: parsePlan(message, toolName), message };
    if (!onStep) return { steps: parseCompactPlan(message), message };
    return { ...readCompactPlan(message), message };
  };
}

function safeJson(value: unknown): string {
  try {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
