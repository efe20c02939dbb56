import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { effectOfMethod, effectOfMethods } from "./effects.js";
import { httpMethods } from "./http-types.js";
import { createOpenApiTools, openApiOperations } from "./openapi.js";
import { createHttpTool } from "./tool.js";

const petstore = JSON.parse(
  readFileSync(new URL("./fixtures/petstore-expanded.json", import.meta.url), "utf8"),
) as { paths: Record<string, Record<string, Record<string, unknown>>> };
const options = { baseUrl: "https://petstore.example.com/api" };
const metadataOf = (tool: unknown) => (tool as { metadata?: { effect?: string } }).metadata;

describe("effect classes of HTTP requests", () => {
  it("GET, HEAD and OPTIONS are read; every other method is write, PUT and DELETE included", () => {
    expect(Object.fromEntries(httpMethods.map((method) => [method, effectOfMethod(method)]))).toEqual({
      GET: "read",
      HEAD: "read",
      OPTIONS: "read",
      POST: "write",
      PUT: "write",
      PATCH: "write",
      DELETE: "write",
    });
    expect(effectOfMethods(["GET", "HEAD"])).toBe("read");
    expect(effectOfMethods(["GET", "DELETE"])).toBe("write");
  });

  it("the HTTP tool is read when only safe methods are allowed, write otherwise, unless the caller says", () => {
    expect(metadataOf(createHttpTool())?.effect).toBe("write");
    expect(metadataOf(createHttpTool({ methods: ["GET", "HEAD"] }))?.effect).toBe("read");
    expect(metadataOf(createHttpTool({ effect: "idempotent" }))?.effect).toBe("idempotent");
    expect(() => createHttpTool({ effect: "safe" as never })).toThrow(/Option "effect" must be "read"/);
  });

  it("an OpenAPI operation takes its method's class, its x-effect, or the caller's effects", () => {
    const byName = (document: unknown, extra = {}) =>
      Object.fromEntries(
        openApiOperations(document, { ...options, ...extra }).map((op) => [op.name, op.effect]),
      );
    expect(byName(petstore)).toEqual({
      findPets: "read",
      addPet: "write",
      find_pet_by_id: "read",
      deletePet: "write",
    });
    const marked = structuredClone(petstore);
    marked.paths["/pets/{id}"]!.delete!["x-effect"] = "idempotent";
    expect(byName(marked).deletePet).toBe("idempotent");
    expect(byName(marked, { effects: { deletePet: "write", addPet: "idempotent" } })).toMatchObject({
      deletePet: "write",
      addPet: "idempotent",
    });
    const tools = createOpenApiTools(marked, options);
    expect(tools.map((tool) => metadataOf(tool)?.effect)).toEqual(["read", "write", "read", "idempotent"]);
  });

  it("refuses an x-effect that is not one of the three, and effects for operations that do not exist", () => {
    const marked = structuredClone(petstore);
    marked.paths["/pets"]!.post!["x-effect"] = "safe";
    expect(() => openApiOperations(marked, options)).toThrow(
      expect.objectContaining({ code: "invalid-openapi", message: expect.stringContaining("x-effect") }),
    );
    expect(() => openApiOperations(petstore, { ...options, effects: { payPet: "read" } })).toThrow(
      expect.objectContaining({
        code: "invalid-options",
        message: expect.stringContaining('"effects.payPet"'),
      }),
    );
    expect(() => openApiOperations(petstore, { ...options, effects: { addPet: "maybe" as never } })).toThrow(
      expect.objectContaining({ code: "invalid-options" }),
    );
  });
});
