import { readFileSync } from "node:fs";
import { ToolMessage } from "@langchain/core/messages";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HttpToolError } from "./errors.js";
import { createOpenApiTools, openApiOperations } from "./openapi.js";
import { local, sendJson, startServer, type TestServer } from "./test-helpers.js";

/** The Swagger Petstore (expanded) example of the OpenAPI Specification repository, unchanged. */
const petstore = JSON.parse(
  readFileSync(new URL("./fixtures/petstore-expanded.json", import.meta.url), "utf8"),
) as unknown;

let server: TestServer;
let pets: { id: number; name: string; tag?: string }[];

beforeEach(async () => {
  pets = [
    { id: 1, name: "Rex", tag: "dog" },
    { id: 2, name: "Tom", tag: "cat" },
  ];
  // A tiny implementation of the Petstore under /api.
  server = await startServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const byId = /^\/api\/pets\/(\d+)$/.exec(url.pathname);
    if (url.pathname === "/api/pets" && request.method === "GET") {
      const tags = url.searchParams.getAll("tags");
      const limit = Number(url.searchParams.get("limit") ?? 100);
      const found = pets.filter((pet) => tags.length === 0 || (pet.tag && tags.includes(pet.tag)));
      return sendJson(response, 200, found.slice(0, limit));
    }
    if (url.pathname === "/api/pets" && request.method === "POST") {
      const pet = { id: pets.length + 1, ...(JSON.parse(request.body) as { name: string; tag?: string }) };
      pets.push(pet);
      return sendJson(response, 200, pet);
    }
    if (byId && request.method === "GET") {
      const pet = pets.find((candidate) => candidate.id === Number(byId[1]));
      return pet
        ? sendJson(response, 200, pet)
        : sendJson(response, 404, { code: 404, message: "not found" });
    }
    if (byId && request.method === "DELETE") {
      pets = pets.filter((candidate) => candidate.id !== Number(byId[1]));
      return void response.writeHead(204).end();
    }
    if (url.pathname === "/api/away")
      return void response.writeHead(302, { location: "http://elsewhere.test/" }).end();
    sendJson(response, 404, { code: 404, message: "no route" });
  });
});
afterEach(() => server.close());

const options = () => ({ ...local, baseUrl: `${server.origin}/api` });

