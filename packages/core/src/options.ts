/**
 * One way to check options in every replan package: a shape of {@link Rule}s, checked eagerly,
 * that rejects unknown options and says what was wrong as `Option "x" must ..., got ...`, with the
 * package's own typed error.
 *
 * @module
 */

import { closest, describe, Hidden } from "./option-messages.js";
import { TOOL_NAME_PATTERN } from "./step-errors.js";

export { describe };

/** One option's rule: what a valid value is, and the check. */
export interface Rule<T, Required extends boolean = false> {
  /** What a valid value is, as it ends the sentence `Option "x" must ...`, e.g. `be an integer >= 1`. */
  readonly must: string;
  /** Whether the option must be present (see {@link rules.required}). */
  readonly required: Required;
  /**
   * Checks `value` (never `undefined`: absent options are not checked) and returns it, as is or
   * normalized; throws through `context.fail` when it is not valid.
   */
  check(value: unknown, path: string, context: CheckContext): T;
}

/** What a {@link Rule} may use while checking. */
export interface CheckContext {
  /** Ends the check: the value at `path` does not satisfy `must`. */
  fail(path: string, must: string, value: unknown): never;
}

/** Names every object has: refused as tool names. */
const RESERVED_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** The longest delay a timer waits (`setTimeout`, `AbortSignal.timeout`): 2_147_483_647 ms, about 24.8 days. */
export const MAX_DELAY_MS = 2_147_483_647;

/** Rules by option name. */
export type Shape = Readonly<Record<string, Rule<unknown, boolean>>>;

/** The value a rule lets through. */
export type ValueOf<R> = R extends Rule<infer T, boolean> ? T : never;

type RequiredKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends Rule<unknown, true> ? K : never;
}[keyof S];

/** What {@link checkOptions} returns: the options of `S`, checked; required ones present. */
export type Checked<S extends Shape> = { [K in RequiredKeys<S>]: ValueOf<S[K]> } & {
  [K in Exclude<keyof S, RequiredKeys<S>>]?: ValueOf<S[K]>;
};

/** Where {@link checkOptions} reports: the function's name, and the package's error. */
export interface CheckOptionsSettings {
  /** The function whose options these are, as the messages name it, e.g. `createHttpTool`. */
  where: string;
  /** Makes the package's typed error (code `invalid-options`, usually) from the message. */
  error: (message: string) => Error;
}

class Problem {
  constructor(
    readonly path: string,
    readonly must: string,
    readonly value: unknown,
  ) {}
}

const context: CheckContext = {
  fail(path, must, value): never {
    throw new Problem(path, must, value);
  },
};

/**
 * Checks `options` against `shape`: `undefined` means no options; anything else must be an object
 * whose every own key is in the shape and whose every present value passes its rule. Absent
 * (`undefined`) options stay absent: apply defaults after.
 *
 * @param options - what the caller passed.
 * @param shape - the rules, by option name.
 * @param settings - the function's name (for the messages) and the package's error.
 * @returns the checked options (values as the rules return them).
 * @throws the error `settings.error` makes, with `Option "x" must ..., got ...`.
 * @example
 * ```ts
 * const checked = checkOptions(options, { timeoutMs: rules.integer({ min: 1 }) }, {
 *   where: "createHttpTool",
 *   error: (message) => new HttpToolError("invalid-options", message),
 * });
 * ```
 */
export function checkOptions<S extends Shape>(
  options: unknown,
  shape: S,
  settings: CheckOptionsSettings,
): Checked<S> {
  if (options !== undefined && !isRecord(options)) {
    throw settings.error(`The options of ${settings.where} must be an object, got ${describe(options)}`);
  }
  try {
    return checkShape(options ?? {}, shape, "", settings.where) as Checked<S>;
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    throw settings.error(`Option "${error.path}" must ${error.must}, got ${describe(error.value)}`);
  }
}

