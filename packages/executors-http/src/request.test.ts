import { afterEach, describe, expect, it } from "vitest";
import { HttpToolError } from "./errors.js";
import type { HttpRequestOptions } from "./options.js";
import { httpRequest } from "./request.js";
import { eventually, local, sendJson, startServer, type TestServer } from "./test-helpers.js";

const servers: TestServer[] = [];
async function serve(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** The rejection of `promise` (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}
async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await rejection(promise);
  if (!HttpToolError.isInstance(error)) throw error;
  return error.code;
}

/** Records the retry waits instead of waiting. */
function fakeSleep() {
  const delays: number[] = [];
  const sleep = async (ms: number) => {
    delays.push(ms);
  };
  return { delays, sleep };
}

describe("requests and responses", () => {
  it("sends every method with its body and reads the response", async () => {
    const server = await serve((request, response) =>
      sendJson(response, 200, {
        method: request.method,
        body: request.body,
        type: request.headers["content-type"] ?? null,
      }),
    );
    for (const method of ["GET", "DELETE", "OPTIONS"] as const) {
      const result = await httpRequest({ method, url: `${server.origin}/x` }, local);
      expect(result).toMatchObject({
        ok: true,
        status: 200,
        body: { method, body: "" },
        truncated: false,
        attempts: 1,
      });
    }
    for (const method of ["POST", "PUT", "PATCH"] as const) {
      const json = await httpRequest({ method, url: `${server.origin}/x`, json: { a: 1 } }, local);
      expect(json.body).toEqual({ method, body: '{"a":1}', type: "application/json" });
      const text = await httpRequest({ method, url: `${server.origin}/x`, body: "héllo" }, local);
      expect(text.body).toEqual({ method, body: "héllo", type: "text/plain;charset=utf-8" });
    }
    const head = await httpRequest({ method: "HEAD", url: `${server.origin}/x` }, local);
    expect(head).toMatchObject({ status: 200, body: null });
    expect(server.hits.map((hit) => hit.method)).toEqual([
      "GET",
      "DELETE",
      "OPTIONS",
      "POST",
      "POST",
      "PUT",
      "PUT",
      "PATCH",
      "PATCH",
      "HEAD",
    ]);
  });

  it("parses JSON by content type and leaves text, broken JSON and binary alone", async () => {
    const server = await serve((request, response) => {
      const bodies: Record<string, [string, string]> = {
        "/json": ["application/problem+json; charset=utf-8", '{"title":"nope"}'],
        "/text": ["text/plain", '{"not":"parsed"}'],
        "/broken": ["application/json", "{oops"],
        "/binary": ["image/png", "\x89PNG...."],
      };
      const [type, body] = bodies[request.url ?? ""]!;
      response.writeHead(200, { "content-type": type });
      response.end(body);
    });
    const get = (path: string) =>
      httpRequest({ url: `${server.origin}${path}` }, local).then((result) => result.body);
    expect(await get("/json")).toEqual({ title: "nope" });
    expect(await get("/text")).toBe('{"not":"parsed"}');
    expect(await get("/broken")).toBe("{oops");
    expect(await get("/binary")).toBeNull();
  });

  it("sends query and headers, and returns only the allowlisted response headers", async () => {
    const server = await serve((request, response) =>
      sendJson(
        response,
        201,
        { url: request.url, custom: request.headers["x-custom"] },
        { etag: '"v1"', "x-internal-token": "leak", "set-cookie": "s=1" },
      ),
    );
    const result = await httpRequest(
      {
        url: `${server.origin}/items?page=1`,
        query: { tag: ["a", "b c"], n: 2, skip: null },
        headers: { "X-Custom": "yes" },
      },
      local,
    );
    expect(result.body).toEqual({ url: "/items?page=1&tag=a&tag=b+c&n=2", custom: "yes" });
    expect(result.status).toBe(201);
    expect(result.headers).toEqual({
      "content-type": "application/json",
      etag: '"v1"',
      "content-length": "56",
    });
    expect(result.url).toBe(`${server.origin}/items?page=1&tag=a&tag=b+c&n=2`);
  });

  it("returns HTTP error statuses as results", async () => {
    const server = await serve((_request, response) => sendJson(response, 404, { error: "not found" }));
    const result = await httpRequest({ url: `${server.origin}/missing` }, local);
    expect(result).toMatchObject({ ok: false, status: 404, body: { error: "not found" } });
  });

  it("refuses malformed requests before sending anything", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    const url = `${server.origin}/`;
    expect(await codeOf(httpRequest({ method: "POST", url, json: {}, body: "x" }, local))).toBe(
      "invalid-request",
    );
    expect(await codeOf(httpRequest({ method: "GET", url, body: "x" }, local))).toBe("invalid-request");
    expect(await codeOf(httpRequest({ url, headers: { host: "evil.example" } }, local))).toBe(
      "invalid-request",
    );
    expect(await codeOf(httpRequest({ url, headers: { "x-a": "1\r\nx-b: 2" } }, local))).toBe(
      "invalid-request",
    );
    expect(await codeOf(httpRequest({ method: "TRACE" as "GET", url }, local))).toBe("invalid-request");
    expect(await codeOf(httpRequest({ method: "DELETE", url }, { ...local, methods: ["GET"] }))).toBe(
      "method-not-allowed",
    );
    // Untyped input (a planner's arguments) is validated field by field.
    expect(await codeOf(httpRequest({ method: 7, url }, local))).toBe("invalid-request");
    expect(await codeOf(httpRequest({ href: url }, local))).toBe("invalid-url");
    expect(await codeOf(httpRequest({ url, query: { a: { nested: true } } }, local))).toBe("invalid-request");
    expect(await codeOf(httpRequest({ url, headers: { "x-a": 1 } }, local))).toBe("invalid-request");
    expect(server.hits).toHaveLength(0);
  });

  it("validates options eagerly, naming the option", async () => {
    const url = "http://127.0.0.1:9/";
    const bad: HttpRequestOptions[] = [
      { timeoutMs: -1 },
      { maxResponseBytes: 1.5 },
      { retries: Number.NaN },
      { methods: [] },
      { allowedHosts: "example.com" as unknown as string[] },
      { secretHeaders: { "bad header": "x" } },
      { secretHeaders: [{ hosts: ["*.*"], headers: {} }] },
      { sleep: 5 as unknown as HttpRequestOptions["sleep"] },
    ];
    for (const options of bad) expect(await codeOf(httpRequest({ url }, options))).toBe("invalid-options");
    await expect(httpRequest({ url }, { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
  });
});

describe("redirects", () => {
  it("follows redirects, re-checking each hop, and turns 303 into GET", async () => {
    const server = await serve((request, response) => {
      if (request.url === "/start") return void response.writeHead(302, { location: "/middle" }).end();
      if (request.url === "/middle") return void response.writeHead(303, { location: "/end?x=1" }).end();
      sendJson(response, 200, { method: request.method, body: request.body });
    });
    const result = await httpRequest(
      { method: "POST", url: `${server.origin}/start`, json: { a: 1 } },
      local,
    );
    expect(result).toMatchObject({
      status: 200,
      redirects: 2,
      url: `${server.origin}/end?x=1`,
      body: { method: "GET", body: "" },
    });
  });

  it("keeps the method and body on 307", async () => {
    const server = await serve((request, response) => {
      if (request.url === "/start") return void response.writeHead(307, { location: "/end" }).end();
      sendJson(response, 200, { method: request.method, body: request.body });
    });
    const result = await httpRequest({ method: "PUT", url: `${server.origin}/start`, body: "data" }, local);
    expect(result.body).toEqual({ method: "PUT", body: "data" });
  });

  it("refuses a redirect to a metadata address without connecting to it", async () => {
    const server = await serve(
      (_request, response) =>
        void response.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/iam/" }).end(),
    );
    const error = await rejection(
      httpRequest({ url: `${server.origin}/` }, { ...local, allowedHosts: ["127.0.0.1", "169.254.169.254"] }),
    );
    expect(HttpToolError.isInstance(error) && error.code).toBe("address-not-allowed");
    expect(server.hits).toHaveLength(1);
  });

  it("refuses a redirect to a host not on the allowlist, and to another scheme", async () => {
    const target = await serve((_request, response) => sendJson(response, 200, {}));
    const server = await serve((request, response) => {
      const location = request.url === "/file" ? "file:///etc/passwd" : `http://localhost:${target.port}/`;
      response.writeHead(301, { location }).end();
    });
    const options = { ...local, allowedHosts: ["127.0.0.1"] };
    expect(await codeOf(httpRequest({ url: `${server.origin}/` }, options))).toBe("host-not-allowed");
    expect(await codeOf(httpRequest({ url: `${server.origin}/file` }, options))).toBe("scheme-not-allowed");
    expect(target.hits).toHaveLength(0);
  });

  it("caps redirects, and returns the 3xx when maxRedirects is 0", async () => {
    const server = await serve((request, response) => {
      const next = Number(request.url?.slice(1)) + 1;
      response.writeHead(302, { location: `/${next}` }).end();
    });
    expect(await codeOf(httpRequest({ url: `${server.origin}/0` }, { ...local, maxRedirects: 3 }))).toBe(
      "too-many-redirects",
    );
    expect(server.hits.map((hit) => hit.url)).toEqual(["/0", "/1", "/2", "/3"]);
    const raw = await httpRequest({ url: `${server.origin}/0` }, { ...local, maxRedirects: 0 });
    expect(raw).toMatchObject({ status: 302, headers: { location: "/1" }, redirects: 0 });
  });
});

describe("limits", () => {
  it("times out a slow response and closes the connection", async () => {
    const server = await serve(() => {}); // never answers
    const started = Date.now();
    const error = await rejection(
      httpRequest({ url: `${server.origin}/slow` }, { ...local, timeoutMs: 200, retries: 0 }),
    );
    expect(HttpToolError.isInstance(error) && error.code).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(2000);
    await eventually(() => server.closedSockets() === 1);
  });

  it("stops reading an endless body at the cap, flags it, and closes the socket", async () => {
    let written = 0;
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "text/plain" });
      const timer = setInterval(() => {
        response.write("y".repeat(16_384));
        written += 16_384;
      }, 1);
      response.on("close", () => clearInterval(timer));
    });
    const result = await httpRequest(
      { url: `${server.origin}/forever` },
      { ...local, maxResponseBytes: 50_000 },
    );
    expect(result.truncated).toBe(true);
    expect(result.body).toBe(`${"y".repeat(50_000)}\n[truncated: the response is larger than 50000 bytes]`);
    await eventually(() => server.closedSockets() === 1);
    const atClose = written;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(written).toBe(atClose);
  });

  it("refuses a request body over the cap without sending it", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    const error = await rejection(
      httpRequest(
        { method: "POST", url: `${server.origin}/`, body: "é".repeat(600) },
        { ...local, maxRequestBytes: 1000 },
      ),
    );
    expect(HttpToolError.isInstance(error) && error.code).toBe("body-too-large");
    expect(server.hits).toHaveLength(0);
    const ok = await httpRequest(
      { method: "POST", url: `${server.origin}/`, body: "é".repeat(500) },
      { ...local, maxRequestBytes: 1000 },
    );
    expect(ok.status).toBe(200);
  });
});

