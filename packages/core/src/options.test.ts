import { describe, expect, test } from "vitest";
import { ReplanError } from "./errors.js";
import { checkOptions, rules } from "./options.js";

const settings = {
  where: "createThing",
  error: (message: string) => new ReplanError("invalid-options", message),
};

const shape = {
  timeoutMs: rules.integer({ min: 1, max: 1_000 }),
  ratio: rules.number({ above: 0, max: 1 }),
  mode: rules.oneOf(["kill", "truncate"]),
  name: rules.string({ nonEmpty: true }),
  verbose: rules.boolean(),
  onEvent: rules.func(),
  signal: rules.signal(),
  budget: rules.object(
    { maxSteps: rules.integer({ min: 1 }), maxReplans: rules.integer({ min: 0 }) },
    "budget",
  ),
  headers: rules.record(rules.string()),
  tags: rules.array(rules.string({ nonEmpty: true }), { minLength: 1 }),
  sandbox: rules.either(rules.boolean(), rules.object({ network: rules.boolean() }, "sandbox")),
  id: rules.custom(
    "be a UUID",
    (value): value is string => typeof value === "string" && /^[0-9a-f-]{36}$/.test(value),
  ),
};

function messageOf(options: unknown): string {
  try {
    checkOptions(options, shape, settings);
  } catch (error) {
    expect(ReplanError.isInstance(error)).toBe(true);
    expect((error as ReplanError).code).toBe("invalid-options");
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe("checkOptions", () => {
  test("absent options and absent keys stay absent; present ones are returned checked", () => {
    expect(checkOptions(undefined, shape, settings)).toEqual({});
    const signal = new AbortController().signal;
    const checked = checkOptions(
      { timeoutMs: 5, budget: { maxSteps: 3 }, sandbox: { network: true }, signal, tags: ["a"], ratio: 1 },
      shape,
      settings,
    );
    expect(checked).toEqual({
      timeoutMs: 5,
      budget: { maxSteps: 3 },
      sandbox: { network: true },
      signal,
      tags: ["a"],
      ratio: 1,
    });
    expect(Object.keys(checked.budget!)).toEqual(["maxSteps"]);
    expect(checkOptions({ sandbox: false }, shape, settings).sandbox).toBe(false);
  });

  test.each([
    [null, "The options of createThing must be an object, got null"],
    ["fast", 'The options of createThing must be an object, got "fast"'],
    [[1], "The options of createThing must be an object, got an array of 1"],
    [{ timeoutMs: 0 }, 'Option "timeoutMs" must be an integer from 1 to 1000, got 0'],
    [{ timeoutMs: Number.NaN }, 'Option "timeoutMs" must be an integer from 1 to 1000, got NaN'],
    [{ timeoutMs: 1.5 }, 'Option "timeoutMs" must be an integer from 1 to 1000, got 1.5'],
    [{ timeoutMs: "5" }, 'Option "timeoutMs" must be an integer from 1 to 1000, got "5"'],
    [{ ratio: 0 }, 'Option "ratio" must be a number > 0 and <= 1, got 0'],
    [{ ratio: Number.POSITIVE_INFINITY }, 'Option "ratio" must be a number > 0 and <= 1, got Infinity'],
    [{ mode: "stop" }, 'Option "mode" must be "kill" or "truncate", got "stop"'],
    [{ name: "  " }, 'Option "name" must be a non-empty string, got "  "'],
    [{ verbose: "yes" }, 'Option "verbose" must be true or false, got "yes"'],
    [{ onEvent: {} }, 'Option "onEvent" must be a function, got an object'],
    [{ signal: {} }, 'Option "signal" must be an AbortSignal, got an object'],
    [{ budget: null }, 'Option "budget" must be an object, got null'],
    [{ budget: "lots" }, 'Option "budget" must be an object, got "lots"'],
    [{ budget: { maxSteps: -1 } }, 'Option "budget.maxSteps" must be an integer >= 1, got -1'],
    [
      { budget: { maxStep: 2 } },
      'Option "budget.maxStep" must be one of the options of budget: maxSteps, maxReplans (did you mean "maxSteps"?), got 2',
    ],
    [{ headers: { a: 1 } }, 'Option "headers.a" must be a string, got 1'],
    [
      { headers: JSON.parse('{"__proto__": "x"}') },
      'Option "headers.__proto__" must not be named __proto__, got "__proto__"',
    ],
    [{ tags: [] }, 'Option "tags" must be an array of 1 or more items, got an array of 0'],
    [{ tags: ["a", ""] }, 'Option "tags[1]" must be a non-empty string, got ""'],
    [{ sandbox: "on" }, 'Option "sandbox" must be true or false or an object, got "on"'],
    [{ sandbox: { network: 1 } }, 'Option "sandbox.network" must be true or false, got 1'],
    [{ id: "x" }, 'Option "id" must be a UUID, got "x"'],
    [
      { Timeoutms: 1 },
      'Option "Timeoutms" must be one of the options of createThing: timeoutMs, ratio, mode, name, verbose, onEvent, signal, budget, headers, tags, sandbox, id (did you mean "timeoutMs"?), got 1',
    ],
  ])("%j is refused: %s", (options, message) => {
    expect(messageOf(options)).toBe(message);
  });

  test("a required option must be present", () => {
    const required = { goal: rules.required(rules.string({ nonEmpty: true })) };
    expect(() => checkOptions({}, required, settings)).toThrow(
      'Option "goal" must be a non-empty string, got undefined',
    );
    const checked: { goal: string } = checkOptions({ goal: "g" }, required, settings);
    expect(checked.goal).toBe("g");
  });

  test("an error thrown by a custom check that is not a refusal passes through unchanged", () => {
    const boom = new TypeError("boom");
    const throwing = {
      x: rules.custom("be fine", (_value): _value is number => {
        throw boom;
      }),
    };
    expect(() => checkOptions({ x: 1 }, throwing, settings)).toThrow(boom);
  });
});

describe("rules.secret", () => {
  const secretShape = {
    token: rules.secret(rules.string({ nonEmpty: true })),
    env: rules.secret(rules.record(rules.string())),
    auth: rules.secret(rules.object({ bearer: rules.string() }, "auth")),
    list: rules.secret(rules.array(rules.object({ value: rules.string() }, "entry"))),
  };
  function secretMessage(options: unknown): string {
    try {
      checkOptions(options, secretShape, settings);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("accepted");
  }

  test("a bad secret option's message names the kind of the value, never the value, at any depth", () => {
    const cases: [unknown, string][] = [
      [
        { env: "sk-ENVSECRET-42" },
        'Option "env" must be an object whose values are a string, got a string (not shown: secret)',
      ],
      [{ token: 4242 }, 'Option "token" must be a non-empty string, got a number'],
      [{ env: { KEY: { nested: "sk-ENVSECRET-42" } } }, 'Option "env.KEY"'],
      [{ auth: { bearer: 42, extra: "sk-ENVSECRET-42" } }, 'Option "auth.extra"'],
      [{ auth: { bearer: 4242 } }, 'Option "auth.bearer" must be a string, got a number'],
      [{ list: [{ value: "ok" }, { value: ["sk-ENVSECRET-42"] }] }, 'Option "list[1].value"'],
    ];
    for (const [options, start] of cases) {
      const message = secretMessage(options);
      expect(message).toContain(start);
      expect(message).not.toContain("ENVSECRET");
      expect(message).not.toContain("4242");
      expect(message).toContain("not shown: secret");
    }
  });

  test("a secret rule accepts what its rule accepts", () => {
    expect(checkOptions({ env: { A: "b" }, token: "t" }, secretShape, settings)).toEqual({
      env: { A: "b" },
      token: "t",
    });
  });
});

describe("rules.toolName", () => {
  const nameShape = { name: rules.toolName() };
  test("accepts chat-model function names, refuses the names every object has", () => {
    expect(checkOptions({ name: "http_request-2" }, nameShape, settings)).toEqual({ name: "http_request-2" });
    for (const name of ["__proto__", "constructor", "prototype", "my tool", "", "x".repeat(65), 5]) {
      expect(() => checkOptions({ name }, nameShape, settings)).toThrow(/^Option "name" must be a tool name/);
    }
  });
});
