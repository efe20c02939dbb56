// LLMCompiler's prompts, after the paper's planner and joiner prompts and the LangGraph tutorial's
// versions of them (written afresh here, of the same shape and about the same length): the planner
// lists the tools with their signatures and the rules of the numbered format; the replanner gets
// the same rules plus how to continue; the joiner answers or asks for a new plan.
import type { StructuredToolInterface } from "@langchain/core/tools";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { END_OF_PLAN } from "./plan-parser.js";

const JOIN_DESCRIPTION = `join():
 - Gathers the outputs of the earlier actions and hands them to an LLM agent, which either answers the question or plans again.
 - join is always the last action of a plan. It is called when
   (a) the answer can be put together from the outputs of the planned tasks, or
   (b) the answer cannot be known while planning, before the tasks have run.`;

/** A tool as the planner sees it: `name(arg: type, opt?: type) - description`. */
export function toolSignature(tool: StructuredToolInterface): string {
  const schema = toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0]) as {
    properties?: Record<string, { type?: string; enum?: unknown[]; items?: { type?: string } }>;
    required?: string[];
  };
  const required = new Set(schema.required ?? []);
  const parameters = Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const type = property.enum
      ? property.enum.map((value) => JSON.stringify(value)).join(" | ")
      : property.type === "array"
        ? `list[${property.items?.type ?? "any"}]`
        : (property.type ?? "any");
    return `${name}${required.has(name) ? "" : "?"}: ${type}`;
  });
  return `${tool.name}(${parameters.join(", ")}) - ${tool.description}`;
}

/**
 * The planner's system prompt.
 *
 * @param tools - the tools the plan may use.
 * @param replan - true for the replanner's version (continue after an earlier plan).
 */
export function plannerSystemPrompt(tools: readonly StructuredToolInterface[], replan: boolean): string {
  const actions = tools.map((tool, index) => `${index + 1}. ${toolSignature(tool)}`);
  const replanRules = replan
    ? `
 - You are given the "Previous Plan": the tasks an earlier agent planned, with the result of each (its Observation), and a Thought about those results. Use them to write the next plan.
 - Start the new plan with a "Thought" line that says how it will get what is still missing.
 - Never repeat a task that already ran in the Previous Plan; refer to its output as $id instead.
 - Continue the task numbers from where the previous plan stopped; never reuse a number.`
    : "";
  return `Given a user question, write a plan that answers it with as much parallelism as possible. Each task of the plan is one of these ${tools.length + 1} actions:
${actions.join("\n")}
${tools.length + 1}. ${JOIN_DESCRIPTION}

Guidelines:
 - Each action above states its inputs, their types, and what it does. Follow them strictly.
 - Every task is exactly one of the actions above, written as a Python call with keyword arguments.
 - Every task has a unique number, and the numbers strictly increase.
 - An input is either a constant or the output of an earlier task: write $id for the output of task id.
 - Always end the plan with join, then write '${END_OF_PLAN}'.
 - Make the plan as parallel as possible: a task refers only to the outputs it needs.
 - Use only the actions above. If the question cannot be answered with them, call join to decide what to do next.
 - Never add comments or explanations to the plan.${replanRules}`;
}

/** The planner's closing reminder of the format. */
export const PLANNER_FORMAT_REMINDER = `Remember: answer ONLY with the task list in this format, one task per line:
idx. tool(arg_name=value)`;

/** The joiner's system prompt (before the question, the tasks' outputs and the thoughts so far). */
export const JOINER_SYSTEM_PROMPT = `Answer a question from the results of a plan. Guidelines:
 - You are given the results (observations) of the tasks of a plan that was run to answer the user's question.
 - Think about the question in one or two sentences, from those observations.
 - Ignore results that do not matter for the question.
 - If the information needed is there, give a short but complete and helpful answer.
 - If you cannot answer well, ask for a new plan, saying what is missing or what went wrong.
Decide with a thought and one action:
 (1) Finish(the answer for the user): answer and end the task.
 (2) Replan(why a new plan is needed and what it must get, in any length): plan again.`;

/** The joiner's closing instruction. */
export const JOINER_DECISION_PROMPT =
  "From the tasks above, decide whether to answer (Finish) or plan again (Replan). Answer only if every piece of information the question needs is there.";
