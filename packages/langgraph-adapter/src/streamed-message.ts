// A streamed answer as one message: its chunks merged, and its tool calls read strictly, as an
// unstreamed answer's are.
import { AIMessage, AIMessageChunk, type InvalidToolCall, type ToolCall } from "@langchain/core/messages";

/**
 * The response-metadata key set on a streamed answer that was closed at `maxChars` (the answer is
 * a prefix of what the model wrote).
 */
export const CUT_AT_MAX_CHARS = "replan_cut_at_max_chars";

/**
 * A streamed answer as the message an unstreamed call gives: LangChain reads a streamed tool
 * call's arguments with a partial-JSON parser (so arguments cut short, `{"a":1` or a plan missing
 * its closing brackets, would pass for whole ones); here they are parsed strictly, and arguments
 * that are not whole JSON are an invalid tool call, as when the answer is not streamed.
 */
export function strictMessage(chunk: AIMessageChunk, cut: boolean): AIMessage {
  const pieces = chunk.tool_call_chunks ?? [];
  const metadata = { ...chunk.response_metadata, ...(cut ? { [CUT_AT_MAX_CHARS]: true } : {}) };
  if (pieces.length === 0 && !cut) return toAIMessage(chunk);
  const tool_calls: ToolCall[] = [];
  const invalid_tool_calls: InvalidToolCall[] = [];
  for (const piece of pieces) {
    const text = piece.args ?? "";
    const name = piece.name ?? "";
    const id = piece.id ?? undefined;
    try {
      const args: unknown = text.trim() === "" ? {} : JSON.parse(text);
      if (typeof args !== "object" || args === null || Array.isArray(args))
        throw new TypeError("not an object");
      tool_calls.push({ name, args: args as Record<string, unknown>, id, type: "tool_call" });
    } catch {
      invalid_tool_calls.push({
        name,
        args: text,
        id,
        error: "the arguments are not whole JSON",
        type: "invalid_tool_call",
      });
    }
  }
  return new AIMessage({
    content: chunk.content,
    ...(chunk.id === undefined ? {} : { id: chunk.id }),
    additional_kwargs: chunk.additional_kwargs,
    response_metadata: metadata,
    ...(chunk.usage_metadata ? { usage_metadata: chunk.usage_metadata } : {}),
    ...(pieces.length > 0 ? { tool_calls, invalid_tool_calls } : { tool_calls: chunk.tool_calls ?? [] }),
  });
}

/**
 * The chunks of a streamed answer as one chunk, merged pairwise: each merge copies what it joins,
 * so merging one chunk at a time would cost the square of the answer's length.
 */
export function concatAll(chunks: AIMessageChunk[]): AIMessageChunk | undefined {
  let level = chunks;
  while (level.length > 1) {
    const next: AIMessageChunk[] = [];
    for (let index = 0; index < level.length; index += 2) {
      const pair = level[index + 1];
      next.push(pair ? level[index]!.concat(pair) : level[index]!);
    }
    level = next;
  }
  return level[0];
}

export function toAIMessage(message: unknown): AIMessage {
  if (AIMessage.isInstance(message) || AIMessageChunk.isInstance(message)) return message as AIMessage;
  return new AIMessage({ content: typeof message === "string" ? message : "" });
}
