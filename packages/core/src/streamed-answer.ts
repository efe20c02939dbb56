/**
 * Reading a planner's stream of steps, or a replanner's stream of patch entries, into the run's
 * inputs: each item sent the moment it arrives (`plan-step`, `replan-step`), then the end
 * (`plan-end`, `replan-end`); or, with streaming off, collected into one `plan` or `replan`.
 *
 * @module
 */
import { type PatchEntryInput, patchOf } from "./patch-entry.js";
import { readPlanStepStream } from "./plan-stream-reader.js";
import type { PatchEntryStream, PlanStepStream } from "./run-functions.js";
import type { RunInput } from "./run-messages.js";
import type { Usage } from "./schemas.js";

/** An input without its time (the reader's caller stamps it). */
type Unstamped = RunInput extends infer I ? (I extends RunInput ? Omit<I, "at"> : never) : never;

/** How a stream is read. */
export interface StreamedAnswerOptions {
  /** Cuts the reading (the iterator is closed). */
  signal: AbortSignal;
  /** The call's usage so far, sent with the end. */
  usage: Usage;
  /** Whether each item is sent as it arrives (`planStreaming`). */
  streaming: boolean;
  /** The run's `maxSteps`: a plan is read to `maxSteps` + 1 steps, a patch to 2 x `maxSteps` + 1 entries. */
  maxSteps: number;
  /** Sends an input to the run. */
  send: (input: Unstamped) => void;
}

/**
 * Reads a planner's (`plan`) or a replanner's (`replan`) stream to its end and sends it to the
 * run. A replanner's stream may return the whole patch (an async generator's `return`): it is
 * the end's `output`, cross-checked, and carries the patch's reason.
 *
 * @param kind - whose stream it is.
 * @param stream - the stream.
 * @param options - see {@link StreamedAnswerOptions}.
 * @throws what the stream throws, or the signal's reason.
 */
export async function readStreamedAnswer(
  kind: "plan" | "replan",
  stream: PlanStepStream | PatchEntryStream,
  options: StreamedAnswerOptions,
): Promise<void> {
  const { signal, usage, streaming, maxSteps, send } = options;
  let returned: unknown;
  const items = await readPlanStepStream(stream, {
    signal,
    limit: kind === "plan" ? maxSteps + 1 : 2 * maxSteps + 1,
    onStep: streaming ? (output) => send({ type: `${kind}-step`, output }) : undefined,
    onReturn: (value) => {
      returned = value;
    },
  });
  if (streaming) {
    const output = kind === "replan" && returned !== undefined ? { output: returned } : {};
    send({ type: `${kind}-end`, ...output, usage });
    return;
  }
  if (kind === "plan") {
    send({ type: "plan", output: items, usage });
    return;
  }
  const reason = (returned as { reason?: unknown } | undefined)?.reason;
  const output =
    returned ?? patchOf(items as PatchEntryInput[], typeof reason === "string" ? reason : undefined);
  send({ type: "replan", output, usage });
}
