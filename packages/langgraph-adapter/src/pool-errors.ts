// A database pool that outlives its database: node-postgres reports a dropped connection as an
// 'error' event, on the pool for an idle client and on the client itself for one in use (the pool
// listens only to idle ones; PostgresSaver holds a client across the queries of a transaction).
// With no listener, Node ends the process. This adds both listeners; the query that was using the
// connection still fails, and the run reports it (`checkpoint-failed`).
import { checkOptions, rules } from "@replan/core/internal";
import { PlanExecuteError } from "./errors.js";

/** The arguments of {@link handlePoolErrors}. */
const poolRules = {
  pool: rules.required(
    rules.custom(
      "be a pg.Pool (an object with on(event, listener))",
      (value): value is ErrorEmittingPool =>
        typeof value === "object" && value !== null && typeof (value as { on?: unknown }).on === "function",
    ),
  ),
  onError: rules.func(),
} as const;

/** What {@link handlePoolErrors} needs of a pool: a `pg.Pool` (or anything with its events). */
export interface ErrorEmittingPool {
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * Keeps a `pg.Pool` from ending the process when its database goes away: it listens to `'error'`
 * on the pool (idle connections) and on every client it connects (connections in use, which the
 * pool does not watch). `PostgresSaver.fromConnString` makes a pool with neither: make the pool
 * yourself and pass it to `new PostgresSaver(pool)`.
 *
 * @param pool - a `pg.Pool`; give it bounded waits too (`connectionTimeoutMillis`, `query_timeout`).
 * @param onError - called with each dropped connection's error (the failed query rejects anyway).
 * @default onError does nothing
 * @returns the same pool.
 * @throws {PlanExecuteError} `invalid-options` when `pool` has no `on` method or `onError` is not a function.
 * @example
 * ```ts
 * const pool = handlePoolErrors(new pg.Pool({ connectionString, connectionTimeoutMillis: 10_000, query_timeout: 30_000 }));
 * const checkpointer = new PostgresSaver(pool);
 * ```
 */
export function handlePoolErrors<Pool extends ErrorEmittingPool>(
  pool: Pool,
  onError: (error: Error) => void = () => {},
): Pool {
  checkOptions({ pool, onError }, poolRules, {
    where: "handlePoolErrors",
    error: (message) => new PlanExecuteError("invalid-options", message),
  });
  const report = (error: Error) => onError(error);
  const on = pool.on.bind(pool) as (event: string, listener: (...args: unknown[]) => void) => unknown;
  on("error", (error) => report(error as Error));
  on("connect", (client) => {
    (client as { on(event: "error", listener: (error: Error) => void): unknown }).on("error", report);
  });
  return pool;
}
