/**
 * Which run statuses are final.
 *
 * @module
 */

const TERMINAL = new Set(["completed", "failed", "cancelled", "budget-exceeded"]);

/**
 * Whether a run status is final.
 *
 * @param status - a run status.
 * @example
 * ```ts
 * isFinalStatus("completed"); // true
 * isFinalStatus("executing"); // false
 * ```
 */
export function isFinalStatus(status: string): boolean {
  return TERMINAL.has(status);
}
