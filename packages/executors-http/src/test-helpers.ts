/**
 * Test helpers: real HTTP servers on 127.0.0.1, port 0. Not exported from the package.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the server saw it. */
export interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  port: number;
  /** Every request received, in order. */
  hits: Hit[];
  /** Resolves when a connection to the server closes (the next one not yet seen). */
  closedSockets: () => number;
  close: () => Promise<void>;
}

/** Starts a server; the handler gets the request with its body already read. */
export async function startServer(
  handler: (request: IncomingMessage & { body: string }, response: ServerResponse) => void | Promise<void>,
): Promise<TestServer> {
  const hits: Hit[] = [];
  let closed = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      hits.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      void Promise.resolve(handler(Object.assign(request, { body }), response)).catch((error: unknown) => {
        response.destroy(error as Error);
      });
    });
  });
  server.on("connection", (socket) => socket.on("close", () => closed++));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    hits,
    closedSockets: () => closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a JSON response. */
export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(value);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  response.end(text);
}

/** Polls `condition` every 10 ms for up to `ms`. */
export async function eventually(condition: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Options that allow the local test servers (127.0.0.1) and nothing else private. */
export const local = { allowedAddresses: ["127.0.0.1"] } as const;