describe("openApiOperations on the Petstore document", () => {
  it("makes one operation per path and method, with sanitized names and descriptions", () => {
    const operations = openApiOperations(petstore, options());
    expect(operations.map(({ name, method, path }) => [name, method, path])).toEqual([
      ["findPets", "GET", "/pets"],
      ["addPet", "POST", "/pets"],
      ["find_pet_by_id", "GET", "/pets/{id}"],
      ["deletePet", "DELETE", "/pets/{id}"],
    ]);
    expect(operations[2]?.operationId).toBe("find pet by id");
    expect(operations[0]?.description).toMatch(/^GET \/pets: Returns all pets/);
    expect(operations[0]?.description.length).toBeLessThanOrEqual(1000);
  });

  it("builds schemas from parameters and the $ref'd request body", () => {
    const [findPets, addPet, findPetById] = openApiOperations(petstore, options());
    expect(findPets!.schema.safeParse({ tags: ["dog"], limit: 2 }).success).toBe(true);
    expect(findPets!.schema.safeParse({}).success).toBe(true);
    expect(findPets!.schema.safeParse({ limit: 1.5 }).success).toBe(false);
    expect(findPets!.schema.safeParse({ tags: "dog" }).success).toBe(false);
    expect(addPet!.schema.safeParse({ body: { name: "Rex", tag: "dog" } }).success).toBe(true);
    expect(addPet!.schema.safeParse({ body: { tag: "dog" } }).success).toBe(false);
    expect(addPet!.schema.safeParse({}).success).toBe(false);
    expect(findPetById!.schema.safeParse({ id: 7 }).success).toBe(true);
    expect(findPetById!.schema.safeParse({}).success).toBe(false);
    expect(findPetById!.schema.shape.id?.description).toBe("ID of pet to fetch");
  });

  it("calls the API through the safe request function", async () => {
    const operations = Object.fromEntries(
      openApiOperations(petstore, options()).map((operation) => [operation.name, operation]),
    );
    const listed = await operations.findPets!.call({ tags: ["dog", "bird"], limit: 5 });
    expect(listed).toMatchObject({ status: 200, body: [{ id: 1, name: "Rex" }] });
    expect(server.hits.at(-1)?.url).toBe("/api/pets?tags=dog&tags=bird&limit=5");
    const added = await operations.addPet!.call({ body: { name: "Nemo", tag: "fish" } });
    expect(added.body).toEqual({ id: 3, name: "Nemo", tag: "fish" });
    expect(server.hits.at(-1)?.headers["content-type"]).toBe("application/json");
    const deleted = await operations.deletePet!.call({ id: 3 });
    expect(deleted).toMatchObject({ status: 204, body: null });
    expect(pets.map((pet) => pet.id)).toEqual([1, 2]);
  });

  it("refuses arguments that do not match, and path traversal", async () => {
    const findPetById = openApiOperations(petstore, options())[2]!;
    const error = await findPetById.call({ id: "1/../../admin" }).catch((caught: unknown) => caught);
    expect(HttpToolError.isInstance(error) && error.code).toBe("invalid-request");
    const document = {
      openapi: "3.0.3",
      paths: {
        "/files/{name}": { get: { parameters: [{ name: "name", in: "path", schema: { type: "string" } }] } },
      },
    };
    const [getFile] = openApiOperations(document, options());
    for (const name of ["..", "."]) {
      const traversal = await getFile!.call({ name }).catch((caught: unknown) => caught);
      expect(HttpToolError.isInstance(traversal) && traversal.code).toBe("invalid-request");
    }
    expect(server.hits).toHaveLength(0);
    await getFile!.call({ name: "a/../b c" });
    expect(server.hits[0]?.url).toBe("/api/files/a%2F..%2Fb%20c");
  });

  it("keeps calls on the API's host: a redirect elsewhere is refused", async () => {
    const document = {
      openapi: "3.1.0",
      info: { title: "t", version: "1" },
      paths: { "/away": { get: { operationId: "goAway" } } },
    };
    const [goAway] = openApiOperations(document, {
      ...options(),
      lookup: async () => [{ address: "127.0.0.1", family: 4 }],
    });
    const error = await goAway!.call({}).catch((caught: unknown) => caught);
    expect(HttpToolError.isInstance(error) && error.code).toBe("host-not-allowed");
  });

  it("keeps only the listed operations and the allowed methods", () => {
    expect(
      openApiOperations(petstore, { ...options(), operations: ["findPets", "find pet by id"] }).map(
        (o) => o.name,
      ),
    ).toEqual(["findPets", "find_pet_by_id"]);
    expect(openApiOperations(petstore, { ...options(), methods: ["GET"] }).map((o) => o.name)).toEqual([
      "findPets",
      "find_pet_by_id",
    ]);
  });

  it("uses servers[0].url as the default base URL", async () => {
    const [findPets] = openApiOperations(petstore, { allowedHosts: undefined });
    // petstore.swagger.io is not reachable from here: refuse it through the injected resolver instead.
    const refused = openApiOperations(petstore, {
      lookup: async () => [{ address: "10.0.0.1", family: 4 }],
      retries: 0,
    });
    const error = await refused[0]!.call({}).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('resolved from "petstore.swagger.io"');
    expect(findPets?.name).toBe("findPets");
  });
});

describe("createOpenApiTools", () => {
  it("makes LangChain tools that answer with the response, or the error, as content", async () => {
    const tools = createOpenApiTools(petstore, options());
    expect(tools.map((tool) => tool.name)).toEqual(["findPets", "addPet", "find_pet_by_id", "deletePet"]);
    // What the model is shown: a JSON Schema with the $ref'd body resolved.
    expect(toJsonSchema(tools[1]!.schema)).toMatchObject({
      type: "object",
      required: ["body"],
      properties: { body: { type: "object", required: ["name"], properties: { name: { type: "string" } } } },
    });
    const findPetById = tools[2]!;
    const message = (await findPetById.invoke({
      type: "tool_call",
      name: "find_pet_by_id",
      id: "call_7",
      args: { id: 2 },
    })) as ToolMessage;
    expect(message).toBeInstanceOf(ToolMessage);
    expect(JSON.parse(message.content as string)).toMatchObject({
      status: 200,
      body: { id: 2, name: "Tom" },
    });
    const missing = JSON.parse((await findPetById.invoke({ id: 99 })) as string);
    expect(missing).toMatchObject({ ok: false, status: 404, body: { message: "not found" } });
  });
});

