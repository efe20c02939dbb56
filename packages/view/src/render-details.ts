/**
 * The details of the selected step: its facts (tool, effect, dependencies, attempts, timings,
 * revision, idempotency key), its arguments with `${id}` references resolved, its error and
 * result, and its edit form while the plan waits for approval.
 *
 * @module
 */
import { resolveReferences, stepKey } from "@replan/core";
import { formatDuration, h, json } from "./dom.js";
import type { ViewRevision, ViewStep } from "./model.js";
import { renderEditForm } from "./render-edit-form.js";
import type { ViewContext } from "./view-context.js";

/** The details panel of the selected step (or a hint when none is selected). */
export function renderDetails(
  context: ViewContext,
  revision: ViewRevision | undefined,
  steps: ViewStep[],
  latest: boolean,
): HTMLElement {
  const panel = h("aside", { class: "details", part: "details" });
  const step = steps.find((candidate) => candidate.id === context.selected);
  if (!step) {
    const hint =
      steps.length > 0
        ? "Click a step to see its arguments, result, error, attempts, timings and idempotency key."
        : "No step yet.";
    panel.append(h("h2", {}, "Step details"), h("div", { class: "hint" }, hint));
    return panel;
  }
  panel.append(
    h(
      "h2",
      {},
      step.id,
      h("span", { class: `badge ${step.status}`, "data-detail-status": step.status }, step.status),
      h("span", { class: "badge" }, step.kind),
    ),
    h("div", {}, step.description),
    facts(context, step),
  );
  if (step.kind === "tool") panel.append(...argumentSections(step, revision));
  if (step.error) {
    panel.append(
      section(
        "error",
        h("div", { class: "err", "data-error": "" }, `${step.error.code}: ${step.error.message}`),
      ),
    );
  }
  if ("result" in step && step.result !== undefined) {
    panel.append(section("result", h("pre", { "data-result": "" }, json(step.result))));
  }
  if (context.model.approval && latest) panel.append(renderEditForm(context, step, steps));
  return panel;
}

/** The step's facts as a definition list. */
function facts(context: ViewContext, step: ViewStep): HTMLElement {
  const { model } = context;
  const startedAt = model.startedAt;
  const at = (time: number | undefined) =>
    time === undefined
      ? "–"
      : startedAt !== undefined
        ? `+${formatDuration(time - startedAt)}`
        : new Date(time).toLocaleTimeString();
  const duration =
    step.startedAt === undefined
      ? "–"
      : formatDuration(
          (step.endedAt ?? (step.status === "running" ? context.now() : step.startedAt)) - step.startedAt,
        );
  const key = model.runId
    ? stepKey({ runId: model.runId }, step)
    : `(run id unknown):${step.revision}:${step.id}`;
  const rows: Array<[string, Node | string]> = [];
  if (step.kind === "tool") rows.push(["tool", h("code", {}, step.tool ?? "?")]);
  if (typeof step.effect === "string") rows.push(["effect", step.effect]);
  rows.push(["depends on", step.dependsOn.length > 0 ? links(context, step.dependsOn) : "nothing"]);
  rows.push(["attempts", String(step.attempts)]);
  rows.push(["started", at(step.startedAt)]);
  rows.push(["ended", at(step.endedAt)]);
  rows.push(["duration", h("span", { "data-duration": "" }, duration)]);
  rows.push(["revision", String(step.revision)]);
  rows.push(["idempotency key", h("code", { "data-key-value": "" }, key)]);
  return h("dl", {}, ...rows.flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
}

/** A tool step's arguments, as written and with the references resolved from the results so far. */
function argumentSections(step: ViewStep, revision: ViewRevision | undefined): HTMLElement[] {
  const results: Record<string, unknown> = {};
  for (const candidate of revision?.steps ?? []) {
    if (candidate.status === "done" && "result" in candidate) results[candidate.id] = candidate.result;
  }
  let resolved: Node;
  try {
    resolved = h("pre", { "data-resolved": "" }, json(resolveReferences(step.args ?? {}, results)));
  } catch (error) {
    resolved = h(
      "div",
      { class: "hint", "data-resolved": "" },
      `Not resolvable yet: ${(error as Error).message}`,
    );
  }
  return [
    section("arguments", h("pre", { "data-args": "" }, json(step.args ?? {}))),
    section("arguments, references resolved", resolved),
  ];
}

function section(label: string, content: Node): HTMLElement {
  return h("section", {}, h("div", { class: "label" }, label), content);
}

/** Step ids as links that select them. */
function links(context: ViewContext, ids: string[]): HTMLElement {
  const span = h("span", {});
  ids.forEach((id, index) => {
    if (index > 0) span.append(", ");
    span.append(h("a", { onclick: () => context.actions.select(id) }, id));
  });
  return span;
}