describe("retries", () => {
  it("retries 5xx on idempotent methods with exponential backoff and jitter", async () => {
    const server = await serve((_request, response) =>
      server.hits.length < 3
        ? sendJson(response, 503, { busy: true })
        : sendJson(response, 200, { done: true }),
    );
    const { delays, sleep } = fakeSleep();
    const result = await httpRequest(
      { url: `${server.origin}/` },
      { ...local, sleep, random: () => 0, retryDelayMs: 100 },
    );
    expect(result).toMatchObject({ status: 200, attempts: 3, body: { done: true } });
    expect(server.hits).toHaveLength(3);
    expect(delays).toEqual([50, 100]);
  });

  it("gives up after the retries and returns the last response", async () => {
    const server = await serve((_request, response) => sendJson(response, 500, { broken: true }));
    const { sleep } = fakeSleep();
    const result = await httpRequest(
      { method: "DELETE", url: `${server.origin}/` },
      { ...local, sleep, retries: 2, effect: "idempotent" },
    );
    expect(result).toMatchObject({ ok: false, status: 500, attempts: 3 });
    expect(server.hits).toHaveLength(3);
  });

  it("honours Retry-After in seconds and as an HTTP date", async () => {
    const now = Date.parse("2026-11-24T12:00:00Z");
    const server = await serve((request, response) => {
      const first = server.hits.filter((hit) => hit.url === request.url).length === 1;
      const retryAfter = request.url === "/seconds" ? "3" : "Tue, 24 Nov 2026 12:00:07 GMT";
      if (first) sendJson(response, 429, {}, { "retry-after": retryAfter });
      else sendJson(response, 200, {});
    });
    const { delays, sleep } = fakeSleep();
    const options = { ...local, sleep, now: () => now };
    expect((await httpRequest({ url: `${server.origin}/seconds` }, options)).status).toBe(200);
    expect((await httpRequest({ url: `${server.origin}/date` }, options)).status).toBe(200);
    expect(delays).toEqual([3000, 7000]);
  });

  it("falls back to the backoff when Retry-After is unreadable", async () => {
    const server = await serve((_request, response) =>
      server.hits.length === 1
        ? sendJson(response, 503, {}, { "retry-after": "soon" })
        : sendJson(response, 200, {}),
    );
    const { delays, sleep } = fakeSleep();
    const result = await httpRequest(
      { url: `${server.origin}/` },
      { ...local, sleep, random: () => 1, retryDelayMs: 40 },
    );
    expect(result).toMatchObject({ status: 200, attempts: 2 });
    expect(delays).toEqual([40]);
  });

  it("does not wait for a Retry-After beyond maxRetryDelayMs", async () => {
    const server = await serve((_request, response) =>
      sendJson(response, 503, {}, { "retry-after": "3600" }),
    );
    const { delays, sleep } = fakeSleep();
    const result = await httpRequest({ url: `${server.origin}/` }, { ...local, sleep });
    expect(result).toMatchObject({ status: 503, attempts: 1, headers: { "retry-after": "3600" } });
    expect(delays).toEqual([]);
  });

  it("never retries POST", async () => {
    const server = await serve((_request, response) => sendJson(response, 503, {}));
    const { sleep } = fakeSleep();
    const result = await httpRequest(
      { method: "POST", url: `${server.origin}/`, json: {} },
      { ...local, sleep },
    );
    expect(result).toMatchObject({ status: 503, attempts: 1 });
    expect(server.hits).toHaveLength(1);
  });

  it("retries network errors for GET, not for POST", async () => {
    const server = await serve((request, response) => {
      if (server.hits.length <= 2) return void request.socket.destroy();
      sendJson(response, 200, { ok: true });
    });
    const { sleep } = fakeSleep();
    const result = await httpRequest({ url: `${server.origin}/` }, { ...local, sleep });
    expect(result).toMatchObject({ status: 200, attempts: 3 });

    const dead = await serve((request) => void request.socket.destroy());
    const error = await rejection(
      httpRequest({ method: "POST", url: `${dead.origin}/`, json: {} }, { ...local, sleep }),
    );
    expect(HttpToolError.isInstance(error) && error.code).toBe("outcome-unknown");
    expect(dead.hits).toHaveLength(1);
  });

  it("sends a write request once: PUT and DELETE are write unless declared otherwise (issue #20)", async () => {
    const dead = await serve((request) => void request.socket.destroy());
    const { sleep } = fakeSleep();
    for (const method of ["PUT", "DELETE", "PATCH"] as const) {
      const error = await rejection(
        httpRequest({ method, url: `${dead.origin}/charge` }, { ...local, sleep }),
      );
      expect(HttpToolError.isInstance(error) && error.code, method).toBe("outcome-unknown");
      expect(HttpToolError.isInstance(error) && error.retryable, method).toBe(false);
      expect((error as Error).message).toContain("not sent again");
    }
    expect(dead.hits.map((hit) => hit.method)).toEqual(["PUT", "DELETE", "PATCH"]);

    const busy = await serve((_request, response) => sendJson(response, 503, {}));
    const result = await httpRequest({ method: "PUT", url: `${busy.origin}/` }, { ...local, sleep });
    expect(result).toMatchObject({ status: 503, attempts: 1 });
    expect(busy.hits).toHaveLength(1);
  });

  it("retries a request declared idempotent, and sends one declared write once even for GET", async () => {
    const dead = await serve((request) => void request.socket.destroy());
    const { sleep } = fakeSleep();
    const error = await rejection(
      httpRequest({ method: "PUT", url: `${dead.origin}/` }, { ...local, sleep, effect: "idempotent" }),
    );
    expect(HttpToolError.isInstance(error) && error.code).toBe("network-error");
    expect(dead.hits).toHaveLength(3);
    await rejection(httpRequest({ url: `${dead.origin}/` }, { ...local, sleep, effect: "write" }));
    expect(dead.hits).toHaveLength(4);
  });

  it("keeps network-error for a write whose connection was refused (nothing was sent)", async () => {
    const server = await serve(() => {});
    const { origin } = server;
    await server.close();
    const { delays, sleep } = fakeSleep();
    expect(
      await codeOf(httpRequest({ method: "POST", url: `${origin}/`, json: {} }, { ...local, sleep })),
    ).toBe("network-error");
    expect(delays).toHaveLength(0);
  });

  it("reports a refused connection as a network error", async () => {
    const server = await serve(() => {});
    const { origin } = server;
    await server.close();
    const { delays, sleep } = fakeSleep();
    expect(await codeOf(httpRequest({ url: `${origin}/` }, { ...local, sleep }))).toBe("network-error");
    expect(delays).toHaveLength(2);
  });
});

