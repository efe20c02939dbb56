/**
 * What the LangChain tools of this package answer: the response as JSON text (or a `ToolMessage`
 * with the response as artifact), refusals and failures as `{"error":{"code","message"}}`.
 *
 * @module
 */

import { ToolMessage } from "@langchain/core/messages";
import { findHttpToolError } from "./errors.js";
import type { HttpResponse } from "./http-types.js";
import { errorMessage } from "@replan/core/internal";

/** What LangChain passes a tool function as its second argument (the parts read here). */
export interface ToolCallContext {
  signal?: AbortSignal | undefined;
  toolCall?: { id?: string | undefined } | undefined;
  toolCallId?: string | undefined;
}

/**
 * Runs `send` and turns the outcome into what a model reads: JSON text of the {@link HttpResponse}
 * (with a tool call id: a `ToolMessage` with the response as `artifact`, and `status: "error"` when
 * the HTTP status is not 2xx), or, for a refusal or failure, `{"error":{"code","message"}}` (a
 * `ToolMessage` with `status: "error"`). Cancellation rethrows the signal's reason.
 *
 * @param name - the tool's name, for the `ToolMessage`.
 * @param context - the tool call's context (its id and signal).
 * @param send - sends the request with the call's signal.
 */
export async function toToolOutput(
  name: string,
  context: ToolCallContext | undefined,
  send: (signal: AbortSignal | undefined) => Promise<HttpResponse>,
): Promise<string | ToolMessage> {
  const signal = context?.signal;
  const toolCallId = context?.toolCall?.id ?? context?.toolCallId;
  try {
    const response = await send(signal);
    const content = JSON.stringify(response);
    return toolCallId
      ? new ToolMessage({
          content,
          tool_call_id: toolCallId,
          name,
          // An HTTP error status is an answer, but a failed call: a plan step using it fails (and replans).
          status: response.ok ? "success" : "error",
          artifact: response,
        })
      : content;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const own = findHttpToolError(error);
    const content = JSON.stringify({
      error: { code: own?.code ?? "unexpected-error", message: own?.message ?? errorMessage(error) },
    });
    return toolCallId
      ? new ToolMessage({ content, tool_call_id: toolCallId, name, status: "error" })
      : content;
  }
}
