// The steps of a planner's answer as it streams: the pieces of the plan's text are taken from each
// chunk (the plan tool call's argument deltas for function calling, the content deltas otherwise),
// read incrementally in the plan's format, and each step is handed over as soon as it is complete
// and valid on its own.
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { AIMessageChunk } from "@langchain/core/messages";
import { createPlanParser, type StepSpecInput } from "@replan/core";
import type { PlanFormat, StructuredOutputMethod } from "./defaults.js";
import { JsonStepScanner } from "./json-step-scanner.js";
import { ModelPlanSchema, normalizePlan, toStepSpecs } from "./parse.js";

/**
 * Whether a chat model streams its answers (it implements `_streamResponseChunks` and streaming is
 * not disabled): only then does the planner dispatch steps while the plan is written.
 *
 * @param model - the chat model.
 */
export function modelStreams(model: BaseChatModel): boolean {
  const candidate = model as unknown as { _streamResponseChunks?: unknown; disableStreaming?: boolean };
  return (
    typeof candidate._streamResponseChunks === "function" &&
    candidate._streamResponseChunks !== BaseChatModel.prototype._streamResponseChunks &&
    candidate.disableStreaming !== true
  );
}

/** One step of the adapter's JSON plan shape, as core step spec; undefined when it does not validate. */
export function modelStepSpec(value: unknown): StepSpecInput | undefined {
  const normalized = normalizePlan({ steps: [value] });
  const parsed = ModelPlanSchema.safeParse(normalized);
  return parsed.success ? toStepSpecs(parsed.data)[0] : undefined;
}

/** Reads one attempt's text into steps. */
interface StepReader {
  push(delta: string): StepSpecInput[];
}

function readerOf(format: PlanFormat): StepReader {
  if (format === "compact") {
    const parser = createPlanParser({ format: "compact" });
    return { push: (delta) => parser.push(delta) };
  }
  const scanner = new JsonStepScanner();
  return {
    push: (delta) =>
      scanner.push(delta).flatMap((value) => {
        const spec = modelStepSpec(value);
        return spec ? [spec] : [];
      }),
  };
}

/**
 * The piece of the plan's text that a chunk carries. With function calling, only the plan tool's
 * call is read: a call's name comes with its first piece, the later pieces carry only its index,
 * so `names` remembers each index's name (a call to another tool is never read as the plan; the
 * answer's final parse reads a lone call to another tool, as an unstreamed answer is read).
 */
function deltaOf(
  chunk: AIMessageChunk,
  method: StructuredOutputMethod | "text",
  toolName: string,
  names: Map<number, string>,
): string {
  if (method !== "functionCalling") return typeof chunk.content === "string" ? chunk.content : chunk.text;
  let delta = "";
  for (const piece of chunk.tool_call_chunks ?? []) {
    const index = piece.index ?? 0;
    if (piece.name) names.set(index, piece.name);
    if (names.get(index) === toolName) delta += piece.args ?? "";
  }
  return delta;
}

/**
 * Makes the chunk handler of a streamed plan call: each chunk's piece of the plan is read in
 * `format`, and `onStep` gets each step as it completes. A transport retry (a new `attempt`) starts
 * a fresh reader. Never throws: a reader's failure only stops the streaming (the final parse of the
 * whole answer reports what was wrong).
 *
 * @param options - the plan's format, how it is asked for, the plan tool's name, and `onStep`.
 */
export function planChunkHandler(options: {
  format: PlanFormat;
  method: StructuredOutputMethod | "text";
  toolName: string;
  onStep: (spec: StepSpecInput) => void;
}): (chunk: AIMessageChunk, attempt: number) => void {
  let reader: StepReader | undefined;
  let readerAttempt = 0;
  let broken = false;
  let names = new Map<number, string>();
  return (chunk, attempt) => {
    if (attempt !== readerAttempt) {
      reader = readerOf(options.format);
      readerAttempt = attempt;
      broken = false;
      names = new Map();
    }
    if (broken) return;
    try {
      const delta = deltaOf(chunk, options.method, options.toolName, names);
      if (delta === "") return;
      for (const spec of reader!.push(delta)) options.onStep(spec);
    } catch {
      broken = true;
    }
  };
}
