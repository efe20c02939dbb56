// Progress events of a run, on LangGraph's `custom` stream.
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { RunEvent } from "@replan/core";

/**
 * Publishes progress events on LangGraph's `custom` stream (nothing when no writer listens).
 *
 * @param config - the node's config (its `writer`).
 * @param events - the events, in order.
 */
export function publish(config: LangGraphRunnableConfig | undefined, events: RunEvent[]): void {
  const writer = config?.writer;
  if (!writer) return;
  for (const event of events) writer(event);
}
