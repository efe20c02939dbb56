/**
 * Steps in a few words, for every view: durations, what a step does, why it failed.
 *
 * @module
 */
import type { Step } from "@replan/core";

/**
 * A duration for people.
 *
 * @param ms - milliseconds.
 * @example
 * ```ts
 * formatDuration(340); // "340ms"
 * formatDuration(1234); // "1.2s"
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * Cuts text to `width` characters, ending with "…" when it was longer.
 *
 * @param text - the text.
 * @param width - the characters it may take.
 */
export function cut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/**
 * What a step does, in a few words: the tool and its arguments, or "agent step".
 *
 * @param step - the step.
 * @param width - the characters it may take (56 by default).
 * @example
 * ```ts
 * stepAction(step); // '$ du -sk logs' for a shell step, 'getStock {"warehouse":"east"}' for another tool
 * ```
 */
export function stepAction(step: Step, width = 56): string {
  if (step.kind !== "tool") return "agent step";
  const value = step.args as Record<string, unknown>;
  if (step.tool === "shell" && typeof value.program === "string") {
    const list = Array.isArray(value.args) ? value.args.map(String) : [];
    return cut(`$ ${[value.program, ...list].join(" ")}`, width);
  }
  const args = JSON.stringify(value);
  return cut(`${step.tool} ${args === "{}" ? "" : args}`.trim(), width);
}

/** A tool's result as the JSON of a failed step's message carries it (shell or HTTP). */
interface FailedToolResult {
  ok?: boolean;
  status?: number;
  body?: unknown;
  exitCode?: number | null;
  terminationReason?: string;
  stderr?: string;
  stdout?: string;
  error?: { code?: string; message?: string };
}

/**
 * A step error in a few words: a shell failure (JSON of the command's result) becomes
 * `shell: exit 1: <stderr>`, an HTTP error answer `HTTP 503: <error>`, a refusal
 * `<tool>: <code>: <message>`; other messages are kept.
 *
 * @param message - the step error's message.
 * @example
 * ```ts
 * shortError('tool "getStock": {"ok":false,"status":503,"body":{"error":"down"}}'); // "HTTP 503: down"
 * ```
 */
export function shortError(message: string): string {
  const match = /^tool "([^"]+)": (\{[\s\S]*\})$/.exec(message);
  if (!match) return message;
  const tool = match[1]!;
  let value: FailedToolResult;
  try {
    value = JSON.parse(match[2]!) as FailedToolResult;
  } catch {
    return message;
  }
  if (value.error) return `${tool}: ${value.error.code ?? "error"}: ${value.error.message ?? ""}`;
  // An HTTP answer that is not 2xx (the HTTP tools fail the step with the response).
  if (value.ok === false && typeof value.status === "number")
    return `HTTP ${value.status}: ${httpDetail(value.body)}`;
  const output = (value.stderr?.trim() || value.stdout?.trim() || "").split("\n")[0] ?? "";
  const how =
    value.exitCode !== null && value.exitCode !== undefined
      ? `exit ${value.exitCode}`
      : value.terminationReason;
  return `${tool}: ${how}${output ? `: ${output}` : ""}`;
}

/** The interesting part of an HTTP error answer's body: its `error` text, the text, or its JSON. */
function httpDetail(body: unknown): string {
  const value = body as { error?: unknown } | string | null | undefined;
  if (typeof value === "object" && value !== null && typeof value.error === "string") return value.error;
  return typeof value === "string" ? value : JSON.stringify(value);
}
