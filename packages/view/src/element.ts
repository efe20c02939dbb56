/**
 * `<replan-plan-view>`: a framework-free custom element that draws a run's plan as a DAG (left to
 * right), follows its events, steps through its revisions, shows a step's details and answers a
 * plan-approval request. Browser code: bundled with its layout library into
 * `dist/browser/replan-view.js`, which the server helper serves.
 *
 * @module
 */
import { resolveReferences, stepKey } from "@replan/core";
import { criticalPath, type Layout, layoutPlan, NODE_HEIGHT, NODE_WIDTH } from "./layout.js";
import {
  applyEvent,
  emptyModel,
  isFinalStatus,
  type ViewEvent,
  type ViewModel,
  type ViewRevision,
  type ViewStep,
} from "./model.js";
import { STYLES } from "./styles.js";

/** The approval answer the element produces (the adapter's `PlanApproval`). */
export type ElementApprovalAnswer =
  | { action: "approve" }
  | { action: "edit"; steps: Array<Record<string, unknown>> }
  | { action: "reject"; reason?: string };

/** `detail` of the `replan-approval` event. */
export interface ApprovalEventDetail {
  answer: ElementApprovalAnswer;
}

/** `detail` of the `replan-step-select` event. */
export interface StepSelectEventDetail {
  id: string | null;
}

type Link = "idle" | "connecting" | "open" | "paused" | "missing" | "lost" | "closed";

type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** Builds an element; text is always set as text (never parsed as HTML). */
function h(
  tag: string,
  attributes: Attributes = {},
  ...children: Array<Node | string | null | undefined | false>
) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === "class") element.className = String(value);
    else if (name === "value") (element as HTMLInputElement).value = String(value);
    else if (name === "checked") (element as HTMLInputElement).checked = Boolean(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

const SVG = "http://www.w3.org/2000/svg";
const MAX_JSON_CHARS = 20_000;

/** Formats a duration: `340ms`, `1.2s`, `1m 05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m ${String(Math.floor((ms % 60_000) / 1000)).padStart(2, "0")}s`;
}

/** A form field's identity across renders: its key within the step's edit form it belongs to. */
function fieldKey(field: HTMLElement): string {
  const form = field.closest<HTMLElement>("[data-edit-form]")?.dataset.editForm ?? "";
  return `${form}\u0000${field.dataset.key}`;
}

function cut(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function json(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_JSON_CHARS
    ? `${text.slice(0, MAX_JSON_CHARS)}\n… (${text.length} characters in all)`
    : text;
}

/** The step as a planner writes it, for an edited plan. */
function specOf(step: ViewStep): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    id: step.id,
    kind: step.kind,
    description: step.description,
    dependsOn: [...step.dependsOn],
  };
  if (step.kind === "tool") {
    spec.tool = step.tool ?? "";
    spec.args = step.args ?? {};
  }
  return spec;
}

/**
 * The `<replan-plan-view>` element.
 *
 * Attributes: `src` (the run's API URL on a view server, e.g. `/api/runs/abc`: the element reads
 * `src` for the run, `src/events` for its events and posts answers to `src/approval`).
 * Properties: `model` (read-only), `src`, `revision` (the revision shown, `null` for the latest),
 * `selected` (the selected step id). Methods: `feed(event)` / `feedAll(events)` to drive it
 * without a server, `reset()`. Events: `replan-step-select` and `replan-approval` (cancelable;
 * without `src`, or when cancelled, the host sends the answer itself).
 */
export class ReplanPlanView extends HTMLElement {
  static observedAttributes = ["src"];

