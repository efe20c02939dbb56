// Every entry point checks its options before doing anything: an unknown option or a bad value
// throws a ViewError "invalid-options" whose message names the option (`Option "x" must ...`).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { viewDefaults } from "./defaults.js";
import { checkElementName, checkProperty } from "./element-options.js";
import { ViewError } from "./errors.js";
import { type LangGraphClientLike, serveThread } from "./langgraph-sdk.js";
import { startViewServer, type ViewServer } from "./server.js";

let server: ViewServer;
beforeAll(async () => {
  server = await startViewServer();
});
afterAll(async () => {
  await server.close();
});

/** A client that is never called: every row fails before the bridge asks the server anything. */
const client = {
  threads: { getState: async () => ({ values: {}, tasks: [] }) },
  runs: { stream: async function* () {} },
} as unknown as LangGraphClientLike;
const thread = { client, threadId: "t-1", assistantId: "plan_execute" };

type Row = [description: string, call: () => unknown, option: string, says?: RegExp];

const rows: Row[] = [
  // startViewServer
  ["a port above 65535", () => startViewServer({ port: 70_000 }), "port", /from 0 to 65535, got 70000/],
  ["a negative port", () => startViewServer({ port: -1 }), "port"],
  ["a fractional port", () => startViewServer({ port: 1.5 }), "port"],
  ["a port as text", () => startViewServer({ port: "8080" as never }), "port", /got "8080"/],
  ["an empty host", () => startViewServer({ host: "" }), "host"],
  ["a host that is a number", () => startViewServer({ host: 127 as never }), "host"],
  ["a slow-client timeout of 0", () => startViewServer({ slowClientTimeoutMs: 0 }), "slowClientTimeoutMs"],
  [
    "a slow-client timeout of NaN",
    () => startViewServer({ slowClientTimeoutMs: Number.NaN }),
    "slowClientTimeoutMs",
    /got NaN/,
  ],
  ["a signal that is text", () => startViewServer({ signal: "stop" as never }), "signal", /AbortSignal/],
  ["an asset folder that is a number", () => startViewServer({ assetDir: 5 as never }), "assetDir"],
  ["a misspelt option", () => startViewServer({ prot: 0 } as never), "prot", /did you mean "port"/],
  [
    "options that are not an object",
    () => startViewServer("fast" as never),
    "startViewServer",
    /must be an object/,
  ],
  // createRun
  ["a run id with a slash", () => server.createRun({ id: "../x" }), "id"],
  ["an empty run id", () => server.createRun({ id: "" }), "id"],
  ["a title that is a number", () => server.createRun({ title: 5 as never }), "title"],
  [
    "an approval handler that is not a function",
    () => server.createRun({ onApproval: "yes" as never }),
    "onApproval",
    /function/,
  ],
  ["a maxSteps of 0", () => server.createRun({ maxSteps: 0 }), "maxSteps"],
  [
    "a misspelt run option",
    () => server.createRun({ maxstep: 3 } as never),
    "maxstep",
    /did you mean "maxSteps"/,
  ],
  // serveThread
  [
    "no thread id",
    () => serveThread(server, { client, assistantId: "a" } as never),
    "threadId",
    /got undefined/,
  ],
  [
    "a thread id that is a number",
    () => serveThread(server, { ...thread, threadId: 5 as never }),
    "threadId",
  ],
  [
    "a client that is not a Client",
    () => serveThread(server, { ...thread, client: {} as never }),
    "client",
    /Client/,
  ],
  ["an empty assistant id", () => serveThread(server, { ...thread, assistantId: "" }), "assistantId"],
  ["a negative maxRounds", () => serveThread(server, { ...thread, maxRounds: -1 }), "maxRounds"],
  ["an input that is text", () => serveThread(server, { ...thread, input: "goal" as never }), "input"],
  [
    "a configurable that is a number",
    () => serveThread(server, { ...thread, config: { configurable: 5 as never } }),
    "config",
  ],
  [
    "a signal that is a plain object",
    () => serveThread(server, { ...thread, signal: {} as never }),
    "signal",
  ],
  ["a run id for the thread with spaces", () => serveThread(server, { ...thread, id: "my thread" }), "id"],
  ["a misspelt thread option", () => serveThread(server, { ...thread, thread: "t" } as never), "thread"],
  // the element's properties and tag name
  ["a negative revision", () => checkProperty("revision", -1), "revision", /null or an integer >= 0, got -1/],
  ["a revision as text", () => checkProperty("revision", "2"), "revision"],
  ["a selected step that is a number", () => checkProperty("selected", 5), "selected"],
  ["a src that is an object", () => checkProperty("src", {}), "src"],
  ["a tag name without a hyphen", () => checkElementName("planview"), "name", /custom element name/],
];