describe("cancellation", () => {
  it("rejects with the caller's reason when aborted mid-request, and closes the connection", async () => {
    const controller = new AbortController();
    const reason = new Error("user cancelled");
    // never answers; cancelled once the request has arrived (load-independent)
    const server = await serve(() => controller.abort(reason));
    const error = await rejection(
      httpRequest({ url: `${server.origin}/` }, { ...local, signal: controller.signal }),
    );
    expect(error).toBe(reason);
    await eventually(() => server.closedSockets() === 1);
  });

  it("rejects at once when already aborted, sending nothing", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    const reason = new Error("too late");
    const error = await rejection(
      httpRequest({ url: `${server.origin}/` }, { ...local, signal: AbortSignal.abort(reason) }),
    );
    expect(error).toBe(reason);
    expect(server.hits).toHaveLength(0);
  });

  it("aborts the backoff sleep", async () => {
    const server = await serve((_request, response) => sendJson(response, 503, {}, { "retry-after": "5" }));
    const controller = new AbortController();
    const reason = new Error("stop waiting");
    setTimeout(() => controller.abort(reason), 100);
    const started = Date.now();
    const error = await rejection(
      httpRequest({ url: `${server.origin}/` }, { ...local, signal: controller.signal }),
    );
    expect(error).toBe(reason);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.hits).toHaveLength(1);
  });
});

