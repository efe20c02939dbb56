import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL, enabledTools, resolveRunOptions } from "./config.js";
import { ServerConfigError } from "./errors.js";

const env = { OPENAI_API_KEY: "sk-default", OPENAI_BASE_URL: "http://127.0.0.1:11434/v1" };

describe("resolveRunOptions", () => {
  it("takes its defaults from the environment", () => {
    const options = resolveRunOptions({ thread_id: "t", run_id: "r", "x-request-id": "1" }, env);
    expect(options).toMatchObject({
      model: DEFAULT_MODEL,
      baseUrl: env.OPENAI_BASE_URL,
      apiKeyEnv: "OPENAI_API_KEY",
      apiKey: "sk-default",
      requireApproval: false,
      budget: {},
      finalAnswer: true,
      tools: ["http_request", "shell"],
    });
    expect(resolveRunOptions({}, { REPLAN_MODEL: "llama3.1" }).model).toBe("llama3.1");
  });

  it("reads the run's model, budgets, approval and tools from configurable", () => {
    const options = resolveRunOptions(
      {
        model: "gpt-4.1",
        structuredOutputMethod: "functionCalling",
        requireApproval: true,
        maxReplans: 0,
        concurrency: 2,
        maxSteps: 5,
        maxLlmCalls: 9,
        stepTimeoutMs: 1000,
        tools: ["shell"],
        apiKeyEnv: "OTHER_API_KEY",
      },
      { ...env, OTHER_API_KEY: "sk-other" },
    );
    expect(options).toMatchObject({
      model: "gpt-4.1",
      structuredOutputMethod: "functionCalling",
      requireApproval: true,
      budget: { maxReplans: 0, concurrency: 2, maxSteps: 5, maxLlmCalls: 9 },
      stepTimeoutMs: 1000,
      tools: ["shell"],
      apiKey: "sk-other",
    });
  });

  it("only lets a run choose a base URL the server allows", () => {
    const allowed = {
      ...env,
      REPLAN_ALLOWED_BASE_URLS: "http://10.0.0.5:8000/v1, https://api.openai.com/v1",
    };
    expect(resolveRunOptions({ baseUrl: "http://10.0.0.5:8000/v1/" }, allowed).baseUrl).toBe(
      "http://10.0.0.5:8000/v1/",
    );
    expect(resolveRunOptions({ baseUrl: env.OPENAI_BASE_URL }, env).baseUrl).toBe(env.OPENAI_BASE_URL);
    expect(() => resolveRunOptions({ baseUrl: "https://attacker.example/v1" }, allowed)).toThrow(
      /configurable "baseUrl"/,
    );
  });

  it("refuses bad values, naming the option", () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ maxReplans: -1 }, /"maxReplans"/],
      [{ concurrency: "4" }, /"concurrency"/],
      [{ apiKeyEnv: "POSTGRES_URI" }, /"apiKeyEnv"/],
      [{ structuredOutputMethod: "xml" }, /"structuredOutputMethod"/],
      [{ tools: ["rm"] }, /"tools/],
    ];
    for (const [configurable, message] of cases) {
      let thrown: unknown;
      try {
        resolveRunOptions(configurable, env);
      } catch (error) {
        thrown = error;
      }
      expect(ServerConfigError.isInstance(thrown)).toBe(true);
      expect((thrown as ServerConfigError).code).toBe("invalid-config");
      expect((thrown as Error).message).toMatch(message);
    }
  });

  it("never offers a tool the server did not enable", () => {
    expect(enabledTools({ REPLAN_TOOLS: "shell" })).toEqual(["shell"]);
    expect(enabledTools({ REPLAN_TOOLS: "" })).toEqual([]);
    expect(() => resolveRunOptions({ tools: ["http_request"] }, { REPLAN_TOOLS: "shell" })).toThrow(
      /not enabled/,
    );
    expect(() => enabledTools({ REPLAN_TOOLS: "shell,python" })).toThrow(/unknown tool python/);
  });
});
