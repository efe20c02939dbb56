// The scripted model's answers for LLMCompiler: the scenario's steps as a numbered task list with
// `$N` references (the step that fetches after s1 writes `after="$1"`), then `join()`; the joiner
// asks for a new plan when a task failed and answers otherwise; the replan starts with a thought and
// continues the numbering with the replacement steps.
import { formatArguments } from "./llmcompiler/arguments.js";
import { END_OF_PLAN } from "./llmcompiler/plan-parser.js";
import { roleOf, type Script } from "./model.js";
import { finalAnswerText, type Scenario, type StepDefinition } from "./scenarios.js";

/** The joiner's thought and feedback when a task failed, and its thought before the answer. */
export const JOINER_TEXT = {
  failedThought: (id: string) =>
    `Fetching record ${id} failed: its primary source answered 503, so the records from it on are missing.`,
  feedback: (id: string) =>
    `The primary source of record ${id} is down: fetch ${id} from the mirror, then the records after it again.`,
  doneThought: "Every record was fetched and combined, with no error left.",
  replanThought: (id: string) =>
    `Fetch record ${id} from the mirror, after the last record fetched, then the records after it.`,
};

/** A step's arguments with `${id.field}` references written as `$N` (N: the task number of `id`). */
function compilerArgs(step: StepDefinition, numbers: ReadonlyMap<string, number>): Record<string, unknown> {
  const json = JSON.stringify(step.args).replace(/\$\{([\w-]+)(?:\.[\w-]+)*\}/g, (whole, id: string) => {
    const number = numbers.get(id);
    return number === undefined ? whole : `$${number}`;
  });
  return JSON.parse(json);
}

/** The task numbers of the plan's steps (from 1) and of the replacement steps (from `first`). */
function taskNumbers(scenario: Scenario, replanFirst?: number): Map<string, number> {
  const numbers = new Map(scenario.steps.map((step, index) => [step.id, index + 1]));
  if (replanFirst !== undefined) {
    for (const [index, step] of (scenario.failure?.replacement ?? []).entries()) {
      numbers.set(step.id, replanFirst + index);
    }
  }
  return numbers;
}

function taskLines(steps: readonly StepDefinition[], numbers: ReadonlyMap<string, number>, first: number) {
  const lines = steps.map(
    (step, index) => `${first + index}. ${step.tool}(${formatArguments(compilerArgs(step, numbers))})`,
  );
  return [...lines, `${first + steps.length}. join()${END_OF_PLAN}`];
}

/** The first plan, as LLMCompiler's planner writes it: one task a line, then `join()`. */
export function compilerPlanText(scenario: Scenario): string {
  return taskLines(scenario.steps, taskNumbers(scenario), 1).join("\n");
}

/** The replan after the failure: a thought, then the replacement steps numbered from `first`. */
export function compilerReplanText(scenario: Scenario, first: number): string {
  const failure = scenario.failure;
  if (!failure) return `${first}. join()${END_OF_PLAN}`;
  const lines = taskLines(failure.replacement, taskNumbers(scenario, first), first);
  return [`Thought: ${JOINER_TEXT.replanThought(failure.stepId)}`, ...lines].join("\n");
}

/** The joiner's decision: replan after a failed task (once), else the final answer. */
export function compilerJoinerReply(scenario: Scenario, failed: boolean, replanned: boolean) {
  const failure = scenario.failure;
  if (failed && !replanned && failure) {
    return {
      thought: JOINER_TEXT.failedThought(failure.stepId),
      action: { feedback: JOINER_TEXT.feedback(failure.stepId) },
    };
  }
  return { thought: JOINER_TEXT.doneThought, action: { response: finalAnswerText(scenario) } };
}

/**
 * The script for LLMCompiler on a scenario (tool scenarios only: every step is a tool call).
 *
 * @param scenario - the scenario.
 */
export function llmCompilerScript(scenario: Scenario): Script {
  return async (request) => {
    const role = roleOf(request);
    if (role === "planner") return compilerPlanText(scenario);
    if (role === "replanner") {
      const first = Number(/Begin counting at : (\d+)/.exec(request.text)?.[1]);
      if (!Number.isInteger(first)) return new Error("scripted model: the replan has no 'Begin counting at'");
      return compilerReplanText(scenario, first);
    }
    if (role !== "answer") return new Error(`scripted model: LLMCompiler makes no ${role} call`);
    const failed = request.messages.some(
      (message) => message.getType() === "function" && message.text.startsWith("ERROR("),
    );
    const replanned = request.text.includes("Context from last attempt");
    return { structured: compilerJoinerReply(scenario, failed, replanned) };
  };
}
