import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HttpToolError } from "./errors.js";
import { openApiOperations } from "./openapi.js";
import { createRequester, httpRequest } from "./request.js";
import { createHttpTool } from "./tool.js";

const petstore: unknown = JSON.parse(
  readFileSync(new URL("./fixtures/petstore-expanded.json", import.meta.url), "utf8"),
);

/** What an entry point throws (or rejects with) for `options`. */
async function errorOf(entry: string, options: unknown): Promise<unknown> {
  try {
    if (entry === "createHttpTool") createHttpTool(options as never);
    else if (entry === "createRequester") createRequester(options as never);
    else if (entry === "openApiOperations") openApiOperations(petstore, options as never);
    else await httpRequest({ url: "http://127.0.0.1:9/" }, options as never);
  } catch (error) {
    return error;
  }
  return undefined;
}

// [entry point, options, the option the message must name]
const badOptions: [string, unknown, string][] = [
  ["createHttpTool", { timeout: 5 }, "timeout"],
  ["createHttpTool", { allowedHost: ["api.example.com"] }, "allowedHost"],
  ["httpRequest", { retry: 1 }, "retry"],
  ["createRequester", { timeoutMs: 0 }, "timeoutMs"],
  ["createRequester", { timeoutMs: -1 }, "timeoutMs"],
  ["createRequester", { timeoutMs: Number.NaN }, "timeoutMs"],
  ["createRequester", { timeoutMs: "30s" }, "timeoutMs"],
  ["createRequester", { timeoutMs: 2 ** 31 }, "timeoutMs"],
  ["createRequester", { connectTimeoutMs: 1.5 }, "connectTimeoutMs"],
  ["createRequester", { maxResponseBytes: 0 }, "maxResponseBytes"],
  ["createRequester", { maxRequestBytes: -1 }, "maxRequestBytes"],
  ["createRequester", { maxRedirects: Number.POSITIVE_INFINITY }, "maxRedirects"],
  ["createRequester", { retries: null }, "retries"],
  ["createRequester", { retryDelayMs: "fast" }, "retryDelayMs"],
  ["createRequester", { maxRetryDelayMs: -5 }, "maxRetryDelayMs"],
  ["createRequester", { methods: [] }, "methods"],
  ["createRequester", { methods: ["FETCH"] }, "methods"],
  ["createRequester", { methods: "GET" }, "methods"],
  ["createRequester", { allowedHosts: "example.com" }, "allowedHosts"],
  ["createRequester", { allowedHosts: ["*.*.example.com"] }, "allowedHosts"],
  ["createRequester", { allowedHosts: ["https://example.com"] }, "allowedHosts"],
  ["createRequester", { deniedHosts: [""] }, "deniedHosts"],
  ["createRequester", { deniedHosts: [42] }, "deniedHosts"],
  ["createRequester", { allowPrivateNetwork: "yes" }, "allowPrivateNetwork"],
  ["createRequester", { allowedAddresses: ["localhost"] }, "allowedAddresses"],
  ["createRequester", { allowedAddresses: ["10.0.0.0/33"] }, "allowedAddresses"],
  ["createRequester", { lookup: "8.8.8.8" }, "lookup"],
  ["createRequester", { secretHeaders: { "bad header": "x" } }, "secretHeaders"],
  ["createRequester", { secretHeaders: { host: "evil.example" } }, "secretHeaders"],
  ["createRequester", { secretHeaders: { authorization: "a\r\nb" } }, "secretHeaders"],
  ["createRequester", { secretHeaders: [{ hosts: ["*.*"], headers: {} }] }, "secretHeaders[0].hosts[0]"],
  ["createRequester", { secretHeaders: [{ headers: {} }] }, "secretHeaders[0]"],
  ["createRequester", { responseHeaders: [1] }, "responseHeaders"],
  ["createRequester", { now: 5 }, "now"],
  ["createRequester", { sleep: "later" }, "sleep"],
  ["createRequester", { random: 0.5 }, "random"],
  ["httpRequest", { signal: "stop" }, "signal"],
  ["createHttpTool", { name: "has spaces" }, "name"],
  ["createHttpTool", { name: "x".repeat(65) }, "name"],
  ["createHttpTool", { description: 7 }, "description"],
  ["openApiOperations", { baseUrl: 5 }, "baseUrl"],
  ["openApiOperations", { baseUrl: "ftp://api.example.com" }, "baseUrl"],
  ["openApiOperations", { operations: "findPets" }, "operations"],
  ["openApiOperations", { baseUrl: "https://api.example.com", name: "petstore" }, "name"],
  [
    "createHttpTool",
    { secretHeaders: [{ hosts: ["api.example.com"], header: { authorization: "x" } }] },
    "secretHeaders[0].header",
  ],
  [
    "createHttpTool",
    { secretHeaders: [{ hosts: ["api.example.com"], headers: {}, note: "x" }] },
    "secretHeaders[0].note",
  ],
  ["createHttpTool", { secretHeaders: [{ hosts: ["api.example.com"] }] }, "secretHeaders[0].headers"],
  ["openApiOperations", { baseUrl: "https://api.example.com", operations: ["getAA"] }, "operations[0]"],
  [
    "openApiOperations",
    { baseUrl: "https://api.example.com", operations: ["findPets", "getAA"] },
    "operations[1]",
  ],
  ["createHttpTool", { name: "__proto__" }, "name"],
  ["createHttpTool", { name: "constructor" }, "name"],
  ["createHttpTool", { name: "prototype" }, "name"],
  ["createRequester", { retryDelayMs: 3e9 }, "retryDelayMs"],
  ["createRequester", { maxRetryDelayMs: 3e9 }, "maxRetryDelayMs"],
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("bad options", () => {
  it.each(badOptions)("%s(%j) throws invalid-options naming %s", async (entry, options, option) => {
    const error = await errorOf(entry, options);
    expect(HttpToolError.isInstance(error), String(error)).toBe(true);
    expect((error as HttpToolError).code).toBe("invalid-options");
    // The option itself, or an entry or field of it (`methods[0]`, `secretHeaders[0].hosts[0]`).
    expect((error as HttpToolError).message).toMatch(new RegExp(`^Option "${escapeRegExp(option)}[".[]`));
  });

  it("refuses options that are not an object, naming the entry point", async () => {
    for (const options of [null, 5, "fast", []]) {
      const error = await errorOf("createHttpTool", options);
      expect(HttpToolError.isInstance(error), String(options)).toBe(true);
      expect((error as HttpToolError).code).toBe("invalid-options");
      expect((error as HttpToolError).message).toContain("createHttpTool");
    }
  });

  it("never shows a secret header's value in the message", async () => {
    const secret = "sk-live-0123456789abcdef";
    for (const secretHeaders of [
      { authorization: `Bearer ${secret}\n` },
      { host: secret },
      [{ hosts: ["*.*"], headers: { authorization: secret } }],
    ]) {
      const error = (await errorOf("createRequester", { secretHeaders })) as Error;
      expect(error.message).not.toContain(secret);
    }
  });

  it("never shows a bad secret option's value, at any depth", async () => {
    const secret = "sk-HTTPSECRET-42";
    const cases: [string, unknown][] = [
      ["createHttpTool", { secretHeaders: secret }],
      ["createHttpTool", { secretHeaders: [secret] }],
      ["createHttpTool", { secretHeaders: [{ hosts: ["a.example"], header: { authorization: secret } }] }],
      ["createHttpTool", { secretHeaders: [{ hosts: [`${secret} x`], headers: {} }] }],
      ["createRequester", { secretHeaders: { authorization: [secret] } }],
      ["httpRequest", { secretHeaders: { authorization: { token: secret } } }],
      ["openApiOperations", { baseUrl: `https://user:${secret}@` }],
      ["openApiOperations", { baseUrl: `ftp://user:${secret}@api.example.com` }],
      ["openApiOperations", { baseUrl: [secret] }],
    ];
    for (const [entry, options] of cases) {
      const error = (await errorOf(entry, options)) as Error;
      expect(HttpToolError.isInstance(error), `${entry} ${JSON.stringify(options)}`).toBe(true);
      expect(error.message).toMatch(/^Option "(secretHeaders|baseUrl)/);
      expect(error.message).not.toContain("HTTPSECRET");
    }
  });

  it("refuses an unknown operation, naming the known ones", async () => {
    const error = (await errorOf("openApiOperations", {
      baseUrl: "https://api.example.com",
      operations: ["getAA"],
    })) as Error;
    expect(error.message).toContain("findPets");
    expect(error.message).toContain("deletePet");
    expect(error.message).toContain('got "getAA"');
  });

  it("accepts absent options and leaves them to the defaults", async () => {
    expect(await errorOf("createRequester", { timeoutMs: undefined, methods: undefined })).toBeUndefined();
    expect(await errorOf("createHttpTool", undefined)).toBeUndefined();
  });
});
