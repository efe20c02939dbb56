/**
 * The top of the view: the header (goal, status, counts, elapsed time, usage), the connection's
 * banner, the run's outcome and its latest notices.
 *
 * @module
 */
import { cut, formatDuration, h } from "./dom.js";
import type { ViewModel, ViewStep } from "./model.js";
import { isFinalStatus } from "./run-status.js";
import type { ViewContext } from "./view-context.js";

/** The header: the goal, the status badge and a line of facts about the run. */
export function renderHeader(context: ViewContext, steps: ViewStep[]): HTMLElement {
  const { model, link } = context;
  const status = link === "missing" ? "missing" : model.status;
  return h(
    "header",
    { part: "header" },
    h("h1", { title: model.goal ?? "" }, model.goal ?? (link === "missing" ? "Run not found" : "replan run")),
    h("span", { class: `badge ${status}`, part: "status", "data-status": status }, status),
    h("div", { class: "meta" }, ...facts(context, steps)),
  );
}

function facts({ model, now }: ViewContext, steps: ViewStep[]): HTMLElement[] {
  const counts = new Map<string, number>();
  for (const step of steps) counts.set(step.status, (counts.get(step.status) ?? 0) + 1);
  const meta: HTMLElement[] = [];
  if (steps.length > 0) {
    meta.push(
      h(
        "span",
        {},
        `${steps.length} step${steps.length === 1 ? "" : "s"}: ${[...counts].map(([name, count]) => `${count} ${name}`).join(", ")}`,
      ),
    );
  }
  if (model.startedAt !== undefined && (model.endedAt !== undefined || !model.streamEnded)) {
    const end = model.endedAt ?? (isFinalStatus(model.status) ? undefined : now());
    if (end !== undefined)
      meta.push(h("span", { "data-elapsed": "" }, formatDuration(end - model.startedAt)));
  }
  if (model.usage) {
    meta.push(
      h(
        "span",
        {},
        `${model.usage.llmCalls} LLM calls, ${model.usage.promptTokens + model.usage.completionTokens} tokens`,
      ),
    );
  }
  if (model.runId) meta.push(h("span", {}, `run ${model.runId}`));
  return meta;
}

/** The banner: connecting, a missing run, a lost connection, a cut stream, a replan under way. */
export function renderBanner({ model, link, linkMessage, actions }: ViewContext): HTMLElement | null {
  switch (link) {
    case "connecting":
      return h("div", { class: "banner info", role: "status" }, "Connecting to the run…");
    case "missing":
      return h(
        "div",
        { class: "banner error", role: "alert", "data-banner": "missing" },
        h("span", { class: "grow" }, `This run does not exist: ${linkMessage}.`),
      );
    case "lost":
      return h(
        "div",
        { class: "banner error", role: "alert", "data-banner": "lost" },
        h("span", { class: "grow" }, linkMessage),
        h("button", { onclick: () => actions.reconnect() }, "Reconnect"),
      );
    default:
      return streamBanner(model);
  }
}

function streamBanner(model: ViewModel): HTMLElement | null {
  if (model.streamEnded && !isFinalStatus(model.status)) {
    return h(
      "div",
      { class: "banner warning", role: "alert", "data-banner": "cut" },
      h(
        "span",
        { class: "grow" },
        `The event stream ended before the run did (last known status: ${model.status}). What is shown is its last known state.`,
      ),
    );
  }
  if (model.replanning) {
    return h(
      "div",
      { class: "banner info", role: "status" },
      `Replanning: ${cut(model.replanning.message || model.replanning.trigger, 300)}`,
    );
  }
  return null;
}

/** The run's outcome, once it ended (or its stream did). */
export function renderOutcome(model: ViewModel): HTMLElement | null {
  if (!model.outcome || !(isFinalStatus(model.status) || model.streamEnded)) return null;
  return h(
    "div",
    { class: "outcome", part: "outcome" },
    h("b", {}, `${model.outcome.status}: `),
    model.outcome.reason,
  );
}

/** The latest notices (info ones only while there are few). */
export function renderNotices(model: ViewModel): HTMLElement | null {
  const notices = model.notices
    .filter((notice) => notice.level !== "info" || model.notices.length < 8)
    .slice(-6);
  if (notices.length === 0) return null;
  return h(
    "div",
    { class: "notices", part: "notices" },
    ...notices.map((notice) => h("div", { class: notice.level }, notice.text)),
  );
}
