import { afterEach, describe, expect, it } from "vitest";
import { createOpenApiTools, openApiOperations } from "./openapi.js";
import { local, startServer, type TestServer } from "./test-helpers.js";
import { createHttpTool } from "./tool.js";

// Issue #20: the tools sent their own `write` requests again after a dropped connection.
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
/** A server that reads the body of every request, then drops the connection without answering. */
async function dropping(): Promise<TestServer> {
  const server = await startServer((request) => void request.socket.destroy());
  servers.push(server);
  return server;
}
const noWait = { ...local, sleep: async () => {} };

function chargeDocument(origin: string, effect: string) {
  return {
    openapi: "3.0.0",
    info: { title: "t", version: "1" },
    servers: [{ url: origin }],
    paths: {
      "/charge": {
        put: {
          operationId: "charge",
          "x-effect": effect,
          requestBody: { content: { "application/json": { schema: { type: "object" } } } },
          responses: {},
        },
      },
    },
  };
}

describe("a write request is sent once", () => {
  it("the HTTP tool sends a PUT once and answers outcome-unknown", async () => {
    const server = await dropping();
    const tool = createHttpTool({ ...noWait, methods: ["PUT"] });
    const text = await tool.invoke({ method: "PUT", url: `${server.origin}/charge`, json: { amount: 42 } });
    expect(JSON.parse(text as string)).toMatchObject({ error: { code: "outcome-unknown" } });
    expect(server.hits).toHaveLength(1);
  });

  it("an OpenAPI PUT with x-effect write is sent once; one with x-effect idempotent is retried", async () => {
    const server = await dropping();
    const [charge] = createOpenApiTools(chargeDocument(server.origin, "write"), {
      ...noWait,
      methods: ["PUT"],
    });
    const text = await charge!.invoke({ body: { amount: 1 } });
    expect(JSON.parse(text as string)).toMatchObject({ error: { code: "outcome-unknown" } });
    expect(server.hits).toHaveLength(1);

    const [idempotent] = openApiOperations(chargeDocument(server.origin, "idempotent"), noWait);
    await expect(idempotent!.call({ body: { amount: 1 } })).rejects.toMatchObject({ code: "network-error" });
    expect(server.hits).toHaveLength(4);
  });

  it("the effects option decides the retries as well as the metadata", async () => {
    const server = await dropping();
    const [asWrite] = openApiOperations(chargeDocument(server.origin, "idempotent"), {
      ...noWait,
      effects: { charge: "write" },
    });
    await expect(asWrite!.call({ body: {} })).rejects.toMatchObject({ code: "outcome-unknown" });
    expect(server.hits).toHaveLength(1);
  });

  it("a tool declared idempotent retries its PUTs", async () => {
    const server = await dropping();
    const tool = createHttpTool({ ...noWait, methods: ["PUT"], effect: "idempotent" });
    const text = await tool.invoke({ method: "PUT", url: `${server.origin}/x`, json: {} });
    expect(JSON.parse(text as string)).toMatchObject({ error: { code: "network-error" } });
    expect(server.hits).toHaveLength(3);
  });
});

describe("the effects option's error", () => {
  it("lists only the operations that are kept, not those excluded by operations", () => {
    const document = chargeDocument("https://api.example.com", "write");
    (document.paths as Record<string, unknown>)["/status"] = {
      get: { operationId: "status", responses: {} },
    };
    let message = "";
    try {
      openApiOperations(document, { operations: ["status"], effects: { charge: "read" } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('"effects.charge"');
    expect(message).toMatch(/: status; got/);
  });
});