describe("secret headers", () => {
  const secret = "Bearer sk-live-0123456789abcdef";

  it("reach the server but never the result, even when the server echoes them", async () => {
    const server = await serve((request, response) =>
      sendJson(
        response,
        200,
        { echoed: request.headers.authorization },
        { "content-type": "application/json", etag: secret },
      ),
    );
    const result = await httpRequest(
      { url: `${server.origin}/`, headers: { authorization: "Bearer model-chosen" } },
      { ...local, secretHeaders: { authorization: secret }, responseHeaders: ["etag"] },
    );
    expect(server.hits[0]?.headers.authorization).toBe(secret);
    expect(result.body).toEqual({ echoed: "[redacted]" });
    expect(result.headers).toEqual({ etag: "[redacted]" });
    expect(JSON.stringify(result)).not.toContain("sk-live-0123456789abcdef");
  });

  it("stay with their hosts across redirects and never appear in errors", async () => {
    const lookup = async () => [{ address: "127.0.0.1", family: 4 as const }];
    const other = await serve((request, response) => sendJson(response, 200, { headers: request.headers }));
    const server = await serve((request, response) => {
      if (request.url === "/refused")
        return void response.writeHead(302, { location: "http://10.0.0.1/" }).end();
      response.writeHead(302, { location: `http://other.test:${other.port}/` }).end();
    });
    const options = {
      ...local,
      lookup,
      secretHeaders: [{ hosts: ["127.0.0.1"], headers: { "x-api-key": "key-for-first-host-only" } }],
    };
    const result = await httpRequest(
      { url: `${server.origin}/`, headers: { authorization: "Bearer model", "x-trace": "t" } },
      options,
    );
    expect(server.hits[0]?.headers["x-api-key"]).toBe("key-for-first-host-only");
    expect(other.hits[0]?.headers["x-api-key"]).toBeUndefined();
    expect(other.hits[0]?.headers.authorization).toBeUndefined();
    expect(other.hits[0]?.headers["x-trace"]).toBe("t");
    expect(JSON.stringify(result)).not.toContain("key-for-first-host-only");

    const error = await rejection(httpRequest({ url: `${server.origin}/refused` }, options));
    expect(HttpToolError.isInstance(error) && error.code).toBe("address-not-allowed");
    expect(
      JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack }),
    ).not.toContain("key-for-first-host");
  });
});

