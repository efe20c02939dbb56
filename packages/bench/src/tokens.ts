// Prompt tokens of a model call, counted with a real tokenizer (o200k_base, offline).
import type { BaseMessage } from "@langchain/core/messages";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import type { BoundTool } from "@replan/langgraph/testing";
import { Tiktoken } from "js-tiktoken/lite";
import o200k_base from "js-tiktoken/ranks/o200k_base";

let encoder: Tiktoken | undefined;

/** Tokens of a text with o200k_base (the GPT-4o / GPT-4.1 family's encoding). */
export function countTokens(text: string): number {
  if (text === "") return 0;
  encoder ??= new Tiktoken(o200k_base);
  return encoder.encode(text).length;
}

/** Tokens OpenAI's chat format adds per message (role and separators) and to prime the reply. */
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;

/**
 * Prompt tokens of one model call: every message's text, the tool calls the model made earlier
 * in the conversation (names and JSON arguments), and the JSON of the tool definitions sent with
 * the call (including the schema tool of `withStructuredOutput`), plus OpenAI's per-message
 * overhead.
 *
 * @param messages - the call's messages.
 * @param tools - the tools bound to the call.
 */
export function promptTokensOf(messages: readonly BaseMessage[], tools: readonly BoundTool[]): number {
  let total = REPLY_PRIMING;
  for (const message of messages) {
    total += PER_MESSAGE + countTokens(message.text);
    const calls = (message as { tool_calls?: Array<{ name: string; args: unknown }> }).tool_calls;
    for (const call of calls ?? []) total += countTokens(call.name) + countTokens(JSON.stringify(call.args));
  }
  if (tools.length > 0) total += countTokens(JSON.stringify(tools.map(toolDefinition)));
  return total;
}

/** A bound tool as the provider receives it: name, description and JSON schema of the arguments. */
function toolDefinition(tool: BoundTool) {
  const { name, description, parameters } = tool.function;
  return { type: "function", function: { name, description, parameters: jsonSchemaOf(parameters) } };
}

function jsonSchemaOf(parameters: unknown): unknown {
  if (parameters === undefined) return {};
  const isZod =
    typeof parameters === "object" &&
    parameters !== null &&
    ("_zod" in parameters || "_def" in parameters || "~standard" in parameters);
  if (!isZod) return parameters;
  try {
    return toJsonSchema(parameters as Parameters<typeof toJsonSchema>[0]);
  } catch {
    return {};
  }
}

/**
 * A text cut into its o200k_base tokens, each as the text it stands for: what a model streams,
 * one token after the other (`pieces.join("") === text`).
 *
 * @param text - the text.
 */
export function tokenPieces(text: string): string[] {
  if (text === "") return [];
  encoder ??= new Tiktoken(o200k_base);
  const tokens = encoder.encode(text);
  const pieces = tokens.map((token) => encoder!.decode([token]));
  if (pieces.join("") === text) return pieces;
  // A token that holds part of a multi-byte character does not decode alone: cut at the
  // boundaries of the decoded prefixes instead (slower, and rare in the bench's texts).
  const cut: string[] = [];
  let done = 0;
  for (let index = 1; index <= tokens.length; index++) {
    const prefix = encoder.decode(tokens.slice(0, index));
    if (prefix.includes("\uFFFD") && index < tokens.length) {
      cut.push("");
      continue;
    }
    cut.push(text.slice(done, prefix.length));
    done = prefix.length;
  }
  return cut;
}
