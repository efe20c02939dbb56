/**
 * The check that a step's result can be saved: results are written as JSON (`serializeRun`,
 * LangGraph's checkpointers), and one that cannot be would make every save throw.
 *
 * @module
 */
import { errorMessage } from "./errors.js";

/**
 * Why `value` cannot be written as JSON (a BigInt, a cycle, a throwing `toJSON`), or undefined
 * when it can.
 */
export function jsonProblem(value: unknown): string | undefined {
  try {
    JSON.stringify(value);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}
