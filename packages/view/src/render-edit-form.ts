/**
 * The edit form of a step of a plan that waits for approval: description, tool, arguments (JSON)
 * and dependencies. "Apply" keeps the edit in the draft; the approval bar sends it.
 *
 * @module
 */
import type { StepSpec } from "./approval-draft.js";
import { h } from "./dom.js";
import type { ViewStep } from "./model.js";
import type { ViewContext } from "./view-context.js";

type Field = HTMLInputElement | HTMLTextAreaElement;

/** The edit form of `step` (one of `steps`, the plan as edited so far). */
export function renderEditForm(context: ViewContext, step: ViewStep, steps: ViewStep[]): HTMLElement {
  // A form drawn for another step than the last one starts from the step, not from the fields
  // the person left in the other step's form.
  const fresh = context.actions.openForm(step.id);
  const others = steps.filter((candidate) => candidate.id !== step.id);
  const form = h("div", { class: "form", "data-edit-form": step.id });
  const mark = (element: HTMLElement) => {
    if (fresh) element.dataset.fresh = "true";
    return element;
  };
  const apply = () => {
    const edit = readEdit(form, step, others);
    if (typeof edit === "string") context.actions.refuseEdit(edit);
    else context.actions.applyEdit(step.id, edit);
  };
  form.append(
    h("div", { class: "label" }, h("b", {}, "Edit this step")),
    h(
      "label",
      {},
      "description",
      mark(h("input", { "data-key": "edit-description", value: step.description })),
    ),
    h(
      "label",
      {},
      "tool (empty for an agent step)",
      mark(h("input", { "data-key": "edit-tool", value: step.kind === "tool" ? (step.tool ?? "") : "" })),
    ),
    h(
      "label",
      {},
      "arguments (JSON; ${id} and ${id.path} refer to results)",
      mark(h("textarea", { "data-key": "edit-args", value: JSON.stringify(step.args ?? {}, null, 2) })),
    ),
    dependencies(step, others, mark),
    context.formError
      ? h("div", { class: "error", role: "alert", "data-form-error": "" }, context.formError)
      : "",
    h(
      "div",
      { class: "row" },
      h("button", { onclick: apply, "data-action": "apply-edit" }, "Apply to the plan"),
      context.draft.has(step.id)
        ? h("button", { onclick: () => context.actions.undoEdit(step.id) }, "Undo this edit")
        : null,
    ),
  );
  return form;
}

/** A checkbox per other step: whether `step` depends on it. */
function dependencies(
  step: ViewStep,
  others: ViewStep[],
  mark: (element: HTMLElement) => HTMLElement,
): HTMLElement {
  const boxes =
    others.length === 0
      ? [h("span", { class: "hint" }, "no other step")]
      : others.map((other) =>
          h(
            "label",
            {},
            mark(
              h("input", {
                type: "checkbox",
                "data-key": `dep-${other.id}`,
                checked: step.dependsOn.includes(other.id),
              }),
            ),
            other.id,
          ),
        );
  return h(
    "div",
    { class: "deps-block" },
    h("div", { class: "label" }, "depends on"),
    h("div", { class: "deps" }, ...boxes),
  );
}

/** The step as the form says it, or why the form cannot be applied. */
function readEdit(form: HTMLElement, step: ViewStep, others: ViewStep[]): StepSpec | string {
  const field = (key: string) => form.querySelector<Field>(`[data-key="${key}"]`)!;
  const description = field("edit-description").value.trim();
  const tool = field("edit-tool").value.trim();
  let args: unknown = {};
  const argsText = field("edit-args").value.trim();
  if (tool) {
    try {
      args = argsText ? JSON.parse(argsText) : {};
    } catch (error) {
      return `The arguments are not JSON: ${(error as Error).message}`;
    }
    if (args === null || typeof args !== "object" || Array.isArray(args)) {
      return 'The arguments must be a JSON object, e.g. {"warehouse": "east"}.';
    }
  }
  const dependsOn = others
    .filter(
      (other) => form.querySelector<HTMLInputElement>(`[data-key="dep-${CSS.escape(other.id)}"]`)?.checked,
    )
    .map((other) => other.id);
  const spec: StepSpec = { id: step.id, kind: tool ? "tool" : "agent", description, dependsOn };
  if (tool) {
    spec.tool = tool;
    spec.args = args;
  }
  return spec;
}
