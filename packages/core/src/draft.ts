/**
 * The copy-on-write state of one transition: handlers change a {@link Draft}, never the state they
 * were given, and collect the effects and events to return.
 *
 * @module
 */
import type { Effect, RunEvent, TransitionResult } from "./run-messages.js";
import type { RunState, Step, Usage } from "./schemas.js";
import { findStep, indexOf, setIndex } from "./step-index.js";
import { addUsage } from "./usage.js";

/**
 * The next state under construction, with the effects and events of the transition. The input
 * state is never mutated: `set` makes a new state object, and the first `updateStep` copies the
 * steps array (and its index) once; later updates in the same transition change that copy.
 */
export class Draft {
  /** The state as changed so far. */
  state: RunState;
  /** Set once the run has ended in this transition: nothing else happens after that. */
  ended = false;
  private readonly effects: Effect[] = [];
  private readonly events: RunEvent[] = [];
  /** Whether `state.plan.steps` is already this transition's own copy. */
  private stepsCopied = false;

  /** @param state - the state the transition starts from (not modified). */
  constructor(state: RunState) {
    this.state = state;
  }

  /** Replaces fields of the state (a new plan is taken as this transition's own copy). */
  set(patch: Partial<RunState>): void {
    this.state = { ...this.state, ...patch };
    if (patch.plan) this.stepsCopied = true; // a new plan is already a fresh object
  }

  /** Adds reported usage to the run's total (invalid counts add nothing). */
  addUsage(usage: Partial<Usage>): void {
    this.set({ usage: addUsage({ ...this.state.usage }, usage) });
  }

  /** The step with this id in the current plan, if any. */
  step(id: string): Step | undefined {
    return this.state.plan ? findStep(this.state.plan, id) : undefined;
  }

  /**
   * Replaces a step by a patched copy (`position`: its index, when the caller knows it). The first
   * update of a transition copies the steps array and its index; later ones change the copies.
   *
   * @returns the updated step.
   */
  updateStep(id: string, patch: Partial<Step>, position?: number): Step {
    const plan = this.state.plan!;
    let steps = plan.steps;
    let index = indexOf(steps);
    if (!this.stepsCopied) {
      steps = steps.slice();
      index = index.copy();
      setIndex(steps, index);
      this.state = { ...this.state, plan: { ...plan, steps } };
      this.stepsCopied = true;
    }
    const at = position ?? index.positionOf(id)!;
    const before = steps[at]!;
    const updated = { ...before, ...patch } as Step;
    // A field patched to undefined is removed (saved states stay free of undefined keys).
    for (const key of Object.keys(patch) as (keyof Step)[]) {
      if (patch[key] === undefined) delete updated[key];
    }
    steps[at] = updated;
    index.changed(steps, at, before.status, updated.status);
    return updated;
  }

  /** Asks the driver to perform `effect`. */
  effect(effect: Effect): void {
    this.effects.push(effect);
  }

  /** Publishes a progress event. */
  emit(event: RunEvent): void {
    this.events.push(event);
  }

  /** The transition's result: the new state, its effects and its events. */
  result(): TransitionResult {
    return { state: this.state, effects: this.effects, events: this.events };
  }
}
