/**
 * The plan's revisions: a bar to step through them, and what the shown revision changed (removed,
 * added, kept) and why.
 *
 * @module
 */
import { cut, h } from "./dom.js";
import type { ViewModel, ViewRevision } from "./model.js";
import type { ViewContext } from "./view-context.js";

/** A button per revision (the shown one active), and whether a replan is under way. */
export function renderRevisionBar(context: ViewContext, shown: ViewRevision | undefined): HTMLElement {
  const { model } = context;
  const buttons = model.revisions.map((revision, index) => {
    const last = index === model.revisions.length - 1;
    return h(
      "button",
      {
        class: revision === shown ? "active" : "",
        "data-revision": revision.revision,
        title: revision.reason ? `replaced: ${revision.reason.message}` : "",
        onclick: () => context.actions.showRevision(last ? null : revision.revision),
      },
      `Revision ${revision.revision}${last ? " (latest)" : ""}`,
    );
  });
  return h(
    "nav",
    { class: "revisions", part: "revisions" },
    h("span", { class: "label" }, "Plan:"),
    ...buttons,
    model.replanning ? h("span", { class: "label" }, "replanning…") : null,
  );
}

/** What `revision` changed from the one before, and why that one was replaced. */
export function renderDiff(model: ViewModel, revision: ViewRevision, latest: boolean): HTMLElement {
  const previous = model.revisions.find((candidate) => candidate.revision === revision.revision - 1);
  const list = (ids: string[]) => (ids.length > 0 ? ids.join(", ") : "none");
  const part = (name: "removed" | "added" | "replaced" | "kept") =>
    h(
      "span",
      { class: name, [`data-${name}`]: revision[name].join(",") },
      h("b", {}, `${name} `),
      list(revision[name]),
    );
  return h(
    "div",
    { class: "diff", part: "diff", "data-diff": revision.revision },
    previous?.reason
      ? h(
          "span",
          { class: "why", title: previous.reason.message },
          h("b", {}, `Why revision ${revision.revision}: `),
          cut(previous.reason.message || previous.reason.trigger, 200),
        )
      : null,
    part("removed"),
    part("added"),
    part("replaced"),
    part("kept"),
    latest ? null : h("span", {}, "(an earlier revision, as it stood when it was replaced)"),
  );
}
