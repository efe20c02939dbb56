import { ToolMessage } from "@langchain/core/messages";
import { afterEach, describe, expect, it } from "vitest";
import { HttpToolError } from "./errors.js";
import { local, sendJson, startServer, type TestServer } from "./test-helpers.js";
import { createHttpTool } from "./tool.js";

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function serve(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}

const toolCall = (args: Record<string, unknown>, id = "call_1") => ({
  type: "tool_call" as const,
  name: "http_request",
  id,
  args,
});

describe("createHttpTool", () => {
  it("answers plain input with the response as JSON text", async () => {
    const server = await serve((request, response) =>
      sendJson(response, 200, { got: JSON.parse(request.body) }),
    );
    const httpTool = createHttpTool(local);
    expect(httpTool.name).toBe("http_request");
    const text = await httpTool.invoke({
      method: "POST",
      url: `${server.origin}/items`,
      json: { name: "rex" },
    });
    expect(typeof text).toBe("string");
    expect(JSON.parse(text as string)).toMatchObject({
      ok: true,
      status: 200,
      body: { got: { name: "rex" } },
    });
  });

  it("answers a tool call with a ToolMessage carrying the response as artifact", async () => {
    const server = await serve((_request, response) => sendJson(response, 404, { error: "no such pet" }));
    const message = await createHttpTool(local).invoke(toolCall({ url: `${server.origin}/pets/9` }));
    expect(message).toBeInstanceOf(ToolMessage);
    // a 404 is an answer (kept as artifact) but a failed call: status "error", so a plan step fails
    expect(message.status).toBe("error");
    expect(message.tool_call_id).toBe("call_1");
    expect(message.artifact).toMatchObject({ ok: false, status: 404 });
    expect(JSON.parse(message.content as string)).toMatchObject({
      status: 404,
      body: { error: "no such pet" },
    });
  });

  it("returns refusals to the model as error content, never throwing", async () => {
    const httpTool = createHttpTool();
    const message = await httpTool.invoke(toolCall({ url: "http://169.254.169.254/latest/meta-data/" }));
    expect(message.status).toBe("error");
    expect(JSON.parse(message.content as string)).toEqual({
      error: { code: "address-not-allowed", message: expect.stringContaining("169.254.169.254") },
    });
    const text = await httpTool.invoke({ url: "file:///etc/passwd" });
    expect(JSON.parse(text as string).error.code).toBe("scheme-not-allowed");
  });

  it("adds secret headers out of the model's sight", async () => {
    const server = await serve((request, response) =>
      sendJson(response, 200, { auth: request.headers.authorization }),
    );
    const httpTool = createHttpTool({
      ...local,
      secretHeaders: { authorization: "Bearer tool-secret-value" },
    });
    const message = await httpTool.invoke(toolCall({ url: `${server.origin}/` }));
    expect(server.hits[0]?.headers.authorization).toBe("Bearer tool-secret-value");
    expect(JSON.stringify([message.content, message.artifact, httpTool.description])).not.toContain(
      "tool-secret-value",
    );
  });

  it("passes the run's signal through and rejects when it aborts", async () => {
    const controller = new AbortController();
    // never answers; the run is cancelled once the request has arrived (load-independent)
    const server = await serve(() => controller.abort(new Error("run cancelled")));
    await expect(
      createHttpTool(local).invoke({ url: `${server.origin}/` }, { signal: controller.signal }),
    ).rejects.toThrow(/cancelled|abort/i);
    for (let wait = 0; wait < 100 && server.closedSockets() === 0; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(server.closedSockets()).toBe(1);
  });

  it("restricts the schema to the allowed methods and describes the allowed hosts", async () => {
    const httpTool = createHttpTool({
      methods: ["GET", "HEAD"],
      allowedHosts: ["api.example.com"],
      name: "fetch_api",
    });
    expect(httpTool.name).toBe("fetch_api");
    expect(httpTool.description).toContain("api.example.com");
    await expect(httpTool.invoke({ method: "POST", url: "https://api.example.com/" })).rejects.toThrow(
      /schema/,
    );
  });

  it("validates options when created", () => {
    expect(() => createHttpTool({ name: "has spaces" })).toThrow(HttpToolError);
    expect(() => createHttpTool({ allowedAddresses: ["not-an-ip"] })).toThrow(/allowedAddresses/);
    expect(() => createHttpTool({ maxRedirects: -1 })).toThrow(/maxRedirects/);
  });
});
