/**
 * The edits made in the page to a plan that waits for approval, by step id, and the plan they
 * make. Edits in progress survive a reconnection (the same request comes again as new objects)
 * and are dropped when another request comes.
 *
 * @module
 */
import type { ViewApprovalRequest, ViewStep } from "./model.js";

/** A step as a planner writes it (`StepSpecInput`): what an edited plan is made of. */
export type StepSpec = Record<string, unknown>;

/** The step as a planner writes it, for an edited plan. */
export function specOf(step: ViewStep): StepSpec {
  const spec: StepSpec = {
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

/** The edits to the plan waiting for approval. */
export class ApprovalDraft {
  readonly #edits = new Map<string, StepSpec>();
  /** The request the edits are for, as JSON. */
  #request: string | undefined;

  /** How many steps are edited. */
  get size(): number {
    return this.#edits.size;
  }

  /** Whether step `id` is edited. */
  has(id: string): boolean {
    return this.#edits.has(id);
  }

  /** Sets the edit of step `id`. */
  set(id: string, spec: StepSpec): void {
    this.#edits.set(id, spec);
  }

  /** Drops the edit of step `id`. */
  delete(id: string): void {
    this.#edits.delete(id);
  }

  /** Drops every edit. */
  clear(): void {
    this.#edits.clear();
  }

  /**
   * Follows the request the run waits on: another request (or none) drops the edits.
   *
   * @returns whether the request changed.
   */
  follow(approval: ViewApprovalRequest | undefined): boolean {
    const request = approval ? JSON.stringify(approval) : undefined;
    if (request === this.#request) return false;
    this.#edits.clear();
    this.#request = request;
    return true;
  }

  /** The steps with the edits applied (as the graph shows them). */
  applyTo(steps: ViewStep[]): ViewStep[] {
    if (this.#edits.size === 0) return steps;
    return steps.map((step) => {
      const edit = this.#edits.get(step.id);
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

  /** The edited plan: the request's steps, each replaced by its edit when it has one. */
  planOf(steps: ViewStep[]): StepSpec[] {
    return steps.map((step) => this.#edits.get(step.id) ?? specOf(step));
  }
}
