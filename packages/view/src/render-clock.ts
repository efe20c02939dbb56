/**
 * The texts that count time while a run goes on (its elapsed time, each running step's time),
 * updated in place between renders: a full render would drop a selection or an open dropdown four
 * times a second.
 *
 * @module
 */
import { formatDuration } from "./dom.js";
import type { ViewModel, ViewStep } from "./model.js";
import { statusText } from "./render-graph.js";
import { isFinalStatus } from "./run-status.js";

/** Updates the elapsed time of the run and of the running `steps` drawn in `root`. */
export function refreshClocks(
  root: ShadowRoot,
  model: ViewModel,
  steps: ViewStep[],
  selected: string | null,
  now: number,
): void {
  const elapsed = root.querySelector("[data-elapsed]");
  if (
    elapsed &&
    model.startedAt !== undefined &&
    model.endedAt === undefined &&
    !model.streamEnded &&
    !isFinalStatus(model.status)
  ) {
    elapsed.textContent = formatDuration(now - model.startedAt);
  }
  for (const step of steps) {
    if (step.status !== "running") continue;
    const node = root.querySelector(`[data-step="${CSS.escape(step.id)}"] [data-state]`);
    if (node?.firstChild?.nodeType === Node.TEXT_NODE) node.firstChild.textContent = statusText(step, now);
    if (step.id === selected && step.startedAt !== undefined) {
      const duration = root.querySelector("[data-duration]");
      if (duration) duration.textContent = formatDuration(now - step.startedAt);
    }
  }
}
