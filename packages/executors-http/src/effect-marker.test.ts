// Issue #20: a failure known not to have reached the server says so (`effectHappened: false`), so
// that a `write` step may be retried; one that may have reached it does not. And the effect
// helpers refuse hostile input with a typed error.
import { createServer } from "node:net";
import { effectRuledOut } from "@replan/core";
import { afterEach, describe, expect, it } from "vitest";
import { effectOfMethod, effectOfMethods } from "./effects.js";
import { HttpToolError } from "./errors.js";
import { httpRequest } from "./request.js";
import { local, startServer, type TestServer } from "./test-helpers.js";

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
const noWait = { ...local, sleep: async () => {} };
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** A port on which nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("effectHappened: false on failures that sent nothing", () => {
  it("a POST refused before sending (policy, malformed request, connection refused) is marked", async () => {
    const port = await closedPort();
    const refusals = [
      failure(httpRequest({ url: "http://169.254.169.254/x", method: "POST", json: {} })),
      failure(httpRequest({ url: "ftp://example.com/x", method: "POST" })),
      failure(httpRequest({ url: "http://127.0.0.1/x", method: "GET", body: "no body on GET" }, local)),
      failure(httpRequest({ url: `http://127.0.0.1:${port}/charge`, method: "POST", json: {} }, noWait)),
    ];
    for (const error of await Promise.all(refusals)) {
      expect(HttpToolError.isInstance(error), String(error)).toBe(true);
      expect((error as HttpToolError).effectHappened).toBe(false);
      expect(effectRuledOut(error)).toBe(true);
    }
  });

  it("a POST whose connection dropped after sending, or that was redirected, is not marked", async () => {
    const dropping = await startServer((request) => void request.socket.destroy());
    const redirecting = await startServer((_request, response) => {
      response.writeHead(302, { location: "http://169.254.169.254/next" }).end();
    });
    servers.push(dropping, redirecting);
    const dropped = await failure(
      httpRequest({ url: `${dropping.origin}/charge`, method: "POST", json: {} }, noWait),
    );
    expect((dropped as HttpToolError).code).toBe("outcome-unknown");
    const redirected = await failure(
      httpRequest({ url: `${redirecting.origin}/charge`, method: "POST", json: {} }, noWait),
    );
    expect(HttpToolError.isInstance(redirected)).toBe(true);
    for (const error of [dropped, redirected]) expect(effectRuledOut(error)).toBe(false);
  });
});

describe("the effect helpers with hostile input", () => {
  it("refuse what is not a method, or not a list of methods, with invalid-options", () => {
    const hostile: Array<() => unknown> = [
      () => effectOfMethod(null as never),
      () => effectOfMethod("get" as never),
      () => effectOfMethod({} as never),
      () => effectOfMethods(null as never),
      () => effectOfMethods("GET" as never),
      () => effectOfMethods(["GET", 7] as never),
    ];
    for (const call of hostile) {
      expect(call).toThrow(expect.objectContaining({ code: "invalid-options" }));
      try {
        call();
      } catch (error) {
        expect(HttpToolError.isInstance(error)).toBe(true);
      }
    }
    expect(effectOfMethods([])).toBe("read");
    expect(effectOfMethod("DELETE")).toBe("write");
  });
});
