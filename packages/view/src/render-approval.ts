/**
 * The approval bar of a plan that waits for approval: approve (with the edits, if any), discard
 * the edits, or reject with a reason.
 *
 * @module
 */
import { h } from "./dom.js";
import { forecastText } from "./forecast-text.js";
import type { ViewContext } from "./view-context.js";

/** The approval bar. */
export function renderApprovalBar(context: ViewContext): HTMLElement {
  const { model, draft, actions, sending } = context;
  const edits = draft.size;
  const approve = () => {
    if (edits === 0) actions.answer({ action: "approve" });
    else actions.answer({ action: "edit", steps: draft.planOf(model.approval?.plan.steps ?? []) });
  };
  const error = context.approvalError || model.approval?.error;
  const plural = edits > 1 ? "s" : "";
  return h(
    "div",
    { class: "approval", part: "approval", "data-approval": "" },
    h("div", { class: "title" }, "This plan waits for your approval: nothing runs until you answer."),
    h(
      "div",
      { class: "hint" },
      edits > 0
        ? `${edits} step${plural} edited. Approving sends the edited plan; it is checked as the run checks it.`
        : "Click a step to see it, or to edit its description, tool, arguments and dependencies.",
    ),
    error ? h("div", { class: "error", role: "alert", "data-approval-error": "" }, error) : null,
    model.approval?.forecast !== undefined
      ? h("div", { class: "hint", "data-forecast": "" }, forecastText(model.approval.forecast))
      : null,
    h(
      "div",
      { class: "row" },
      h(
        "button",
        { class: "primary", onclick: approve, disabled: sending, "data-action": "approve" },
        edits > 0 ? `Approve with ${edits} edit${plural}` : "Approve",
      ),
      edits > 0
        ? h("button", { onclick: () => actions.discardEdits(), "data-action": "discard" }, "Discard edits")
        : null,
      h("input", {
        placeholder: "Reason for rejecting (optional)",
        "data-key": "reject-reason",
        "aria-label": "reason for rejecting",
        oninput: (event: Event) => actions.setReason((event.target as HTMLInputElement).value),
      }),
      h(
        "button",
        { class: "danger", onclick: () => actions.reject(), disabled: sending, "data-action": "reject" },
        "Reject",
      ),
    ),
  );
}
