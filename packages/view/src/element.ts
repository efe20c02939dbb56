/**
 * `<replan-plan-view>`: a framework-free custom element that draws a run's plan as a DAG (left to
 * right), follows its events, steps through its revisions, shows a step's details and answers a
 * plan-approval request. Browser code: bundled with its layout library into
 * `dist/browser/replan-view.js`, which the server helper serves.
 *
 * The element keeps the state and wires the parts: the connection (`run-client.ts`), the
 * renderers (`render-*.ts`), the fields kept across renders (`form-state.ts`), the edits in
 * progress (`approval-draft.ts`) and when to draw (`render-scheduler.ts`).
 *
 * @module
 */
import { ApprovalDraft } from "./approval-draft.js";
import { viewDefaults } from "./defaults.js";
import { checkElementName, checkProperty } from "./element-options.js";
import { h } from "./dom.js";
import { captureFormState, restoreFormState } from "./form-state.js";
import {
  applyEvent,
  emptyModel,
  type ViewEvent,
  type ViewModel,
  type ViewRevision,
  type ViewStep,
} from "./model.js";
import { renderApprovalBar } from "./render-approval.js";
import { refreshClocks } from "./render-clock.js";
import { renderDetails } from "./render-details.js";
import { cachedLayout, renderGraph } from "./render-graph.js";
import { renderBanner, renderHeader, renderNotices, renderOutcome } from "./render-header.js";
import { renderDiff, renderRevisionBar } from "./render-revisions.js";
import { RenderScheduler } from "./render-scheduler.js";
import { followRun, type Link, postApproval } from "./run-client.js";
import { STYLES } from "./styles.js";
import type { ElementApprovalAnswer, ViewActions, ViewContext } from "./view-context.js";

export type { ElementApprovalAnswer } from "./view-context.js";

/** `detail` of the `replan-approval` event. */
export interface ApprovalEventDetail {
  answer: ElementApprovalAnswer;
}

/** `detail` of the `replan-step-select` event. */
export interface StepSelectEventDetail {
  id: string | null;
}

/** How often the running steps' times are updated, in ms. */
const CLOCK_MS = 250;

/**
 * The `<replan-plan-view>` element.
 *
 * Attributes: `src` (the run's API URL on a view server, e.g. `/api/runs/abc`: the element reads
 * `src` for the run, `src/events` for its events and posts answers to `src/approval`).
 * Properties: `model` (read-only), `src`, `revision` (the revision shown, `null` for the latest),
 * `selected` (the selected step id); setting a bad value throws a `ViewError` `invalid-options`
 * naming the property. Methods: `feed(event)` / `feedAll(events)` to drive it
 * without a server, `reset()`. Events: `replan-step-select` and `replan-approval` (cancelable;
 * without `src`, or when cancelled, the host sends the answer itself).
 */
export class ReplanPlanView extends HTMLElement {
  static observedAttributes = ["src"];

