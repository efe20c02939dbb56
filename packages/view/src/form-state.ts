/**
 * What the person is doing in the page, kept across renders: the text of the fields (the reject
 * reason, an open edit form), the focused field and its selection, and the scroll positions.
 *
 * A field is known by its key within the step's edit form it belongs to: the edit form of another
 * step has fields of the same names, and must not take this one's text, focus or selection.
 *
 * @module
 */

type Field = HTMLInputElement | HTMLTextAreaElement;

/** The state of the page's fields and scroll positions before a render. */
export interface FormState {
  values: Map<string, string | boolean>;
  focusKey: string | undefined;
  focused: Field | null;
  graphScroll: { left: number; top: number } | undefined;
  detailsScroll: number | undefined;
}

/**
 * A form field's identity across renders: its key within the step's edit form it belongs to.
 *
 * @param field - an element with a `data-key`.
 */
export function fieldKey(field: HTMLElement): string {
  const form = field.closest<HTMLElement>("[data-edit-form]")?.dataset.editForm ?? "";
  return `${form}\u0000${field.dataset.key}`;
}

/** Reads the fields, focus and scroll positions of `root` before it is drawn again. */
export function captureFormState(root: ShadowRoot): FormState {
  const focused = root.activeElement as Field | null;
  const values = new Map<string, string | boolean>();
  for (const field of root.querySelectorAll<Field>("[data-key]")) {
    values.set(
      fieldKey(field),
      field.type === "checkbox" ? (field as HTMLInputElement).checked : field.value,
    );
  }
  const graph = root.querySelector(".graph");
  return {
    values,
    focusKey: focused?.dataset.key ? fieldKey(focused) : undefined,
    focused,
    graphScroll: graph ? { left: graph.scrollLeft, top: graph.scrollTop } : undefined,
    detailsScroll: root.querySelector(".details")?.scrollTop,
  };
}

/**
 * Puts the fields' text, the focus and selection and the scroll positions back after a render.
 * A field drawn fresh (`data-fresh`: a form opened for another step) keeps what it was drawn with.
 */
export function restoreFormState(root: ShadowRoot, state: FormState): void {
  let again: HTMLInputElement | undefined;
  for (const field of root.querySelectorAll<HTMLInputElement>("[data-key]")) {
    const key = fieldKey(field);
    if (key === state.focusKey) again = field;
    const saved = state.values.get(key);
    if (saved === undefined || field.dataset.fresh === "true") continue;
    if (field.type === "checkbox") field.checked = saved as boolean;
    else field.value = saved as string;
  }
  if (state.focusKey) restoreFocus(again, state.focused);
  const graph = root.querySelector(".graph");
  if (graph && state.graphScroll) {
    graph.scrollLeft = state.graphScroll.left;
    graph.scrollTop = state.graphScroll.top;
  }
  const details = root.querySelector(".details");
  if (details && state.detailsScroll !== undefined) details.scrollTop = state.detailsScroll;
}

function restoreFocus(again: HTMLInputElement | undefined, focused: Field | null): void {
  again?.focus();
  if (again && focused && "selectionStart" in focused && again.type !== "checkbox") {
    try {
      again.setSelectionRange(focused.selectionStart, focused.selectionEnd);
    } catch {
      // not a text field
    }
  }
}