  #model: ViewModel = emptyModel();
  #root: ShadowRoot;
  #revision: number | null = null;
  #selected: string | null = null;
  #connection: AbortController | undefined;
  #clockOffset = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #frame: ReturnType<typeof setTimeout> | undefined;
  /** The connection's state, shown in the banner. */
  #link: Link = "idle";
  #linkMessage = "";
  /** Edited steps of the plan waiting for approval, by id. */
  #draft = new Map<string, Record<string, unknown>>();
  #draftFor: string | undefined;
  #formError = "";
  #approvalError = "";
  #sending = false;
  #reason = "";
  #layoutCache: { key: string; layout: Layout } | undefined;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
    // While a button is pressed the page is not redrawn: a click whose press and release land on
    // two different drawings of the same button would be lost (events come many times a second).
    this.#root.addEventListener("pointerdown", () => {
      this.#pressedAt = Date.now();
    });
  }

  /** The run as the element knows it. */
  get model(): ViewModel {
    return this.#model;
  }

  /** The run's API URL (the `src` attribute). */
  get src(): string | null {
    return this.getAttribute("src");
  }

  set src(value: string | null) {
    if (value === null) this.removeAttribute("src");
    else this.setAttribute("src", value);
  }

  /** The revision shown; `null` follows the latest. */
  get revision(): number | null {
    return this.#revision;
  }

  set revision(value: number | null) {
    this.#revision = value;
    this.#schedule();
  }

  /** The id of the selected step, or `null`. */
  get selected(): string | null {
    return this.#selected;
  }

  set selected(id: string | null) {
    this.#selected = id;
    this.#formError = "";
    this.#schedule();
  }

  /** Applies one event of the feed (as the server would send it). */
  feed(event: ViewEvent | unknown): void {
    const before = this.#model;
    this.#model = applyEvent(this.#model, event);
    const type = (event as { type?: unknown } | null)?.type;
    if (type === "view-state" && typeof (event as { serverTime?: unknown }).serverTime === "number") {
      this.#clockOffset = (event as { serverTime: number }).serverTime - Date.now();
    }
    if (before.approval !== this.#model.approval) {
      // Edits in progress survive a reconnection (the same request comes again as new objects).
      const request = this.#model.approval ? JSON.stringify(this.#model.approval) : undefined;
      if (request !== this.#draftFor) {
        this.#draft.clear();
        this.#draftFor = request;
        this.#approvalError = "";
      }
    }
    this.#schedule();
  }

  /** Applies events in order. */
  feedAll(events: Iterable<unknown>): void {
    for (const event of events) this.feed(event);
  }

  /** Forgets everything (the connection, if any, stays). */
  reset(): void {
    this.#model = emptyModel();
    this.#revision = null;
    this.#selected = null;
    this.#draft.clear();
    this.#schedule();
  }

  connectedCallback(): void {
    // Running steps count their time: only those texts change (a full render would drop a
    // selection or an open dropdown four times a second).
    this.#timer = setInterval(() => this.#tick(), 250);
    document.addEventListener("visibilitychange", this.#onVisibility);
    document.addEventListener("pointerup", this.#onRelease, true);
    document.addEventListener("pointercancel", this.#onRelease, true);
    if (this.src) void this.#connect();
    else this.#schedule();
  }

  disconnectedCallback(): void {
    clearInterval(this.#timer);
    document.removeEventListener("visibilitychange", this.#onVisibility);
    document.removeEventListener("pointerup", this.#onRelease, true);
    document.removeEventListener("pointercancel", this.#onRelease, true);
    this.#connection?.abort();
  }

  /**
   * A hidden tab lets its event stream go and takes it up again when shown (a new stream starts
   * with the whole state): a browser keeps only 6 connections to one server, and tabs left open
   * in the background must not use them up.
   */
  #onVisibility = (): void => {
    if (!this.src || this.#link === "missing") return;
    if (document.visibilityState === "hidden" && this.#link === "open" && !this.#model.streamEnded) {
      this.#connection?.abort();
      this.#setLink("paused", "");
    } else if (document.visibilityState === "visible" && this.#link === "paused") void this.#connect();
  };

  attributeChangedCallback(name: string, oldValue: string | null, newValue: string | null): void {
    if (name === "src" && oldValue !== newValue && this.isConnected) {
      this.reset();
      if (newValue) void this.#connect();
      else this.#connection?.abort();
    }
  }

  async #connect(): Promise<void> {
    this.#connection?.abort();
    const connection = new AbortController();
    this.#connection = connection;
    const src = this.src!.replace(/\/+$/, "");
    // The model stays until the server sends the state (in the stream's first event).
    this.#setLink(this.#link === "paused" ? "paused" : "connecting", "");
    try {
      const info = await fetch(src, { signal: connection.signal, headers: { accept: "application/json" } });
      if (info.status === 404) {
        const body = (await info.json().catch(() => null)) as { error?: { message?: string } } | null;
        this.#setLink("missing", body?.error?.message ?? "this run does not exist");
        return;
      }
      if (!info.ok) throw new Error(`the server answered ${info.status}`);
      const response = await fetch(`${src}/events`, {
        signal: connection.signal,
        headers: { accept: "text/event-stream" },
      });
      if (!response.ok || !response.body) throw new Error(`the event stream answered ${response.status}`);
      this.#setLink("open", "");
      await this.#read(response.body, connection.signal);
      if (connection.signal.aborted) return;
      if (!this.#model.streamEnded) {
        this.#setLink(
          "lost",
          "The connection to the run was lost before it ended: what is shown is its last known state.",
        );
      } else this.#setLink("closed", "");
    } catch (error) {
      if (connection.signal.aborted) return;
      this.#setLink(
        "lost",
        `Cannot follow the run: ${(error as Error)?.message ?? String(error)}. What is shown is its last known state.`,
      );
    }
  }

  async #read(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || signal.aborted) break;
        buffer += decoder.decode(value, { stream: true });
        let boundary = buffer.indexOf("\n\n");
        while (boundary >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const data = block
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).replace(/^ /, ""))
            .join("\n");
          if (data) {
            let event: unknown;
            try {
              event = JSON.parse(data);
            } catch {
              event = { type: "view-notice", level: "warning", text: "skipped an event that is not JSON" };
            }
            this.feed(event);
          }
          boundary = buffer.indexOf("\n\n");
        }
      }
    } finally {
      reader.releaseLock();
    }
  }

  #setLink(link: Link, message: string): void {
    this.#link = link;
    this.#linkMessage = message;
    this.#schedule();
  }

  #tick(): void {
    if (this.#heldBack && this.#pressedAt !== undefined && Date.now() - this.#pressedAt >= 2_000) {
      this.#heldBack = false; // a release that never came
      this.#schedule();
    }
    if (this.#frame) return; // a full render is coming anyway
    const model = this.#model;
    const now = this.#now();
    const elapsed = this.#root.querySelector("[data-elapsed]");
    if (
      elapsed &&
      model.startedAt !== undefined &&
      model.endedAt === undefined &&
      !model.streamEnded &&
      !isFinalStatus(model.status)
    ) {
      elapsed.textContent = formatDuration(now - model.startedAt);
    }
    const revision = this.#shownRevision();
    if (!revision) return;
    for (const step of this.#stepsShown(revision)) {
      if (step.status !== "running") continue;
      const node = this.#root.querySelector(`[data-step="${CSS.escape(step.id)}"] [data-state]`);
      if (node?.firstChild?.nodeType === Node.TEXT_NODE)
        node.firstChild.textContent = this.#statusText(step, now);
      if (step.id === this.#selected && step.startedAt !== undefined) {
        const duration = this.#root.querySelector("[data-duration]");
        if (duration) duration.textContent = formatDuration(now - step.startedAt);
      }
    }
  }

  #schedule(): void {
    if (this.#frame) return;
    // A timer rather than requestAnimationFrame: a hidden tab still follows the run (the browser
    // slows its timers down), and a burst of events makes one render.
    this.#frame = setTimeout(() => {
      this.#frame = undefined;
      // Held back while a press lasts (at most 2 s); the release draws it.
      if (this.#pressedAt !== undefined && Date.now() - this.#pressedAt < 2_000) this.#heldBack = true;
      else this.#render();
    }, 16);
  }

  #now(): number {
    return Date.now() + this.#clockOffset;
  }

  #shownRevision(): ViewRevision | undefined {
    const revisions = this.#model.revisions;
    if (this.#revision === null) return revisions.at(-1);
    return revisions.find((revision) => revision.revision === this.#revision) ?? revisions.at(-1);
  }

  /** The shown revision's steps, with the pending edits applied while a plan awaits approval. */
  #stepsShown(revision: ViewRevision | undefined): ViewStep[] {
    const steps = revision?.steps ?? [];
    if (!this.#model.approval || revision !== this.#model.revisions.at(-1) || this.#draft.size === 0)
      return steps;
    return steps.map((step) => {
      const edit = this.#draft.get(step.id);
      if (!edit) return step;
      return {
        ...step,
        description: String(edit.description ?? step.description),
        kind: edit.kind === "tool" ? "tool" : "agent",
        tool: typeof edit.tool === "string" ? edit.tool : undefined,
        args: (edit.args as Record<string, unknown> | undefined) ?? undefined,
        dependsOn: (edit.dependsOn as string[]) ?? step.dependsOn,
      } as ViewStep;
    });
  }

  #render(): void {
    const model = this.#model;
    const revision = this.#shownRevision();
    const steps = this.#stepsShown(revision);
    const latest = revision === model.revisions.at(-1);
    const root = this.#root;
    // Keep what the person is typing (the reason, an open edit form) across renders.
    // A field is known by its key within its form: the edit form of another step has fields of
    // the same names, and must not take this one's text, focus or selection.
    const focused = root.activeElement as HTMLInputElement | HTMLTextAreaElement | null;
    const focusKey = focused?.dataset.key ? fieldKey(focused) : undefined;
    const formValues = new Map<string, string | boolean>();
    for (const field of root.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("[data-key]")) {
      formValues.set(
        fieldKey(field),
        field.type === "checkbox" ? (field as HTMLInputElement).checked : field.value,
      );
    }
    const scroll = root.querySelector(".graph");
    const scrollPosition = scroll ? { left: scroll.scrollLeft, top: scroll.scrollTop } : undefined;
    const detailsScroll = root.querySelector(".details")?.scrollTop;

    const fragment = document.createDocumentFragment();
    fragment.append(h("style", {}, STYLES));
    fragment.append(this.#header(model, steps));
    const banner = this.#banner(model);
    if (banner) fragment.append(banner);
    if (model.approval && this.#link !== "missing") fragment.append(this.#approvalBar(model));
    if (model.outcome && (isFinalStatus(model.status) || model.streamEnded)) {
      fragment.append(
        h(
          "div",
          { class: "outcome", part: "outcome" },
          h("b", {}, `${model.outcome.status}: `),
          model.outcome.reason,
        ),
      );
    }
    const notices = model.notices
      .filter((notice) => notice.level !== "info" || model.notices.length < 8)
      .slice(-6);
    if (notices.length > 0) {
      fragment.append(
        h(
          "div",
          { class: "notices", part: "notices" },
          ...notices.map((n) => h("div", { class: n.level }, n.text)),
        ),
      );
    }
    if (model.revisions.length > 1 || model.replanning) fragment.append(this.#revisionBar(model, revision));
    if (revision && revision.revision > 0) fragment.append(this.#diff(revision, latest));
    const body = h("div", { class: "body" });
    body.append(this.#graph(revision, steps, latest));
    body.append(this.#details(revision, steps, latest));
    fragment.append(body);
    root.replaceChildren(fragment);

    let again: HTMLInputElement | undefined;
    for (const field of root.querySelectorAll<HTMLInputElement>("[data-key]")) {
      const key = fieldKey(field);
      if (key === focusKey) again = field;
      const saved = formValues.get(key);
      if (saved === undefined || field.dataset.fresh === "true") continue;
      if (field.type === "checkbox") field.checked = saved as boolean;
      else field.value = saved as string;
    }
    if (focusKey) {
      again?.focus();
      if (again && focused && "selectionStart" in focused && again.type !== "checkbox") {
        try {
          again.setSelectionRange(focused.selectionStart, focused.selectionEnd);
        } catch {
          // not a text field
        }
      }
    }
    const graph = root.querySelector(".graph");
    if (graph && scrollPosition) {
      graph.scrollLeft = scrollPosition.left;
      graph.scrollTop = scrollPosition.top;
    }
    const details = root.querySelector(".details");
    if (details && detailsScroll !== undefined) details.scrollTop = detailsScroll;
  }

  #header(model: ViewModel, steps: ViewStep[]): HTMLElement {
    const counts = new Map<string, number>();
    for (const step of steps) counts.set(step.status, (counts.get(step.status) ?? 0) + 1);
    const status = this.#link === "missing" ? "missing" : model.status;
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
      const end = model.endedAt ?? (isFinalStatus(model.status) ? undefined : this.#now());
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
    return h(
      "header",
      { part: "header" },
      h(
        "h1",
        { title: model.goal ?? "" },
        model.goal ?? (this.#link === "missing" ? "Run not found" : "replan run"),
      ),
      h("span", { class: `badge ${status}`, part: "status", "data-status": status }, status),
      h("div", { class: "meta" }, ...meta),
    );
  }

  #banner(model: ViewModel): HTMLElement | null {
    const reconnect = () => void this.#connect();
    switch (this.#link) {
      case "connecting":
        return h("div", { class: "banner info", role: "status" }, "Connecting to the run…");
      case "missing":
        return h(
          "div",
          { class: "banner error", role: "alert", "data-banner": "missing" },
          h("span", { class: "grow" }, `This run does not exist: ${this.#linkMessage}.`),
        );
      case "lost":
        return h(
          "div",
          { class: "banner error", role: "alert", "data-banner": "lost" },
          h("span", { class: "grow" }, this.#linkMessage),
          h("button", { onclick: reconnect }, "Reconnect"),
        );
      default:
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
  }

  #approvalBar(model: ViewModel): HTMLElement {
    const edits = this.#draft.size;
    const approve = () => {
      if (edits === 0) void this.#answer({ action: "approve" });
      else {
        const steps = (model.approval?.plan.steps ?? []).map(
          (step) => this.#draft.get(step.id) ?? specOf(step),
        );
        void this.#answer({ action: "edit", steps });
      }
    };
    const reject = () => {
      const reason = this.#reason.trim();
      void this.#answer(reason ? { action: "reject", reason } : { action: "reject" });
    };
    const error = this.#approvalError || model.approval?.error;
    return h(
      "div",
      { class: "approval", part: "approval", "data-approval": "" },
      h("div", { class: "title" }, "This plan waits for your approval: nothing runs until you answer."),
      h(
        "div",
        { class: "hint" },
        edits > 0
          ? `${edits} step${edits > 1 ? "s" : ""} edited. Approving sends the edited plan; it is checked as the run checks it.`
          : "Click a step to see it, or to edit its description, tool, arguments and dependencies.",
      ),
      error ? h("div", { class: "error", role: "alert", "data-approval-error": "" }, error) : null,
      model.approval?.forecast !== undefined
        ? h(
            "div",
            { class: "hint", "data-forecast": "" },
            `Forecast: ${cut(JSON.stringify(model.approval.forecast) ?? "", 400)}`,
          )
        : null,
      h(
        "div",
        { class: "row" },
        h(
          "button",
          { class: "primary", onclick: approve, disabled: this.#sending, "data-action": "approve" },
          edits > 0 ? `Approve with ${edits} edit${edits > 1 ? "s" : ""}` : "Approve",
        ),
        edits > 0
          ? h(
              "button",
              {
                onclick: () => {
                  this.#draft.clear();
                  this.#schedule();
                },
                "data-action": "discard",
              },
              "Discard edits",
            )
          : null,
        h("input", {
          placeholder: "Reason for rejecting (optional)",
          "data-key": "reject-reason",
          "aria-label": "reason for rejecting",
          oninput: (event: Event) => {
            this.#reason = (event.target as HTMLInputElement).value;
          },
        }),
        h(
          "button",
          { class: "danger", onclick: reject, disabled: this.#sending, "data-action": "reject" },
          "Reject",
        ),
      ),
    );
  }

  async #answer(answer: ElementApprovalAnswer): Promise<void> {
    const event = new CustomEvent<ApprovalEventDetail>("replan-approval", {
      detail: { answer },
      bubbles: true,
      composed: true,
      cancelable: true,
    });
    const proceed = this.dispatchEvent(event);
    if (!proceed || !this.src) return;
    this.#sending = true;
    this.#approvalError = "";
    this.#schedule();
    try {
      const response = await fetch(`${this.src.replace(/\/+$/, "")}/approval`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(answer),
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as {
          error?: { message?: string; issues?: string[] };
        } | null;
        this.#approvalError = `Not accepted: ${body?.error?.message ?? `the server answered ${response.status}`}`;
      } else {
        this.#draft.clear();
        this.#reason = "";
      }
    } catch (error) {
      this.#approvalError = `Could not send the answer: ${(error as Error)?.message ?? String(error)}`;
    } finally {
      this.#sending = false;
      this.#schedule();
    }
  }

  #revisionBar(model: ViewModel, shown: ViewRevision | undefined): HTMLElement {
    const buttons = model.revisions.map((revision, index) => {
      const last = index === model.revisions.length - 1;
      return h(
        "button",
        {
          class: revision === shown ? "active" : "",
          "data-revision": revision.revision,
          title: revision.reason ? `replaced: ${revision.reason.message}` : "",
          onclick: () => {
            this.revision = last ? null : revision.revision;
          },
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

  #diff(revision: ViewRevision, latest: boolean): HTMLElement {
    const previous = this.#model.revisions.find((candidate) => candidate.revision === revision.revision - 1);
    const list = (ids: string[]) => (ids.length > 0 ? ids.join(", ") : "none");
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
      h(
        "span",
        { class: "removed", "data-removed": revision.removed.join(",") },
        h("b", {}, "removed "),
        list(revision.removed),
      ),
      h(
        "span",
        { class: "added", "data-added": revision.added.join(",") },
        h("b", {}, "added "),
        list(revision.added),
      ),
      h(
        "span",
        { class: "kept", "data-kept": revision.kept.join(",") },
        h("b", {}, "kept "),
        list(revision.kept),
      ),
      latest ? null : h("span", {}, "(an earlier revision, as it stood when it was replaced)"),
    );
  }

  #layout(steps: ViewStep[]): Layout {
    const key = JSON.stringify(steps.map((step) => [step.id, step.dependsOn]));
    if (this.#layoutCache?.key !== key) this.#layoutCache = { key, layout: layoutPlan(steps) };
    return this.#layoutCache.layout;
  }

  #graph(revision: ViewRevision | undefined, steps: ViewStep[], latest: boolean): HTMLElement {
    const container = h("div", { class: "graph", part: "graph" });
    if (!revision || steps.length === 0) {
      const text =
        this.#link === "missing"
          ? "No run to show."
          : this.#model.status === "planning" || this.#model.status === "connecting"
            ? "Waiting for the plan…"
            : "The plan has no steps.";
      container.append(h("div", { class: "empty" }, text));
      return container;
    }
    const layout = this.#layout(steps);
    const now = this.#now();
    const criticalList = criticalPath(steps, now);
    const critical = new Set(criticalList);
    const criticalEdges = new Set(criticalList.slice(1).map((id, index) => `${criticalList[index]}>${id}`));
    const canvas = h("div", { class: "canvas", style: `width:${layout.width}px;height:${layout.height}px` });
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", String(layout.width));
    svg.setAttribute("height", String(layout.height));
    const defs = document.createElementNS(SVG, "defs");
    for (const [name, color] of [
      ["arrow", "#b6bfcc"],
      ["arrow-critical", "#ea580c"],
    ] as const) {
      const marker = document.createElementNS(SVG, "marker");
      marker.setAttribute("id", name);
      marker.setAttribute("viewBox", "0 0 10 10");
      marker.setAttribute("refX", "9");
      marker.setAttribute("refY", "5");
      marker.setAttribute("markerUnits", "userSpaceOnUse");
      marker.setAttribute("markerWidth", "9");
      marker.setAttribute("markerHeight", "9");
      marker.setAttribute("orient", "auto-start-reverse");
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("d", "M 0 0 L 10 5 L 0 10 z");
      path.setAttribute("fill", color);
      marker.append(path);
      defs.append(marker);
    }
    svg.append(defs);
    for (const edge of layout.edges) {
      if (edge.points.length === 0) continue;
      const path = document.createElementNS(SVG, "path");
      const [first, ...rest] = edge.points;
      path.setAttribute(
        "d",
        `M ${first!.x} ${first!.y} ${rest.map((point) => `L ${point.x} ${point.y}`).join(" ")}`,
      );
      const isCritical = criticalEdges.has(`${edge.from}>${edge.to}`);
      path.setAttribute("class", isCritical ? "edge critical" : "edge");
      path.setAttribute("marker-end", `url(#${isCritical ? "arrow-critical" : "arrow"})`);
      path.dataset.edge = `${edge.from}>${edge.to}`;
      svg.append(path);
    }
    canvas.append(svg);
    const next = this.#model.revisions.find((candidate) => candidate.revision === revision.revision + 1);
    const removedLater = new Set(next?.removed ?? []);
    const added = new Set(revision.revision > 0 ? revision.added : []);
    const kept = new Set(revision.kept);
    for (const step of steps) {
      const position = layout.nodes.get(step.id);
      if (!position) continue;
      const tags: HTMLElement[] = [];
      if (this.#draft.has(step.id) && latest) tags.push(h("span", { class: "tag edited" }, "edited"));
      if (added.has(step.id)) tags.push(h("span", { class: "tag added" }, "added"));
      if (kept.has(step.id) && revision.revision > 0) tags.push(h("span", { class: "tag kept" }, "kept"));
      if (removedLater.has(step.id))
        tags.push(h("span", { class: "tag removed" }, `removed in ${revision.revision + 1}`));
      const classes = ["node", step.status];
      if (critical.has(step.id)) classes.push("critical");
      if (step.id === this.#selected) classes.push("selected");
      if (removedLater.has(step.id)) classes.push("gone");
      const node = h(
        "div",
        {
          class: classes.join(" "),
          style: `left:${position.x}px;top:${position.y}px;width:${NODE_WIDTH}px;height:${NODE_HEIGHT}px`,
          "data-step": step.id,
          "data-status": step.status,
          "data-critical": critical.has(step.id) ? "true" : undefined,
          role: "button",
          tabindex: 0,
          title: step.description,
          onclick: () => this.#select(step.id),
          onkeydown: (event: Event) => {
            if ((event as KeyboardEvent).key === "Enter") this.#select(step.id);
          },
        },
        h(
          "div",
          { class: "top" },
          h("span", { class: "id" }, step.id),
          h(
            "span",
            { class: "kind" },
            `${step.kind === "tool" ? `tool · ${step.tool ?? "?"}` : "agent"}${typeof step.effect === "string" ? ` · ${step.effect}` : ""}`,
          ),
        ),
        h("div", { class: "desc" }, step.description || " "),
        h("div", { class: "state", "data-state": "" }, this.#statusText(step, now), ...tags),
      );
      canvas.append(node);
    }
    container.append(canvas);
    const legend = h(
      "div",
      { class: "legend" },
      ...(
        [
          ["pending", "#94a3b8"],
          ["running", "#1d4ed8"],
          ["done", "#15803d"],
          ["failed", "#b91c1c"],
          ["cancelled", "#a16207"],
          ["skipped", "#cbd5e1"],
          ["critical path", "#ea580c"],
        ] as const
      ).map(([name, color]) => h("span", { style: `--c:${color}` }, name)),
    );
    container.append(legend);
    return container;
  }

  #statusText(step: ViewStep, now: number): string {
    const attempt = step.attempts > 1 ? ` · attempt ${step.attempts}` : "";
    switch (step.status) {
      case "running":
        return `running ${step.startedAt !== undefined ? formatDuration(now - step.startedAt) : ""}${attempt}`;
      case "done":
        return `done${step.startedAt !== undefined && step.endedAt !== undefined ? ` in ${formatDuration(step.endedAt - step.startedAt)}` : ""}${attempt}`;
      case "failed":
        return `failed: ${step.error?.code ?? "error"}${attempt}`;
      default:
        return step.status;
    }
  }

  #select(id: string): void {
    this.selected = this.#selected === id ? null : id;
    this.dispatchEvent(
      new CustomEvent<StepSelectEventDetail>("replan-step-select", {
        detail: { id: this.#selected },
        bubbles: true,
        composed: true,
      }),
    );
  }

  #details(revision: ViewRevision | undefined, steps: ViewStep[], latest: boolean): HTMLElement {
    const panel = h("aside", { class: "details", part: "details" });
    const step = steps.find((candidate) => candidate.id === this.#selected);
    if (!step) {
      panel.append(
        h("h2", {}, "Step details"),
        h(
          "div",
          { class: "hint" },
          steps.length > 0
            ? "Click a step to see its arguments, result, error, attempts, timings and idempotency key."
            : "No step yet.",
        ),
      );
      return panel;
    }
    const results: Record<string, unknown> = {};
    for (const candidate of revision?.steps ?? []) {
      if (candidate.status === "done" && "result" in candidate) results[candidate.id] = candidate.result;
    }
    const startedAt = this.#model.startedAt;
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
            (step.endedAt ?? (step.status === "running" ? this.#now() : step.startedAt)) - step.startedAt,
          );
    const key = this.#model.runId
      ? stepKey({ runId: this.#model.runId }, step)
      : `(run id unknown):${step.revision}:${step.id}`;
    panel.append(
      h(
        "h2",
        {},
        step.id,
        h("span", { class: `badge ${step.status}`, "data-detail-status": step.status }, step.status),
        h("span", { class: "badge" }, step.kind),
      ),
      h("div", {}, step.description),
    );
    const rows: Array<[string, Node | string]> = [];
    if (step.kind === "tool") rows.push(["tool", h("code", {}, step.tool ?? "?")]);
    if (typeof step.effect === "string") rows.push(["effect", step.effect]);
    rows.push(["depends on", step.dependsOn.length > 0 ? this.#links(step.dependsOn) : "nothing"]);
    rows.push(["attempts", String(step.attempts)]);
    rows.push(["started", at(step.startedAt)]);
    rows.push(["ended", at(step.endedAt)]);
    rows.push(["duration", h("span", { "data-duration": "" }, duration)]);
    rows.push(["revision", String(step.revision)]);
    rows.push(["idempotency key", h("code", { "data-key-value": "" }, key)]);
    panel.append(h("dl", {}, ...rows.flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)])));
    if (step.kind === "tool") {
      panel.append(this.#section("arguments", h("pre", { "data-args": "" }, json(step.args ?? {}))));
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
      panel.append(this.#section("arguments, references resolved", resolved));
    }
    if (step.error) {
      panel.append(
        this.#section(
          "error",
          h("div", { class: "err", "data-error": "" }, `${step.error.code}: ${step.error.message}`),
        ),
      );
    }
    if ("result" in step && step.result !== undefined) {
      panel.append(this.#section("result", h("pre", { "data-result": "" }, json(step.result))));
    }
    if (this.#model.approval && latest) panel.append(this.#editForm(step, steps));
    return panel;
  }

  #section(label: string, content: Node): HTMLElement {
    return h("section", {}, h("div", { class: "label" }, label), content);
  }

  #links(ids: string[]): HTMLElement {
    const span = h("span", {});
    ids.forEach((id, index) => {
      if (index > 0) span.append(", ");
      span.append(h("a", { onclick: () => this.#select(id) }, id));
    });
    return span;
  }

  #editForm(step: ViewStep, steps: ViewStep[]): HTMLElement {
    const fresh = this.#formFor !== step.id;
    this.#formFor = step.id;
    const others = steps.filter((candidate) => candidate.id !== step.id);
    const form = h("div", { class: "form", "data-edit-form": step.id });
    const field = (key: string) =>
      form.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[data-key="${key}"]`)!;
    const apply = () => {
      const description = field("edit-description").value.trim();
      const tool = field("edit-tool").value.trim();
      let args: unknown = {};
      const argsText = field("edit-args").value.trim();
      if (tool) {
        try {
          args = argsText ? JSON.parse(argsText) : {};
        } catch (error) {
          this.#formError = `The arguments are not JSON: ${(error as Error).message}`;
          this.#schedule();
          return;
        }
        if (args === null || typeof args !== "object" || Array.isArray(args)) {
          this.#formError = 'The arguments must be a JSON object, e.g. {"warehouse": "east"}.';
          this.#schedule();
          return;
        }
      }
      const dependsOn = others
        .filter(
          (other) =>
            form.querySelector<HTMLInputElement>(`[data-key="dep-${CSS.escape(other.id)}"]`)?.checked,
        )
        .map((other) => other.id);
      const spec: Record<string, unknown> = {
        id: step.id,
        kind: tool ? "tool" : "agent",
        description,
        dependsOn,
      };
      if (tool) {
        spec.tool = tool;
        spec.args = args;
      }
      this.#formError = "";
      this.#draft.set(step.id, spec);
      this.#schedule();
    };
    const mark = (element: HTMLElement) => {
      if (fresh) element.dataset.fresh = "true";
      return element;
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
      h(
        "div",
        { class: "deps-block" },
        h("div", { class: "label" }, "depends on"),
        h(
          "div",
          { class: "deps" },
          ...(others.length === 0
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
              )),
        ),
      ),
      this.#formError
        ? h("div", { class: "error", role: "alert", "data-form-error": "" }, this.#formError)
        : "",
      h(
        "div",
        { class: "row" },
        h("button", { onclick: apply, "data-action": "apply-edit" }, "Apply to the plan"),
        this.#draft.has(step.id)
          ? h(
              "button",
              {
                onclick: () => {
                  this.#draft.delete(step.id);
                  this.#formFor = undefined;
                  this.#schedule();
                },
              },
              "Undo this edit",
            )
          : null,
      ),
    );
    return form;
  }

  #formFor: string | undefined;
  #pressedAt: number | undefined;
  #heldBack = false;

  #onRelease = (): void => {
    if (this.#pressedAt === undefined) return;
    this.#pressedAt = undefined;
    if (this.#heldBack) {
      this.#heldBack = false;
      // After the click that this release makes.
      setTimeout(() => this.#schedule(), 0);
    }
  };
}

/**
 * Defines `<replan-plan-view>` (once; later calls do nothing).
 *
 * @param name - the tag name.
 * @default "replan-plan-view"
 */
export function defineReplanPlanView(name = "replan-plan-view"): void {
  if (!customElements.get(name)) customElements.define(name, class extends ReplanPlanView {});
}
