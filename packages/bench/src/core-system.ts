// replan-core: `runPlan` from @replan/core with a planner, replanner and agent-step executor that
// call the scripted model with the same prompts as @replan/langgraph, then one final-answer call.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import {
  type AIMessage,
  type BaseMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import {
  type Executor,
  type Plan,
  type Replanner,
  type RunResult,
  runPlan,
  type Step,
  type ToolFunction,
  type Usage,
} from "@replan/core";
import { DEFAULT_PROMPTS, ModelPlanSchema } from "@replan/langgraph";

/** Longest result text shown in a prompt (the adapter's default `resultPreviewChars`). */
const PREVIEW_CHARS = 1000;
const MAX_TOOL_ITERATIONS = 8;

export interface CoreRunOptions {
  goal: string;
  model: BaseChatModel;
  /** The tools as LangChain tools: their descriptions go into the prompts and to the model. */
  tools: StructuredToolInterface[];
  /** The same tools as plain functions, for tool steps. */
  functions: Record<string, ToolFunction>;
  concurrency: number;
  maxSteps: number;
}

/** Runs a goal with `runPlan`, then writes the final answer with one model call. */
export async function runCore(options: CoreRunOptions): Promise<{ result: RunResult; answer: string }> {
  const { goal, model, tools, functions, concurrency, maxSteps } = options;
  const variables = { tools: describeTools(tools), maxSteps: String(maxSteps) };
  const plannerSystem = render(DEFAULT_PROMPTS.planner, variables);
  const replannerSystem = render(DEFAULT_PROMPTS.replanner, variables);
  const executorSystem = render(DEFAULT_PROMPTS.executor, variables);
  const answerSystem = render(DEFAULT_PROMPTS.answer, variables);
  const structured = model.withStructuredOutput(ModelPlanSchema, { name: "plan", includeRaw: true });
  const bound = tools.length > 0 ? model.bindTools!(tools) : model;

  const ask = async (system: string, request: string, signal: AbortSignal) => {
    const answer = (await structured.invoke([new SystemMessage(system), new HumanMessage(request)], {
      signal,
    })) as { parsed: unknown; raw: BaseMessage };
    return { steps: toStepSpecs(answer.parsed) as never, usage: usageOf(answer.raw) };
  };

  const replanner: Replanner = ({ goal, plan, reason, feedback, signal }) => {
    let request = [
      `Goal: ${goal}`,
      `Why the plan must change: ${reason.message}`,
      `The plan so far (revision ${plan.revision}):`,
      ...plan.steps.map(describeStep),
      "Return the steps that replace every step that is not done.",
    ].join("\n");
    if (feedback) request += `\n\nYour previous answer was invalid: ${feedback.message}`;
    return ask(replannerSystem, request, signal);
  };

  const executor: Executor = async (step, context) => {
    const inputs = step.dependsOn
      .filter((id) => Object.hasOwn(context.results, id))
      .map((id) => `- ${id}: ${preview(context.results[id])}`);
    const messages: BaseMessage[] = [
      new SystemMessage(executorSystem),
      new HumanMessage(
        [
          `Overall goal: ${context.goal}`,
          `Your step (${step.id}): ${step.description}`,
          ...(inputs.length > 0 ? ["Results of the steps it depends on:", ...inputs] : []),
        ].join("\n"),
      ),
    ];
    for (let iteration = 0; iteration < MAX_TOOL_ITERATIONS; iteration++) {
      const reply = (await bound.invoke(messages, { signal: context.signal })) as AIMessage;
      context.reportUsage(usageOf(reply));
      messages.push(reply);
      const calls = reply.tool_calls ?? [];
      if (calls.length === 0) return reply.text;
      for (const call of calls) {
        const work = functions[call.name];
        const content = work ? JSON.stringify(await work(call.args, context)) : `Unknown tool ${call.name}`;
        messages.push(new ToolMessage({ content, tool_call_id: call.id ?? call.name }));
      }
    }
    throw new Error(`step "${step.id}": still calling tools after ${MAX_TOOL_ITERATIONS} rounds`);
  };

  const result = await runPlan({
    goal,
    planner: ({ goal, feedback, signal }) =>
      ask(
        plannerSystem,
        feedback ? `${goal}\n\nYour previous plan was invalid: ${feedback.message}` : goal,
        signal,
      ),
    replanner,
    executor,
    tools: functions,
    budget: { concurrency, maxSteps },
  });
  const outcome = `${result.outcome.status}: ${result.outcome.reason}`;
  const reply = await model.invoke([
    new SystemMessage(answerSystem),
    new HumanMessage(answerMessage(goal, result.plan, outcome)),
  ]);
  return { result, answer: reply.text };
}

function render(template: unknown, variables: { tools: string; maxSteps: string }): string {
  if (typeof template !== "string") throw new Error("expected a string prompt");
  return template.replaceAll("{tools}", variables.tools).replaceAll("{maxSteps}", variables.maxSteps);
}

function describeTools(tools: readonly StructuredToolInterface[]): string {
  if (tools.length === 0) return "(none: every step is an agent step)";
  return tools
    .map((tool) => {
      const schema = JSON.stringify(toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0]));
      return `- ${tool.name}: ${tool.description}\n  arguments (JSON schema): ${schema}`;
    })
    .join("\n");
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return text.length > PREVIEW_CHARS
    ? `${text.slice(0, PREVIEW_CHARS)}… [${text.length - PREVIEW_CHARS} more characters]`
    : text;
}

function describeStep(step: Step): string {
  const what = step.kind === "tool" ? `tool ${step.tool} ${JSON.stringify(step.args)}` : "agent";
  const after = step.dependsOn.length > 0 ? ` after ${step.dependsOn.join(", ")}` : "";
  let line = `- ${step.id} [${step.status}] (${what}${after}): ${step.description}`;
  if (step.status === "done") line += `\n  result: ${preview(step.result)}`;
  if (step.error) line += `\n  error (${step.error.code}): ${preview(step.error.message)}`;
  return line;
}

function answerMessage(goal: string, plan: Plan | null, outcome: string): string {
  return [
    `Goal: ${goal}`,
    `How the plan ended: ${outcome}`,
    "Steps and results:",
    ...(plan?.steps ?? []).map(describeStep),
  ].join("\n");
}

function usageOf(message: BaseMessage | undefined): Usage {
  const metadata = (message as { usage_metadata?: { input_tokens?: number; output_tokens?: number } })
    ?.usage_metadata;
  return {
    llmCalls: 1,
    promptTokens: metadata?.input_tokens ?? 0,
    completionTokens: metadata?.output_tokens ?? 0,
  };
}

/** The model's plan (`ModelPlanSchema`: nullable tool, args as JSON text) as core step specs. */
function toStepSpecs(parsed: unknown): unknown {
  const steps = (parsed as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return parsed;
  return steps.map((raw) => {
    const step = raw as {
      id: string;
      description: string;
      dependsOn?: string[];
      tool?: string | null;
      args?: string | null;
    };
    const base = { id: step.id, description: step.description, dependsOn: step.dependsOn ?? [] };
    if (typeof step.tool !== "string" || step.tool === "") return { ...base, kind: "agent" };
    let args: unknown = step.args ?? {};
    try {
      args = typeof args === "string" ? JSON.parse(args) : args;
    } catch {
      // left as text: validation reports it
    }
    return { ...base, kind: "tool", tool: step.tool, args };
  });
}