describe("connect-time address check", () => {
  it("refuses a name that resolves to a loopback address (DNS rebinding), without connecting", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    const asked: string[] = [];
    const lookup = async (hostname: string) => {
      asked.push(hostname);
      return [{ address: "127.0.0.1", family: 4 as const }];
    };
    const error = await rejection(
      httpRequest({ url: `http://rebind.test:${server.port}/` }, { lookup, retries: 0 }),
    );
    expect(HttpToolError.isInstance(error) && error.code).toBe("address-not-allowed");
    expect((error as Error).message).toContain('127.0.0.1 (resolved from "rebind.test")');
    expect(asked).toEqual(["rebind.test"]);
    expect(server.hits).toHaveLength(0);
  });

  it("connects to the resolved address when it is allowed", async () => {
    const server = await serve((request, response) =>
      sendJson(response, 200, { host: request.headers.host }),
    );
    const lookup = async () => [{ address: "127.0.0.1", family: 4 as const }];
    const result = await httpRequest({ url: `http://api.test:${server.port}/` }, { ...local, lookup });
    expect(result.body).toEqual({ host: `api.test:${server.port}` });
  });

  it("refuses when any resolved address is refused, IPv4-mapped forms included", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    for (const addresses of [
      [
        { address: "127.0.0.1", family: 4 as const },
        { address: "169.254.169.254", family: 4 as const },
      ],
      [{ address: "::ffff:169.254.169.254", family: 6 as const }],
      [{ address: "fd00:ec2::254", family: 6 as const }],
    ]) {
      const lookup = async () => addresses;
      expect(
        await codeOf(
          httpRequest({ url: `http://mixed.test:${server.port}/` }, { ...local, lookup, retries: 0 }),
        ),
      ).toBe("address-not-allowed");
    }
    expect(server.hits).toHaveLength(0);
  });

  it("refuses loopback literal forms before any connection", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    for (const host of [
      "2130706433",
      "0177.0.0.1",
      "0x7f.1",
      "127.1",
      "[::ffff:127.0.0.1]",
      "[::ffff:7f00:1]",
      "[::1]",
      "localhost",
    ]) {
      const lookup = async () => [{ address: "127.0.0.1", family: 4 as const }];
      expect(
        await codeOf(httpRequest({ url: `http://${host}:${server.port}/` }, { lookup, retries: 0 })),
      ).toBe("address-not-allowed");
    }
    expect(server.hits).toHaveLength(0);
  });
});
