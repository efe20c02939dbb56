// The demo service on its own: a real server on 127.0.0.1, asked over HTTP.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Service, startService } from "./service.js";

describe("the demo service", () => {
  let service: Service;
  let hitsFile: string;
  beforeAll(async () => {
    hitsFile = join(mkdtempSync(join(tmpdir(), "replan-demo-service-")), "hits.json");
    service = await startService({ hitsFile, speed: 1000 });
  });
  afterAll(() => service.close());

  const post = (path: string, body: string) =>
    fetch(`${service.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("documents every route in its OpenAPI document, with the parameters and bodies it reads", async () => {
    const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { operationId: string; parameters?: unknown[]; requestBody?: unknown }>
      >;
    };
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));
    expect(operations).toHaveLength(9);
    const stock = document.paths["/warehouses/{warehouse}/stock"]?.get;
    expect(stock?.parameters).toEqual([
      { name: "warehouse", in: "path", required: true, schema: { type: "string" } },
    ]);
    expect(document.paths["/reports"]?.post?.requestBody).toMatchObject({ required: true });
  });

  it("answers a route, counts its hit, and refuses a body that is not JSON (400) or larger than 1 MB (413)", async () => {
    const report = await post("/reports", JSON.stringify({ title: "weekly" }));
    expect(report.status).toBe(201);
    expect(await report.json()).toMatchObject({ title: "weekly" });
    expect((await post("/reports", "{oops")).status).toBe(400);
    const large = await post("/reports", JSON.stringify({ title: "x".repeat(1_100_000) }));
    expect([large.status, await large.json()]).toEqual([413, { error: "the body is larger than 1 MB" }]);
    expect(JSON.parse(readFileSync(hitsFile, "utf8"))).toEqual({ publishReport: 2 });
  });
});
