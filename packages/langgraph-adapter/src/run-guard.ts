// What createPlanExecuteAgent shares with the nodes of one run, through `configurable`.

/** Where createPlanExecuteAgent puts the {@link RunGuard} of a run in `configurable`. */
export const RUN_GUARD = "__replan_run_guard";

/** What createPlanExecuteAgent shares with the executor node for one run. */
export interface RunGuard {
  /** The caller's signal (LangGraph gets another, aborted once this node has saved what ended). */
  signal: AbortSignal | undefined;
  /** Executor nodes of the run that are running: each settles once it has stopped and saved. */
  nodes: Set<Promise<void>>;
  /**
   * The planner's PlanExecuteError when it gave up: the graph then ends normally and the agent
   * throws this once the stream has delivered every event (LangGraph drops the stream's queued
   * chunks when a node throws, the planner's run-end among them).
   */
  failure?: unknown;
}
