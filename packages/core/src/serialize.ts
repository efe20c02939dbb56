/**
 * JSON round trip of a run's state, to save a run and resume it later.
 *
 * @module
 */
import { type CoreErrorCode, ReplanError } from "./errors.js";
import { type RunState, RunStateSchema } from "./schemas.js";

/**
 * Serializes a run's state to JSON. Step results must be JSON-serializable.
 *
 * @param state - the state, e.g. `result.state` or a state saved from `onEvent`.
 * @example
 * ```ts
 * await writeFile("run.json", serializeRun(result.state));
 * ```
 */
export function serializeRun(state: RunState): string {
  return JSON.stringify(state);
}

/**
 * Reads a run's state back from JSON (a string or already parsed), validating every field.
 * Pass it to `runPlan({ state, ... })` to resume: done steps are not run again, and steps that
 * were running when it was saved are run again.
 *
 * @param json - what {@link serializeRun} wrote.
 * @throws {ReplanError} `invalid-state` when it is not valid JSON or not a run state.
 * @example
 * ```ts
 * const state = parseRun(await readFile("run.json", "utf8"));
 * const result = await runPlan({ state, planner, executor });
 * ```
 */
export function parseRun(json: string | unknown): RunState {
  let value: unknown = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new ReplanError<CoreErrorCode>("invalid-state", "The run state is not valid JSON", {
        cause: error,
      });
    }
  }
  const parsed = RunStateSchema.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join(".") || "state"}: ${issue.message}`)
      .join("; ");
    throw new ReplanError<CoreErrorCode>("invalid-state", `The run state is invalid: ${where}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
