/**
 * Derived indexes of a plan's steps array, so that a transition costs O(changed steps), not O(plan):
 * id → position and dependents (the same for every array of one plan revision), status counts and
 * the set of ready steps (pending, every dependency done).
 *
 * States are immutable, so the index of an array is never changed once another array can see it:
 * the transition that copies a steps array copies its index with it (the ready bit set, the list of
 * chunks of unmet-dependency counts and a few counts: memory copies of N / 30 and N / 64 entries) and keeps the copy in step with every status change.
 * An array that did not come from a transition (a new plan, a parsed state) is indexed on first use.
 *
 * Public here: {@link findStep} and {@link countSteps}; the rest is internal to the package.
 *
 * @module
 */
import type { Plan, Step, StepStatus } from "./schemas.js";

/** Step counts by status. */
export type StatusCounts = Record<StepStatus, number>;

/** The shape of one revision: the same for every steps array of that revision. */
interface Shape {
  readonly position: ReadonlyMap<string, number>;
  /** Positions of the steps that depend on the step at each position. */
  readonly dependents: readonly (readonly number[])[];
}

/** The derived state of one steps array. */
export class StepIndex {
  private constructor(
    private readonly shape: Shape,
    readonly counts: StatusCounts,
    /**
     * Per position, in chunks of {@link CHUNK}: dependencies not yet done (unknown ids count as
     * never done). A copy shares the chunks and copies one only to change it.
     */
    private readonly unmet: number[][],
    /** The chunks of `unmet` this index may change (its own copies), or all of them. */
    private readonly owned: Set<number> | "all",
    /** Bit set of positions, {@link BITS} per word: pending with every dependency done. */
    private readonly ready: number[],
  ) {}

  /** Builds the index of `steps` in one pass over the steps and their dependencies. */
  static build(steps: readonly Step[]): StepIndex {
    const position = new Map<string, number>();
    for (const [at, step] of steps.entries()) position.set(step.id, at);
    const dependents: number[][] = steps.map(() => []);
    const counts: StatusCounts = {
      pending: 0,
      running: 0,
      done: 0,
      failed: 0,
      skipped: 0,
      cancelled: 0,
    };
    const unmet = Array.from({ length: Math.ceil(steps.length / CHUNK) }, () =>
      new Array<number>(CHUNK).fill(0),
    );
    const ready = new Array<number>(Math.ceil(steps.length / BITS)).fill(0);
    steps.forEach((step, at) => {
      counts[step.status]++;
      for (const id of step.dependsOn) {
        const dependency = position.get(id);
        if (dependency !== undefined) dependents[dependency]!.push(at);
        if (dependency === undefined || steps[dependency]!.status !== "done") {
          unmet[Math.floor(at / CHUNK)]![at % CHUNK]!++;
        }
      }
      if (step.status === "pending" && unmet[Math.floor(at / CHUNK)]![at % CHUNK] === 0)
        ready[Math.floor(at / BITS)]! |= 1 << (at % BITS);
    });
    return new StepIndex({ position, dependents }, counts, unmet, "all", ready);
  }

  /** An independent copy, for a copied steps array. */
  copy(): StepIndex {
    return new StepIndex(this.shape, { ...this.counts }, this.unmet.slice(), new Set(), this.ready.slice());
  }

  /** The position of the step with this id, or undefined. */
  positionOf(id: string): number | undefined {
    return this.shape.position.get(id);
  }

  /**
   * Records that the step at `at` went from `before` to `after` (`steps` already holds the new
   * step): updates the counts and the ready set, and the dependents' unmet counts on `done`.
   */
  changed(steps: readonly Step[], at: number, before: StepStatus, after: StepStatus): void {
    if (before === after) return;
    this.counts[before]--;
    this.counts[after]++;
    if (before === "pending") this.setReady(at, false);
    if (after === "pending" && this.unmetAt(at) === 0) this.setReady(at, true);
    if (after === "done" || before === "done") {
      const delta = after === "done" ? -1 : 1;
      for (const dependent of this.shape.dependents[at]!) {
        const unmet = this.addUnmet(dependent, delta);
        this.setReady(dependent, unmet === 0 && steps[dependent]!.status === "pending");
      }
    }
  }

  private unmetAt(at: number): number {
    return this.unmet[Math.floor(at / CHUNK)]![at % CHUNK]!;
  }

  private addUnmet(at: number, delta: number): number {
    const index = Math.floor(at / CHUNK);
    let chunk = this.unmet[index]!;
    if (this.owned !== "all" && !this.owned.has(index)) {
      chunk = chunk.slice();
      this.unmet[index] = chunk;
      this.owned.add(index);
    }
    const unmet = chunk[at % CHUNK]! + delta;
    chunk[at % CHUNK] = unmet;
    return unmet;
  }

  /** Positions of ready steps in plan order, at most `limit` of them. */
  readyPositions(limit: number): number[] {
    const found: number[] = [];
    for (let word = 0; word < this.ready.length && found.length < limit; word++) {
      let bits = this.ready[word]!;
      while (bits !== 0 && found.length < limit) {
        const bit = 31 - Math.clz32(bits & -bits);
        found.push(word * BITS + bit);
        bits &= bits - 1;
      }
    }
    return found;
  }

  private setReady(at: number, ready: boolean): void {
    const word = Math.floor(at / BITS);
    if (ready) this.ready[word]! |= 1 << (at % BITS);
    else this.ready[word]! &= ~(1 << (at % BITS));
  }
}

/**
 * Bits per word of the ready set: 30, so that every word is a small integer and the arrays stay
 * packed small-integer arrays, which V8 copies with one memory copy (typed arrays cost an
 * ArrayBuffer allocation per copy, slower at these sizes).
 */
const BITS = 30;

/** Entries per chunk of the unmet-dependency counts: a transition copies N / CHUNK pointers and the chunks it changes. */
const CHUNK = 64;

const indexes = new WeakMap<readonly Step[], StepIndex>();

/** The index of a steps array, built on first use and kept while the array lives. */
export function indexOf(steps: readonly Step[]): StepIndex {
  let index = indexes.get(steps);
  if (!index) {
    index = StepIndex.build(steps);
    indexes.set(steps, index);
  }
  return index;
}

/** Registers `index` as the index of `steps` (a copy made by a transition). */
export function setIndex(steps: readonly Step[], index: StepIndex): void {
  indexes.set(steps, index);
}

/**
 * The step with this id, in O(1): the plan's index is built on first use (O(steps)) and carried
 * along by every transition, so drivers can look steps up on every input without scanning the plan.
 *
 * @param plan - a plan (any object with its `steps`).
 * @param id - a step id.
 * @returns the step, or undefined if the plan has no step with this id.
 * @example
 * ```ts
 * const step = findStep(state.plan!, "fetch");
 * if (step?.status === "done") console.log(step.result);
 * ```
 */
export function findStep(plan: Pick<Plan, "steps">, id: string): Step | undefined {
  const at = indexOf(plan.steps).positionOf(id);
  return at === undefined ? undefined : plan.steps[at];
}

/**
 * How many steps of a plan are in each status, in O(1) (see {@link findStep} for the index).
 *
 * @param plan - a plan (any object with its `steps`).
 * @returns a fresh object with one count per status.
 * @example
 * ```ts
 * const { running, pending } = countSteps(state.plan!);
 * ```
 */
export function countSteps(plan: Pick<Plan, "steps">): Record<StepStatus, number> {
  return { ...indexOf(plan.steps).counts };
}
