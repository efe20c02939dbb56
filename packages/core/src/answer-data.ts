// A planner's or replanner's answer, read once as plain data before the state machine sees it.
import { ReplanError } from "./errors.js";

/**
 * The answer as plain data: a structured clone, which reads every property once (so a getter or a
 * proxy that throws is found here, not inside a transition, where it would end the run as a
 * driver's bug) and refuses what a plan cannot hold (functions, symbols). The clone is also what
 * the run keeps: the planner cannot change a plan after handing it over.
 *
 * @param value - what the planner gave (a plan, a step, a patch or a patch entry).
 * @throws {ReplanError} `invalid-plan`, retryable (the planner is asked again with the reason),
 *   when it cannot be read.
 */
export function readableAnswer(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return unreadable(reason, error);
  }
}

function unreadable(reason: string, cause: unknown): never {
  throw new ReplanError("invalid-plan", `the answer could not be read as data: ${reason.slice(0, 200)}`, {
    retryable: true,
    cause,
  });
}