  #model: ViewModel = emptyModel();
  readonly #root: ShadowRoot;
  #revision: number | null = null;
  #selected: string | null = null;
  #connection: AbortController | undefined;
  #clockOffset = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #scheduler = new RenderScheduler(() => this.#render());
  /** The connection's state, shown in the banner. */
  #link: Link = "idle";
  #linkMessage = "";
  /** Edited steps of the plan waiting for approval. */
  readonly #draft = new ApprovalDraft();
  #formError = "";
  #approvalError = "";
  #sending = false;
  #reason = "";
  /** The step whose edit form was drawn last. */
  #formFor: string | undefined;
  readonly #layout = cachedLayout();
  readonly #actions: ViewActions = this.#createActions();

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
    this.#root.addEventListener("pointerdown", () => this.#scheduler.press());
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
    checkProperty("src", value);
    if (value === null || value === undefined) this.removeAttribute("src");
    else this.setAttribute("src", value);
  }

  /** The revision shown; `null` follows the latest. */
  get revision(): number | null {
    return this.#revision;
  }

  set revision(value: number | null) {
    this.#revision = checkProperty("revision", value);
    this.#scheduler.schedule();
  }

  /** The id of the selected step, or `null`. */
  get selected(): string | null {
    return this.#selected;
  }

  set selected(id: string | null) {
    this.#selected = checkProperty("selected", id);
    this.#formError = "";
    this.#scheduler.schedule();
  }

  /** Applies one event of the feed (as the server would send it). */
  feed(event: ViewEvent | unknown): void {
    const before = this.#model;
    this.#model = applyEvent(this.#model, event);
    const type = (event as { type?: unknown } | null)?.type;
    if (type === "view-state" && typeof (event as { serverTime?: unknown }).serverTime === "number") {
      this.#clockOffset = (event as { serverTime: number }).serverTime - Date.now();
    }
    if (before.approval !== this.#model.approval && this.#draft.follow(this.#model.approval)) {
      this.#approvalError = "";
    }
    this.#scheduler.schedule();
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
    this.#scheduler.schedule();
  }

  connectedCallback(): void {
    this.#timer = setInterval(() => this.#tick(), CLOCK_MS);
    document.addEventListener("visibilitychange", this.#onVisibility);
    document.addEventListener("pointerup", this.#onRelease, true);
    document.addEventListener("pointercancel", this.#onRelease, true);
    if (this.src) void this.#connect();
    else this.#scheduler.schedule();
  }

  disconnectedCallback(): void {
    clearInterval(this.#timer);
    document.removeEventListener("visibilitychange", this.#onVisibility);
    document.removeEventListener("pointerup", this.#onRelease, true);
    document.removeEventListener("pointercancel", this.#onRelease, true);
    this.#connection?.abort();
  }

  attributeChangedCallback(name: string, oldValue: string | null, newValue: string | null): void {
    if (name === "src" && oldValue !== newValue && this.isConnected) {
      this.reset();
      if (newValue) void this.#connect();
      else this.#connection?.abort();
    }
  }

  #onRelease = (): void => this.#scheduler.release();

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

  async #connect(): Promise<void> {
    this.#connection?.abort();
    const connection = new AbortController();
    this.#connection = connection;
    // The model stays until the server sends the state (in the stream's first event).
    this.#setLink(this.#link === "paused" ? "paused" : "connecting", "");
    await followRun(this.src!.replace(/\/+$/, ""), connection.signal, {
      onEvent: (event) => this.feed(event),
      onLink: (link, message) => this.#setLink(link, message),
      streamEnded: () => this.#model.streamEnded,
    });
  }

  #setLink(link: Link, message: string): void {
    this.#link = link;
    this.#linkMessage = message;
    this.#scheduler.schedule();
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
    this.#scheduler.schedule();
    try {
      this.#approvalError = await postApproval(this.src.replace(/\/+$/, ""), answer);
      if (!this.#approvalError) {
        this.#draft.clear();
        this.#reason = "";
      }
    } finally {
      this.#sending = false;
      this.#scheduler.schedule();
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

  #createActions(): ViewActions {
    const schedule = () => this.#scheduler.schedule();
    return {
      select: (id) => this.#select(id),
      showRevision: (revision) => {
        this.revision = revision;
      },
      reconnect: () => void this.#connect(),
      answer: (answer) => void this.#answer(answer),
      reject: () => {
        const reason = this.#reason.trim();
        void this.#answer(reason ? { action: "reject", reason } : { action: "reject" });
      },
      applyEdit: (id, spec) => {
        this.#formError = "";
        this.#draft.set(id, spec);
        schedule();
      },
      refuseEdit: (message) => {
        this.#formError = message;
        schedule();
      },
      undoEdit: (id) => {
        this.#draft.delete(id);
        this.#formFor = undefined;
        schedule();
      },
      discardEdits: () => {
        this.#draft.clear();
        schedule();
      },
      setReason: (text) => {
        this.#reason = text;
      },
      openForm: (id) => {
        const fresh = this.#formFor !== id;
        this.#formFor = id;
        return fresh;
      },
    };
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
    if (!this.#model.approval || revision !== this.#model.revisions.at(-1)) return steps;
    return this.#draft.applyTo(steps);
  }

  #tick(): void {
    this.#scheduler.expire();
    if (this.#scheduler.pending) return; // a full render is coming anyway
    const steps = this.#stepsShown(this.#shownRevision());
    refreshClocks(this.#root, this.#model, steps, this.#selected, this.#now());
  }

  #context(): ViewContext {
    return {
      model: this.#model,
      link: this.#link,
      linkMessage: this.#linkMessage,
      selected: this.#selected,
      draft: this.#draft,
      formError: this.#formError,
      approvalError: this.#approvalError,
      sending: this.#sending,
      now: () => this.#now(),
      layout: this.#layout,
      actions: this.#actions,
    };
  }

  #render(): void {
    const context = this.#context();
    const { model } = context;
    const revision = this.#shownRevision();
    const steps = this.#stepsShown(revision);
    const latest = revision === model.revisions.at(-1);
    // Keep what the person is typing (the reason, an open edit form) across renders.
    const state = captureFormState(this.#root);
    const fragment = document.createDocumentFragment();
    fragment.append(h("style", {}, STYLES), renderHeader(context, steps));
    const parts = [
      renderBanner(context),
      model.approval && this.#link !== "missing" ? renderApprovalBar(context) : null,
      renderOutcome(model),
      renderNotices(model),
      model.revisions.length > 1 || model.replanning ? renderRevisionBar(context, revision) : null,
      revision && revision.revision > 0 ? renderDiff(model, revision, latest) : null,
    ];
    for (const part of parts) if (part) fragment.append(part);
    fragment.append(
      h(
        "div",
        { class: "body" },
        renderGraph(context, revision, steps, latest),
        renderDetails(context, revision, steps, latest),
      ),
    );
    this.#root.replaceChildren(fragment);
    restoreFormState(this.#root, state);
  }
}

/**
 * Defines `<replan-plan-view>` (once; later calls do nothing).
 *
 * @param name - the tag name (a custom element name, with a hyphen).
 * @default viewDefaults.elementName ("replan-plan-view")
 * @throws {ViewError} `invalid-options` when `name` is not a custom element name.
 */
export function defineReplanPlanView(name: string = viewDefaults.elementName): void {
  checkElementName(name);
  if (!customElements.get(name)) customElements.define(name, class extends ReplanPlanView {});
}
