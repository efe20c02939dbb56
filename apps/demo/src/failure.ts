/**
 * How a run that threw ends: quietly when the reader of stdout went away, with exit 130 and a hint
 * when it was cancelled, else with the error's exit code and a message for people.
 *
 * @module
 */
import { PlanExecuteError } from "@replan/langgraph";
import { EXIT } from "./args.js";
import { ConfigError, UsageError } from "./errors.js";
import { describeModelError } from "./model.js";
import type { Output, View } from "./view.js";
import type { WebView } from "./web.js";

/** What a failed run is told to. */
export interface Failure {
  /** The view (closed here). */
  view: View;
  /** Where the message goes. */
  stderr: Output;
  /** Writes the `{"type":"result",...}` line in JSON mode (nothing otherwise). */
  result(fields: Record<string, unknown>): void;
  /** The web view, with `--web`: it shows that the run stopped. */
  web: WebView | undefined;
  /** Whether the reader of stdout went away. */
  stdoutClosed: boolean;
  /** Whether the run was cancelled (Ctrl-C, or a closed stdout). */
  cancelled: boolean;
  /** `--thread`, for the hint on how to resume. */
  thread: string | undefined;
  /** The model's name and server, to explain a model error. */
  model: { model: string; baseURL: string | undefined };
}

/**
 * Ends a run that threw.
 *
 * @param error - what it threw.
 * @param failure - where to tell it, and how the run was stopped.
 * @returns the exit code.
 * @example
 * ```ts
 * catch (error) { return endFailedRun(error, failure); }
 * ```
 */
export function endFailedRun(error: unknown, failure: Failure): number {
  const { view, stderr, result } = failure;
  if (failure.stdoutClosed) {
    view.close();
    return EXIT.completed; // the reader has what it wanted
  }
  if (failure.cancelled) {
    const hint =
      failure.thread !== undefined
        ? ` Resume with the same --thread ${failure.thread}.`
        : " Pass --thread <id> to make a run resumable.";
    view.close();
    stderr.write(`\ncancelled (Ctrl-C): steps in flight were stopped.${hint}\n`);
    result({ status: "cancelled", reason: "cancelled with Ctrl-C", exitCode: EXIT.cancelled });
    return EXIT.cancelled;
  }
  const { code, message } = classify(error, failure.model);
  failure.web?.event({
    type: "view-notice",
    at: Date.now(),
    level: "error",
    text: `the run stopped: ${message}`,
  });
  view.close();
  stderr.write(`error: ${message}\n`);
  result({ status: "error", reason: message, exitCode: code });
  return code;
}

/**
 * The exit code and message of an error that ended the demo: the demo's own errors by their code,
 * a model's failure in plain words, a `PlanExecuteError` with its code, anything else with its stack.
 */
function classify(error: unknown, model: Failure["model"]): { code: number; message: string } {
  if (UsageError.isInstance(error) || ConfigError.isInstance(error))
    return { code: EXIT[error.code], message: error.message };
  const modelError = describeModelError(error, model);
  if (modelError) return { code: EXIT.config, message: modelError };
  if (PlanExecuteError.isInstance(error)) {
    const code = error.code === "planner-failed" ? EXIT.config : EXIT.failed;
    return { code, message: `${error.code}: ${error.message}` };
  }
  return { code: EXIT.failed, message: (error as Error)?.stack ?? String(error) };
}
