// TEMPORARY stand-in for `@replan/core/internal` until the shared contract lands on main. Deleted at rebase.

export type Rule<T> = {
  must: string;
  check: (value: unknown, path: string, fail: (path: string, must: string, value: unknown) => never) => T;
};

function show(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function simple<T>(must: string, ok: (value: unknown) => boolean): Rule<T> {
  return { must, check: (value, path, fail) => (ok(value) ? (value as T) : fail(path, must, value)) };
}

export const rules = {
  integer: ({ min, max }: { min?: number; max?: number } = {}): Rule<number> =>
    simple(
      `be an integer${min !== undefined ? ` >= ${min}` : ""}${max !== undefined ? ` <= ${max}` : ""}`,
      (value) =>
        typeof value === "number" &&
        Number.isInteger(value) &&
        (min === undefined || value >= min) &&
        (max === undefined || value <= max),
    ),
  string: ({ nonEmpty }: { nonEmpty?: boolean } = {}): Rule<string> =>
    simple(
      nonEmpty ? "be a non-empty string" : "be a string",
      (value) => typeof value === "string" && (!nonEmpty || value !== ""),
    ),
  boolean: (): Rule<boolean> => simple("be a boolean", (value) => typeof value === "boolean"),
  func: (): Rule<(...args: never[]) => unknown> =>
    simple("be a function", (value) => typeof value === "function"),
  oneOf: <const T>(values: readonly T[]): Rule<T> =>
    simple(`be one of ${values.map((value) => JSON.stringify(value)).join(", ")}`, (value) =>
      values.includes(value as T),
    ),
  custom: <T>(must: string, predicate: (value: unknown) => boolean): Rule<T> => simple(must, predicate),
  array: <T>(item: Rule<T>, { minLength = 0 }: { minLength?: number } = {}): Rule<T[]> => ({
    must: `be an array${minLength > 0 ? ` of at least ${minLength}` : ""}`,
    check: (value, path, fail) => {
      if (!Array.isArray(value) || value.length < minLength)
        fail(path, `be an array${minLength > 0 ? ` of at least ${minLength}` : ""}`, value);
      return (value as unknown[]).map((entry, index) => item.check(entry, `${path}[${index}]`, fail));
    },
  }),
  record: <T>(item: Rule<T>): Rule<Record<string, T>> => ({
    must: "be an object",
    check: (value, path, fail) => {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        fail(path, "be an object", value);
      for (const [key, entry] of Object.entries(value as object)) item.check(entry, `${path}.${key}`, fail);
      return value as Record<string, T>;
    },
  }),
  object: <S extends Record<string, Rule<unknown>>>(
    schema: S,
  ): Rule<{ [K in keyof S]?: S[K] extends Rule<infer T> ? T : never }> => ({
    must: "be an object",
    check: (value, path, fail) => {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        fail(path, "be an object", value);
      for (const key of Object.keys(value as object)) {
        if (!Object.hasOwn(schema, key))
          fail(
            `${path}.${key}`,
            `be one of the fields of ${path}: ${Object.keys(schema).join(", ")}`,
            (value as Record<string, unknown>)[key],
          );
      }
      for (const [key, rule] of Object.entries(schema)) {
        const entry = (value as Record<string, unknown>)[key];
        if (entry !== undefined) rule.check(entry, `${path}.${key}`, fail);
      }
      return value as never;
    },
  }),
};

export function checkOptions<S extends Record<string, Rule<unknown>>>(
  options: unknown,
  schema: S,
  { where, error }: { where: string; error: (message: string) => Error },
): { [K in keyof S]?: S[K] extends Rule<infer T> ? T : never } {
  const fail = (path: string, must: string, value: unknown): never => {
    throw error(`Option "${path}" must ${must}, got ${show(value)}`);
  };
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw error(`The options of ${where} must be an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(schema, key))
      fail(
        key,
        `be one of the options of ${where}: ${Object.keys(schema).join(", ")}`,
        (options as Record<string, unknown>)[key],
      );
  }
  for (const [key, rule] of Object.entries(schema)) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) rule.check(value, key, fail);
  }
  return options as never;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
