// The token-time clock: calls take ttft + tokens at the rate, whether invoked or streamed; text
// streams as content deltas, tool calls as tool_call_chunks whose arguments grow piece by piece.
import type { AIMessageChunk } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { callDurationMs, type TokenClock, tokenArrivalMs } from "./token-clock.js";
import { TokenTimeModel } from "./token-time-model.js";
import { countTokens } from "./tokens.js";

const clock: TokenClock = { ttftMs: 40, tokensPerSecond: 500, toolLatencyMs: 10 };
const text = "The quick brown fox jumps over the lazy dog, then writes a plan of sixteen steps. "
  .repeat(4)
  .trim();
const plan = { steps: Array.from({ length: 20 }, (_, index) => ({ id: `s${index + 1}`, note: "fetch it" })) };

describe("TokenTimeModel", () => {
  it("takes ttft plus the output tokens at the rate, for invoke as for stream", async () => {
    const tokens = countTokens(text);
    const expected = callDurationMs(clock, tokens);
    expect(expected).toBe(40 + (tokens - 1) * 2);
    const model = new TokenTimeModel({ responses: [text], clock });
    await model.invoke("warm-up"); // LangChain's code is cold at first
    let start = performance.now();
    const message = await model.invoke("hi");
    const invoked = performance.now() - start;
    expect(message.text).toBe(text);
    expect(message.usage_metadata?.output_tokens).toBe(tokens);
    start = performance.now();
    const chunks: AIMessageChunk[] = [];
    const arrivals: number[] = [];
    for await (const chunk of await model.stream("hi")) {
      chunks.push(chunk);
      arrivals.push(performance.now() - start);
    }
    const streamed = performance.now() - start;
    for (const took of [invoked, streamed]) {
      expect(took).toBeGreaterThanOrEqual(expected - 1);
      expect(took).toBeLessThan(expected + 150); // timers on a loaded machine
    }
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((chunk) => chunk.text).join("")).toBe(text);
    expect(arrivals[0]).toBeGreaterThanOrEqual(clock.ttftMs - 1);
    expect(arrivals[0]).toBeLessThan(expected - 80); // the first chunk long before the last
    expect(model.timings.map((timing) => timing.outputTokens)).toEqual([tokens, tokens, tokens]);
  });

  it("streams a tool call's arguments as tool_call_chunks that complete objects before the end", async () => {
    const model = new TokenTimeModel({ responses: [{ structured: plan }], clock });
    const bound = model.bindTools([{ type: "function", function: { name: "plan", parameters: {} } }]);
    const start = performance.now();
    let args = "";
    let whole: AIMessageChunk | undefined;
    let firstStepSeenAt: number | undefined;
    for await (const chunk of await bound.stream("plan")) {
      whole = whole ? whole.concat(chunk) : chunk;
      for (const part of chunk.tool_call_chunks ?? []) args += part.args ?? "";
      if (firstStepSeenAt === undefined && args.includes('"note":"fetch it"}')) {
        firstStepSeenAt = performance.now() - start;
      }
    }
    const ended = performance.now() - start;
    expect(JSON.parse(args)).toEqual(plan);
    expect(whole?.tool_calls).toEqual([expect.objectContaining({ name: "plan", args: plan })]);
    expect(whole?.tool_call_chunks?.[0]?.name).toBe("plan");
    const tokens = countTokens("plan") + countTokens(JSON.stringify(plan));
    expect(model.timings[0]?.outputTokens).toBe(tokens);
    // The first step's object is complete well before the message ends.
    const firstStepTokens = countTokens("plan") + countTokens(JSON.stringify(plan).split("},")[0]!);
    expect(firstStepSeenAt).toBeDefined();
    expect(firstStepSeenAt!).toBeLessThan(tokenArrivalMs(clock, firstStepTokens + 3) + 100);
    expect(firstStepSeenAt!).toBeLessThan(ended - 100);
    const invoked = await bound.invoke("plan");
    expect(invoked.tool_calls?.[0]?.args).toEqual(plan);
  });

  it("stops at once when the call is aborted", async () => {
    const model = new TokenTimeModel({ responses: [text.repeat(5)], clock });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop")), 60);
    const start = performance.now();
    await expect(model.invoke("hi", { signal: controller.signal })).rejects.toThrow();
    expect(performance.now() - start).toBeLessThan(200);
  });
});
