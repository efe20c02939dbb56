import { once } from "node:events";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, test } from "vitest";
import { readBody } from "./body.js";

describe("readBody", () => {
  test("reads a node:http request within the limit, and drops a larger one so that 413 can be answered", async () => {
    const server = createServer(async (incoming, response) => {
      const text = await readBody(incoming, { limitBytes: 10 });
      response.writeHead(text === undefined ? 413 : 200).end(text ?? "too large");
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const post = (body: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const outgoing = request({ port, host: "127.0.0.1", method: "POST" }, (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk) => (text += chunk));
          response.on("end", () => resolve({ status: response.statusCode!, text }));
        });
        outgoing.on("error", reject);
        outgoing.end(body);
      });
    try {
      expect(await post("héllo")).toEqual({ status: 200, text: "héllo" });
      expect(await post("x".repeat(100_000))).toEqual({ status: 413, text: "too large" });
      expect(await post("")).toEqual({ status: 200, text: "" });
    } finally {
      server.close();
    }
  });

  test("a signal gives the read up with its reason", async () => {
    async function* never(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([104]);
      await new Promise(() => {});
    }
    const controller = new AbortController();
    const reading = readBody(never(), { limitBytes: 10, signal: controller.signal });
    controller.abort(new Error("gave up"));
    await expect(reading).rejects.toThrow("gave up");
  });
});