describe("bad options", () => {
  test.each(rows)(
    "%s: a ViewError invalid-options naming the option",
    async (_description, call, option, says) => {
      let thrown: unknown;
      try {
        await call();
      } catch (error) {
        thrown = error;
      }
      expect(ViewError.isInstance(thrown)).toBe(true);
      const error = thrown as ViewError;
      expect(error.code).toBe("invalid-options");
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(option === "startViewServer" ? option : `Option "${option}" must`);
      if (says) expect(error.message).toMatch(says);
    },
  );

  test("serveThread checks its options before it creates the run (a bad call leaves no run behind)", () => {
    expect(() => serveThread(server, { ...thread, id: "left-behind", maxRounds: -1 })).toThrow(ViewError);
    expect(() => server.createRun({ id: "left-behind" })).not.toThrow();
  });
});

describe("issue #17: what an outside tester found", () => {
  test("a host that cannot be listened on rejects with ViewError listen-failed, not a raw system error", async () => {
    const error = await startViewServer({ host: "not a host!" }).catch((caught: unknown) => caught);
    expect(ViewError.isInstance(error), String(error)).toBe(true);
    expect((error as ViewError).code).toBe("listen-failed");
    expect((error as ViewError).message).toContain("not a host!");
    expect((error as ViewError).cause).toBeInstanceOf(Error);
  });

  test("a port in use rejects with listen-failed", async () => {
    const port = Number(new URL(server.url).port);
    const error = await startViewServer({ port }).catch((caught: unknown) => caught);
    expect((error as ViewError).code).toBe("listen-failed");
    expect((error as ViewError).message).toContain("EADDRINUSE");
  });

  test("serveThread refuses a server that is not a ViewServer", () => {
    for (const bad of [5, null, {}, { createRun: "no" }]) {
      expect(() => serveThread(bad as never, thread)).toThrow(
        /^The server of serveThread must be a ViewServer/,
      );
      try {
        serveThread(bad as never, thread);
      } catch (error) {
        expect(ViewError.isInstance(error)).toBe(true);
        expect((error as ViewError).code).toBe("invalid-options");
      }
    }
  });

  test("serveThread never shows a bad input or config", () => {
    const secret = "sk-VIEWSECRET-42";
    for (const bad of [{ input: secret }, { config: secret }, { config: { configurable: secret } }]) {
      let message = "";
      try {
        serveThread(server, { ...thread, ...(bad as object) });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^Option "(input|config)" must/);
      expect(message).not.toContain("VIEWSECRET");
    }
  });
});

describe("viewDefaults", () => {
  test("is frozen, and the defaults are what the entry points use", async () => {
    expect(Object.isFrozen(viewDefaults)).toBe(true);
    expect(() => {
      (viewDefaults as { port: number }).port = 80;
    }).toThrow(TypeError);
    expect(new URL(server.url).hostname).toBe(viewDefaults.host);
    expect(checkProperty("revision", undefined)).toBe(null);
    expect(checkElementName(viewDefaults.elementName)).toBe("replan-plan-view");
  });
});
