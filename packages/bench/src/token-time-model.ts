// The scripted model on the token-time clock: `ScriptedChatModel` answers from the script, and this
// model streams that answer in chunks of o200k_base tokens, the first `ttftMs` after the call starts
// and each later token `1000 / tokensPerSecond` ms after the one before (deadlines from the call's
// start, so timer delays do not add up). Text streams as content deltas; tool calls (function
// calling, `withStructuredOutput` included) stream as `tool_call_chunks`: the name, then the JSON
// arguments piece by piece. `invoke` takes the same time as `stream` and returns the same message.
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import { ScriptedChatModel, type ScriptedChatModelOptions } from "@replan/langgraph/testing";
import { type TokenClock, tokenArrivalMs } from "./token-clock.js";
import { tokenPieces } from "./tokens.js";

/** Where one output token goes: the content, or the name or arguments of a tool call. */
interface TokenUnit {
  text: string;
  /** Absent for content; else the tool call's position in the message. */
  call?: number;
  field?: "name" | "args";
}

/** The timing of one model call on the token-time clock (times from `performance.now()`). */
export interface CallTiming {
  /** The call's position in `calls`. */
  index: number;
  role: string | undefined;
  startedAt: number;
  /** When the first chunk was sent. */
  firstChunkAt: number;
  endedAt: number;
  /** Output tokens (o200k_base): content, tool names and tool-call arguments as JSON. */
  outputTokens: number;
}

/** Options of {@link TokenTimeModel}: the script, and the clock. */
export interface TokenTimeModelOptions extends Omit<ScriptedChatModelOptions, "latencyMs"> {
  clock: TokenClock;
  /**
   * The shortest wait between two chunks, in ms: a chunk carries every token due by then (at
   * 1000 tokens/s, about 4 tokens a chunk).
   * @default 4
   */
  chunkMs?: number;
}

/** The output tokens of a message, in the order a model writes them. */
export function tokenUnitsOf(message: AIMessageChunk): TokenUnit[] {
  const units: TokenUnit[] = tokenPieces(message.text).map((text) => ({ text }));
  (message.tool_calls ?? []).forEach((call, index) => {
    for (const text of tokenPieces(call.name)) units.push({ text, call: index, field: "name" });
    for (const text of tokenPieces(JSON.stringify(call.args)))
      units.push({ text, call: index, field: "args" });
  });
  return units;
}

/** Waits `ms`, or until the signal aborts (then rejects with its reason). */
function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A scripted chat model whose calls take token time: `ttftMs` to the first chunk, then
 * `1000 / tokensPerSecond` ms per output token. It records the timing of every call.
 *
 * @example
 * ```ts
 * const model = new TokenTimeModel({ responses: ["Hello there"], clock: TOKEN_CLOCK });
 * for await (const chunk of await model.stream("Hi")) process.stdout.write(chunk.text);
 * ```
 */
export class TokenTimeModel extends ScriptedChatModel {
  /** The timing of every call, in the order the calls started. */
  readonly timings: CallTiming[] = [];
  readonly clock: TokenClock;
  private readonly chunkMs: number;

  /** @param options - the script, the clock and the chunking. */
  constructor(options: TokenTimeModelOptions) {
    super({ responses: options.responses });
    this.clock = options.clock;
    this.chunkMs = options.chunkMs ?? 4;
  }

  override _llmType(): string {
    return "scripted-token-time";
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const startedAt = performance.now();
    // ScriptedChatModel records the call before its first await: read its index now, before a
    // concurrent call records its own.
    const generating = super._generate(messages, options, runManager);
    const index = this.calls.length - 1;
    const { generations } = await generating;
    const message = generations[0]!.message as AIMessageChunk;
    const units = tokenUnitsOf(message);
    const timing: CallTiming = {
      index,
      role: this.calls[index]?.role,
      startedAt,
      firstChunkAt: Number.NaN,
      endedAt: Number.NaN,
      outputTokens: units.length,
    };
    this.timings.push(timing);
    const usage = {
      input_tokens: message.usage_metadata?.input_tokens ?? 0,
      output_tokens: units.length,
      total_tokens: (message.usage_metadata?.input_tokens ?? 0) + units.length,
    };
    const ids = (message.tool_calls ?? []).map((call) => call.id);
    const lastAt = tokenArrivalMs(this.clock, Math.max(1, units.length));
    let sent = 0;
    for (;;) {
      const elapsed = performance.now() - startedAt;
      let due = sent;
      while (due < units.length && tokenArrivalMs(this.clock, due + 1) <= elapsed) due++;
      const first = Number.isNaN(timing.firstChunkAt);
      if (first ? elapsed >= this.clock.ttftMs : due > sent) {
        const last = due === units.length;
        const chunk = toChunk(units, sent, due, ids, last ? usage : undefined);
        if (first) timing.firstChunkAt = performance.now();
        sent = due;
        yield chunk;
        await runManager?.handleLLMNewToken(chunk.text, undefined, undefined, undefined, undefined, {
          chunk,
        });
        if (last) break;
      }
      const nextAt = Number.isNaN(timing.firstChunkAt)
        ? this.clock.ttftMs
        : tokenArrivalMs(this.clock, sent + 1);
      // At most one chunk every `chunkMs`, but never past the last token's time.
      const wakeAt = Math.min(Math.max(nextAt, elapsed + this.chunkMs), lastAt);
      await wait(Math.max(0, wakeAt - (performance.now() - startedAt)), options.signal);
    }
    timing.endedAt = performance.now();
  }

  override async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    let whole: ChatGenerationChunk | undefined;
    for await (const chunk of this._streamResponseChunks(messages, options, runManager)) {
      whole = whole ? whole.concat(chunk) : chunk;
    }
    return { generations: [whole!] };
  }
}

/**
 * One chunk: the content delta and, per tool call, an arguments delta; a call's id and whole name
 * go with its first chunk after its name is written (as OpenAI sends them).
 */
function toChunk(
  units: TokenUnit[],
  from: number,
  to: number,
  ids: Array<string | undefined>,
  usage: AIMessageChunk["usage_metadata"],
): ChatGenerationChunk {
  let content = "";
  const calls = new Map<number, { name?: string; args: string }>();
  for (let position = from; position < to; position++) {
    const unit = units[position]!;
    if (unit.call === undefined) {
      content += unit.text;
      continue;
    }
    const call = calls.get(unit.call) ?? { args: "" };
    if (unit.field === "args") call.args += unit.text;
    else if (units[position + 1]?.field !== "name" || units[position + 1]?.call !== unit.call) {
      call.name = nameOf(units, unit.call);
    }
    calls.set(unit.call, call);
  }
  const toolCallChunks = [...calls]
    .filter(([, call]) => call.name !== undefined || call.args !== "")
    .map(([index, call]) => ({
      type: "tool_call_chunk" as const,
      index,
      args: call.args,
      ...(call.name === undefined ? {} : { id: ids[index], name: call.name }),
    }));
  const message = new AIMessageChunk({
    content,
    ...(toolCallChunks.length > 0 ? { tool_call_chunks: toolCallChunks } : {}),
    ...(usage ? { usage_metadata: usage } : {}),
  });
  return new ChatGenerationChunk({ text: content, message });
}

function nameOf(units: TokenUnit[], call: number): string {
  return units
    .filter((unit) => unit.call === call && unit.field === "name")
    .map((unit) => unit.text)
    .join("");
}
