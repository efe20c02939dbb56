/**
 * Effect classes declared on the functions themselves: {@link withEffect} marks a tool or an
 * executor as `read`, `idempotent` or `write`, optionally with a `reconcile` hook that tells
 * whether an interrupted call's effect happened. `runPlan` reads these declarations.
 *
 * @module
 */
import { EFFECT_CLASSES } from "./effects.js";
import { checkOptions, rules } from "./options.js";
import { invalidOptions } from "./run-config.js";
import type { Executor, ToolFunction } from "./run-functions.js";
import type { EffectClass, EffectDeclarations, Step } from "./schemas.js";

/** What a `reconcile` hook found: the effect happened (with the result the call would have returned), or not. */
export type ReconcileResult = { happened: true; result: unknown } | { happened: false };

/** What a `reconcile` hook gets besides the key. */
export interface ReconcileContext {
  /** The step whose attempt was cut short. */
  step: Step;
  /** The run's goal. */
  goal: string;
  /** The attempt that was cut short. */
  attempt: number;
  /** Aborted when the run ends or the hook takes longer than the step time limit. */
  signal: AbortSignal;
}

/**
 * Asked, on resume, whether an interrupted `write` call's effect happened, by its idempotency key
 * (`runId:revision:stepId`, the key the call was given): look it up where the effect lands (the
 * payment provider, the outbox table). Throw when you cannot tell: the step is then not run again.
 */
export type Reconcile = (
  key: string,
  context: ReconcileContext,
) => Promise<ReconcileResult> | ReconcileResult;

/** A function's effect declaration. */
export interface EffectDeclaration {
  effect: EffectClass;
  reconcile?: Reconcile;
}

const DECLARATION = Symbol.for("@replan/core/effect");

/** A tool or executor that carries an {@link EffectDeclaration}. */
export type WithEffect<F> = F & { readonly [DECLARATION]: EffectDeclaration };

/**
 * Declares what a tool function or an executor does to the world. Returns a new function (the
 * given one is not changed) that `runPlan` reads: a step's class is recorded on it, a `read` or
 * `idempotent` step that was in flight when the run stopped runs again on resume, and a `write`
 * step is settled by `reconcile` (or fails with `unsettled-effect` when there is none).
 *
 * @param fn - a tool function or an executor.
 * @param effect - `read`, `idempotent` or `write`.
 * @param options - `reconcile`: for a `write`, tells whether an interrupted call's effect happened.
 * @throws {ReplanError} `invalid-options` for a class that is not one of the three, or a bad option.
 * @example
 * ```ts
 * const pay = withEffect(async ({ amount }, { key }) => bank.charge(amount, key), "write", {
 *   reconcile: async (key) => {
 *     const charge = await bank.find(key);
 *     return charge ? { happened: true, result: charge } : { happened: false };
 *   },
 * });
 * ```
 */
export function withEffect<F extends ToolFunction | Executor>(
  fn: F,
  effect: EffectClass,
  options: { reconcile?: Reconcile } = {},
): WithEffect<F> {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw invalidOptions(
      `withEffect: options must be an object such as { reconcile }, got ${String(options)}`,
    );
  }
  checkOptions(
    { fn, effect, ...options },
    {
      fn: rules.required(rules.func()),
      effect: rules.required(rules.oneOf(EFFECT_CLASSES)),
      reconcile: rules.func<Reconcile>(),
    },
    { where: "withEffect", error: invalidOptions },
  );
  const declared = ((...args: Parameters<F>) =>
    (fn as (...a: unknown[]) => unknown)(...args)) as unknown as WithEffect<F>;
  const declaration: EffectDeclaration = {
    effect,
    ...(options.reconcile ? { reconcile: options.reconcile } : {}),
  };
  Object.defineProperty(declared, DECLARATION, { value: Object.freeze(declaration) });
  return declared;
}

/** The declaration {@link withEffect} put on a function, if any. */
export function declaredEffect(fn: unknown): EffectDeclaration | undefined {
  return typeof fn === "function" ? (fn as Partial<WithEffect<unknown>>)[DECLARATION] : undefined;
}

/** The run's declarations, from the declared tools and executor (undeclared ones are left out: `write`). */
export function declarationsOf(
  tools: Readonly<Record<string, unknown>>,
  executor: unknown,
): EffectDeclarations {
  const declared: Record<string, EffectClass> = {};
  for (const [name, tool] of Object.entries(tools)) {
    const effect = declaredEffect(tool)?.effect;
    if (effect) declared[name] = effect;
  }
  const agent = declaredEffect(executor)?.effect;
  return { tools: declared, ...(agent ? { agent } : {}) };
}
