// End-to-end: the real ChatOpenAI path, against a scripted OpenAI-compatible server on 127.0.0.1.
import { type ScriptedOpenAIRequest, startScriptedOpenAIServer } from "@replan/langgraph/testing";
import { describe, expect, it } from "vitest";
import { jsonLines, runCli } from "./test-helpers.js";

const plan = {
  steps: [
    { id: "latest", description: "Latest release", dependsOn: [], tool: "getLatestRelease", args: "{}" },
    { id: "bugs", description: "Open bugs", dependsOn: [], tool: "listIssues", args: '{"label":"bug"}' },
    {
      id: "files",
      description: "List the workspace",
      dependsOn: [],
      tool: "shell",
      args: JSON.stringify({ program: "ls", args: ["-1"] }),
    },
  ],
};

function reply(request: ScriptedOpenAIRequest) {
  if (request.body.model !== "gpt-4.1-mini")
    return {
      error: {
        status: 404,
        message: `The model \`${request.body.model}\` does not exist`,
        code: "model_not_found",
      },
    };
  if (request.structuredOutput) return { structured: plan };
  return "ACME 2.4.0 is out; 3 bugs are open (from the scripted server).";
}

describe.concurrent("OpenAI-compatible server", () => {
  for (const method of ["jsonSchema", "functionCalling"] as const) {
    it(`plans and answers through ChatOpenAI (${method})`, async () => {
      const server = await startScriptedOpenAIServer({ apiKey: "sk-test", responses: reply });
      try {
        const { code, stdout, stderr } = await runCli(
          ["Summarise the release", "--json", "--structured-output", method],
          {
            env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: server.url },
          },
        );
        expect(code, stderr).toBe(0);
        expect(stderr).toContain(`model: gpt-4.1-mini at ${server.url}`);
        expect(stderr).not.toContain("offline");
        const result = jsonLines(stdout).at(-1)!;
        expect(result).toMatchObject({
          type: "result",
          status: "completed",
          offline: false,
          model: "gpt-4.1-mini",
        });
        expect(result.answer).toContain("from the scripted server");
        expect(result.serviceHits).toEqual({ getLatestRelease: 1, listIssues: 1 });
        const chats = server.requests.filter((request) => request.path === "/v1/chat/completions");
        expect(chats).toHaveLength(2);
        const first = chats[0]!.body as {
          tools?: Array<{ function: { name: string } }>;
          response_format?: unknown;
        };
        if (method === "jsonSchema") expect(first.response_format).toBeDefined();
        else expect(first.tools?.[0]?.function.name).toBe("plan");
        // the planner's prompt lists the composed tools
        const prompt = JSON.stringify(chats[0]!.body);
        for (const name of ["getStock", "createStockReport", "http_request", "shell"])
          expect(prompt).toContain(name);
      } finally {
        await server.close();
      }
    });
  }

  it("an unknown model (the server's 404) is a configuration error (3)", async () => {
    const server = await startScriptedOpenAIServer({ responses: reply });
    try {
      const { code, stderr } = await runCli(["--model", "gpt-nope", "--plain"], {
        env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: server.url },
      });
      expect(code).toBe(3);
      expect(stderr).toContain(`the server at ${server.url} does not know the model "gpt-nope"`);
    } finally {
      await server.close();
    }
  });
});