describe("document errors", () => {
  const code = (document: unknown, extra = {}) => {
    try {
      openApiOperations(document, { baseUrl: "https://api.example.com", ...extra });
      return "ok";
    } catch (error) {
      return HttpToolError.isInstance(error) ? error.code : "other";
    }
  };

  it("refuses what is not an OpenAPI 3 document", () => {
    expect(code("{}")).toBe("invalid-openapi");
    expect(code({ swagger: "2.0", paths: {} })).toBe("invalid-openapi");
    expect(code({ openapi: "3.0.3" })).toBe("invalid-openapi");
  });

  it("refuses remote and dangling $refs", () => {
    const withRef = (ref: string) => ({
      openapi: "3.0.3",
      paths: { "/a": { get: { parameters: [{ $ref: ref }] } } },
      components: { parameters: {} },
    });
    expect(code(withRef("https://evil.example/schema.json"))).toBe("invalid-openapi");
    expect(code(withRef("#/components/parameters/missing"))).toBe("invalid-openapi");
  });

  it("survives recursive schemas", () => {
    const document = {
      openapi: "3.0.3",
      paths: {
        "/nodes": {
          post: {
            requestBody: {
              content: { "application/json": { schema: { $ref: "#/components/schemas/Node" } } },
            },
          },
        },
      },
      components: {
        schemas: {
          Node: {
            type: "object",
            properties: {
              name: { type: "string" },
              children: { type: "array", items: { $ref: "#/components/schemas/Node" } },
            },
          },
        },
      },
    };
    const [operation] = openApiOperations(document, { baseUrl: "https://api.example.com" });
    expect(operation?.name).toBe("post_nodes");
    expect(
      operation?.schema.safeParse({ body: { name: "a", children: [{ name: "b", children: [] }] } }).success,
    ).toBe(true);
  });

  it("merges allOf and converts enums, nullables and unions", () => {
    const document = {
      openapi: "3.0.3",
      paths: {
        "/pets/{id}": {
          put: {
            parameters: [{ name: "id", in: "path", schema: { type: "integer" } }],
            requestBody: {
              required: true,
              content: { "application/json": { schema: { $ref: "#/components/schemas/Pet" } } },
            },
          },
        },
      },
      components: {
        schemas: {
          ...(petstore as { components: { schemas: object } }).components.schemas,
          Pet: {
            allOf: [
              { $ref: "#/components/schemas/NewPet" },
              {
                type: "object",
                required: ["id"],
                properties: {
                  id: { type: "integer" },
                  status: { type: "string", enum: ["available", "sold"], nullable: true },
                  owner: { oneOf: [{ type: "string" }, { type: "integer" }] },
                },
              },
            ],
          },
        },
      },
    };
    const [operation] = openApiOperations(document, { baseUrl: "https://api.example.com" });
    const parse = (body: unknown) => operation!.schema.safeParse({ id: 1, body }).success;
    expect(operation?.name).toBe("put_pets_id");
    expect(parse({ id: 1, name: "Rex", status: null, owner: 7 })).toBe(true);
    expect(parse({ id: 1, name: "Rex", status: "sold", owner: "ann" })).toBe(true);
    expect(parse({ name: "Rex" })).toBe(false);
    expect(parse({ id: 1 })).toBe(false);
    expect(parse({ id: 1, name: "Rex", status: "lost" })).toBe(false);
    expect(parse({ id: 1, name: "Rex", owner: true })).toBe(false);
  });

  it("needs an absolute base URL", () => {
    const document = { openapi: "3.0.3", servers: [{ url: "/v1" }], paths: {} };
    expect(code(document, { baseUrl: undefined })).toBe("invalid-options");
    expect(code(document, { baseUrl: "ftp://api.example.com" })).toBe("invalid-options");
  });
});

describe("tool names from operationIds", () => {
  it("never names a tool __proto__, constructor or prototype", () => {
    const document = {
      openapi: "3.0.3",
      paths: {
        "/a": { get: { operationId: "constructor" } },
        "/b": { get: { operationId: "prototype" } },
        "/c": { get: { operationId: "__proto__" } },
      },
    };
    const names = openApiOperations(document, { baseUrl: "https://api.example.com" }).map(({ name }) => name);
    expect(names).toEqual(["constructor_operation", "prototype_operation", "proto"]);
    const kept = openApiOperations(document, {
      baseUrl: "https://api.example.com",
      operations: ["constructor"],
    });
    expect(kept.map(({ name }) => name)).toEqual(["constructor_operation"]);
  });
});
