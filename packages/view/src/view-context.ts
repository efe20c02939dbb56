/**
 * What the element's renderers read (the run, the connection, the selection, the edits in
 * progress) and what they may do (their buttons' actions). The element builds one per render.
 *
 * @module
 */
import type { ApprovalDraft, StepSpec } from "./approval-draft.js";
import type { Layout } from "./layout.js";
import type { ViewModel, ViewStep } from "./model.js";
import type { Link } from "./run-client.js";

/** The approval answer the element produces (the adapter's `PlanApproval`). */
export type ElementApprovalAnswer =
  | { action: "approve" }
  | { action: "edit"; steps: StepSpec[] }
  | { action: "reject"; reason?: string };

/** What the renderers' buttons and fields do. */
export interface ViewActions {
  /** Selects step `id`, or unselects it when it is selected. */
  select(id: string): void;
  /** Shows a revision (`null`: the latest). */
  showRevision(revision: number | null): void;
  /** Connects to the run again. */
  reconnect(): void;
  /** Sends an approval answer. */
  answer(answer: ElementApprovalAnswer): void;
  /** Keeps the edit of a step. */
  applyEdit(id: string, spec: StepSpec): void;
  /** Shows why an edit was not applied. */
  refuseEdit(message: string): void;
  /** Drops the edit of a step. */
  undoEdit(id: string): void;
  /** Drops every edit. */
  discardEdits(): void;
  /** Rejects the plan, with the reason typed so far. */
  reject(): void;
  /** Keeps the reject reason typed so far. */
  setReason(text: string): void;
  /** Whether the edit form drawn now, for step `id`, is new (the last one drawn was another step's). */
  openForm(id: string): boolean;
}

/** The element's state, for one render. */
export interface ViewContext {
  model: ViewModel;
  link: Link;
  linkMessage: string;
  selected: string | null;
  draft: ApprovalDraft;
  formError: string;
  approvalError: string;
  /** Whether an answer is being sent. */
  sending: boolean;
  /** The time now on the server's clock. */
  now(): number;
  /** The layout of these steps (cached while their ids and dependencies stay). */
  layout(steps: ViewStep[]): Layout;
  actions: ViewActions;
}