function checkShape(value: Record<string, unknown>, shape: Shape, prefix: string, owner: string): object {
  const known = Object.keys(shape);
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(shape, key)) continue;
    const hint = closest(key, known);
    throw new Problem(
      prefix + key,
      `be one of the options of ${owner}: ${known.join(", ")}${hint ? ` (did you mean "${hint}"?)` : ""}`,
      value[key],
    );
  }
  const checked: Record<string, unknown> = {};
  for (const key of known) {
    const rule = shape[key]!;
    const option = value[key];
    if (option === undefined) {
      if (rule.required) throw new Problem(prefix + key, rule.must, option);
      continue;
    }
    Object.defineProperty(checked, key, {
      value: rule.check(option, prefix + key, context),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return checked;
}

function rule<T>(must: string, check: (value: unknown, path: string, context: CheckContext) => T): Rule<T> {
  return { must, required: false, check };
}

function range(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return "";
}

/** The rules {@link checkOptions} knows; `custom` covers the rest. */
export const rules = Object.freeze({
  /** An integer, within `min` and `max` if given. */
  integer(bounds: { min?: number; max?: number } = {}): Rule<number> {
    const must = `be an integer${range(bounds.min, bounds.max)}`;
    return rule(must, (value, path, context) => {
      const ok =
        Number.isSafeInteger(value) &&
        (bounds.min === undefined || (value as number) >= bounds.min) &&
        (bounds.max === undefined || (value as number) <= bounds.max);
      return ok ? (value as number) : context.fail(path, must, value);
    });
  },
  /** A finite number, within `min` and `max` if given; `above` excludes its bound (`> above`). */
  number(bounds: { min?: number; max?: number; above?: number } = {}): Rule<number> {
    const must =
      bounds.above !== undefined
        ? `be a number > ${bounds.above}${bounds.max === undefined ? "" : ` and <= ${bounds.max}`}`
        : `be a number${range(bounds.min, bounds.max)}`;
    return rule(must, (value, path, context) => {
      const ok =
        typeof value === "number" &&
        Number.isFinite(value) &&
        (bounds.min === undefined || value >= bounds.min) &&
        (bounds.above === undefined || value > bounds.above) &&
        (bounds.max === undefined || value <= bounds.max);
      return ok ? (value as number) : context.fail(path, must, value);
    });
  },
  /**
   * A delay or time limit in ms that a timer can wait: a number from `min` (0 by default; `above`
   * excludes its bound) to {@link MAX_DELAY_MS}, or `Infinity` when `infinite` says it means
   * "no limit" (the package then waits without a timer, or clamps the timer).
   */
  delay(options: { min?: number; above?: number; infinite?: boolean } = {}): Rule<number> {
    const { min = 0, above, infinite = false } = options;
    const must = `be a number ${above !== undefined ? `> ${above}` : `>= ${min}`} and <= ${MAX_DELAY_MS}${
      infinite ? ", or Infinity (no limit)" : ""
    }`;
    return rule(must, (value, path, context) => {
      if (infinite && value === Number.POSITIVE_INFINITY) return value;
      const ok =
        typeof value === "number" &&
        Number.isFinite(value) &&
        (above === undefined ? value >= min : value > above) &&
        value <= MAX_DELAY_MS;
      return ok ? (value as number) : context.fail(path, must, value);
    });
  },
  /**
   * A tool's name: {@link TOOL_NAME_PATTERN} (what the chat-model APIs accept), and not one of
   * the names every object has (`__proto__`, `constructor`, `prototype`), which would clash when
   * tools are looked up by name.
   */
  toolName(): Rule<string> {
    const must = "be a tool name (1 to 64 letters, digits, _ or -; not __proto__, constructor or prototype)";
    return rule(must, (value, path, context) =>
      typeof value === "string" && TOOL_NAME_PATTERN.test(value) && !RESERVED_NAMES.has(value)
        ? value
        : context.fail(path, must, value),
    );
  },
  /** `true` or `false`. */
  boolean(): Rule<boolean> {
    return rule("be true or false", (value, path, context) =>
      typeof value === "boolean" ? value : context.fail(path, "be true or false", value),
    );
  },
  /** A string; `nonEmpty` refuses `""` and blanks; `pattern` (named by `patternName`) must match. */
  string(options: { nonEmpty?: boolean; pattern?: RegExp; patternName?: string } = {}): Rule<string> {
    const must = options.pattern
      ? `be a string matching ${options.patternName ?? String(options.pattern)}`
      : options.nonEmpty
        ? "be a non-empty string"
        : "be a string";
    return rule(must, (value, path, context) => {
      const ok =
        typeof value === "string" &&
        (!options.nonEmpty || value.trim() !== "") &&
        (!options.pattern || options.pattern.test(value));
      return ok ? (value as string) : context.fail(path, must, value);
    });
  },
  /** One of `values` (compared with `===`). */
  oneOf<const T extends string | number | boolean>(values: readonly T[]): Rule<T> {
    const must = `be ${values
      .map((value) => JSON.stringify(value))
      .join(", ")
      .replace(/, ([^,]*)$/, " or $1")}`;
    return rule(must, (value, path, context) =>
      values.includes(value as T) ? (value as T) : context.fail(path, must, value),
    );
  },
  /** A function. */
  func<T extends (...args: never[]) => unknown = (...args: never[]) => unknown>(): Rule<T> {
    return rule("be a function", (value, path, context) =>
      typeof value === "function" ? (value as T) : context.fail(path, "be a function", value),
    );
  },
  /** An `AbortSignal` (from any realm: checked by shape). */
  signal(): Rule<AbortSignal> {
    const must = "be an AbortSignal";
    return rule(must, (value, path, context) => {
      const ok =
        isObject(value) &&
        typeof (value as { aborted?: unknown }).aborted === "boolean" &&
        typeof (value as { addEventListener?: unknown }).addEventListener === "function";
      return ok ? (value as AbortSignal) : context.fail(path, must, value);
    });
  },
  /** An object of options of its own, checked the same way (unknown keys refused). */
  object<S extends Shape>(shape: S, name?: string): Rule<Checked<S>> {
    const must = "be an object";
    return rule(must, (value, path, context) => {
      if (!isRecord(value)) return context.fail(path, must, value);
      return checkShape(value, shape, `${path}.`, name ?? path) as Checked<S>;
    });
  },
  /** A plain object whose every value passes `values`; `keys` checks the keys. `__proto__` is refused. */
  record<T>(values: Rule<T, boolean>, keys?: Rule<string, boolean>): Rule<Record<string, T>> {
    const must = `be an object whose values ${values.must.replace(/^be /, "are ")}`;
    return rule(must, (value, path, context) => {
      if (!isRecord(value)) return context.fail(path, must, value);
      const checked: Record<string, T> = {};
      for (const key of Reflect.ownKeys(value)) {
        if (typeof key !== "string") continue;
        const at = `${path}.${key}`;
        if (key === "__proto__") context.fail(at, "not be named __proto__", key);
        keys?.check(key, at, context);
        Object.defineProperty(checked, key, {
          value: values.check(value[key], at, context),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return checked;
    });
  },
  /** An array whose every item passes `items`, with `minLength`/`maxLength` if given. */
  array<T>(items: Rule<T, boolean>, bounds: { minLength?: number; maxLength?: number } = {}): Rule<T[]> {
    const { minLength, maxLength } = bounds;
    const must =
      minLength === undefined && maxLength === undefined
        ? "be an array"
        : `be an array of ${minLength ?? 0}${maxLength === undefined ? " or more" : ` to ${maxLength}`} items`;
    return rule(must, (value, path, context) => {
      if (!Array.isArray(value)) return context.fail(path, must, value);
      if (
        (bounds.minLength !== undefined && value.length < bounds.minLength) ||
        (bounds.maxLength !== undefined && value.length > bounds.maxLength)
      ) {
        return context.fail(path, must, value);
      }
      return value.map((item, index) => items.check(item, `${path}[${index}]`, context));
    });
  },
  /** Whatever passes the first of `alternatives` that accepts it (e.g. `true`, `false` or an object). */
  either<A, B>(first: Rule<A, boolean>, second: Rule<B, boolean>): Rule<A | B> {
    const must = `${first.must} or ${second.must.replace(/^be /, "")}`;
    return rule(must, (value, path, context) => {
      for (const candidate of [first, second] as Rule<A | B, boolean>[]) {
        try {
          return candidate.check(value, path, context);
        } catch (error) {
          // A problem inside a nested value says more than "must be X or Y".
          if (!(error instanceof Problem) || error.path !== path) throw error;
        }
      }
      return context.fail(path, must, value);
    });
  },
  /** Anything `accepts` says yes to; `must` says what that is. */
  custom<T>(must: string, accepts: (value: unknown) => value is T): Rule<T> {
    return rule(must, (value, path, context) => (accepts(value) ? value : context.fail(path, must, value)));
  },
  /**
   * The same rule, for an option that may hold a secret (a token, a header, an environment): a
   * message about it, or about anything under it, names the kind of the bad value
   * (`a string`, `an object`), never the value.
   */
  secret<T, Required extends boolean>(inner: Rule<T, Required>): Rule<T, Required> {
    return {
      must: inner.must,
      required: inner.required,
      check(value, path, context) {
        try {
          return inner.check(value, path, context);
        } catch (error) {
          if (!(error instanceof Problem) || error.value instanceof Hidden) throw error;
          throw new Problem(error.path, error.must, new Hidden(error.value));
        }
      },
    };
  },
  /** The same rule, for an option that must be present. */
  required<T>(inner: Rule<T, boolean>): Rule<T, true> {
    return { must: inner.must, required: true, check: inner.check };
  },
});

function isObject(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
