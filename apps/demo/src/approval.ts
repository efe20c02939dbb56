/**
 * Plan approval on stdin: reading answers line by line (a terminal or a pipe), and turning them
 * into the adapter's resume value (`{ action: "approve" | "edit" | "reject" }`).
 *
 * @module
 */
import { createInterface } from "node:readline";
import type { Plan, StepSpecInput } from "@replan/core";
import type { PlanApproval } from "@replan/langgraph";

/** Reads stdin one line at a time. */
export interface LineReader {
  /**
   * The next line, or `null` at the end of the input.
   * @param signal - rejects with its reason when aborted.
   */
  next(signal?: AbortSignal): Promise<string | null>;
  /** Stops reading (lets the process exit). */
  close(): void;
}

/**
 * Reads lines from a stream; lines that arrive before they are asked for are kept.
 *
 * @param input - usually `process.stdin`.
 * @example
 * ```ts
 * const reader = createLineReader(process.stdin);
 * const answer = await reader.next();
 * reader.close();
 * ```
 */
export function createLineReader(input: NodeJS.ReadableStream): LineReader {
  const lines: string[] = [];
  let ended = false;
  let waiter: ((line: string | null) => void) | undefined;
  const rl = createInterface({ input, terminal: false });
  rl.on("line", (line) => {
    if (waiter) {
      const resolve = waiter;
      waiter = undefined;
      resolve(line);
    } else lines.push(line);
  });
  rl.on("close", () => {
    ended = true;
    waiter?.(null);
    waiter = undefined;
  });
  return {
    next(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (ended) return Promise.resolve(null);
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          waiter = undefined;
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        waiter = (value) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(value);
        };
      });
    },
    close() {
      rl.close();
    },
  };
}

/** What an answer line means. */
export type ParsedAnswer =
  | { kind: "answer"; approval: PlanApproval }
  | { kind: "edit-next" }
  | { kind: "invalid"; error: string };

/**
 * Reads one answer: `a`/`approve`/`y`/`yes`, `r`/`reject [reason]`/`n`/`no`, `e`/`edit` (the plan
 * follows on the next line) or `edit <JSON steps>`.
 *
 * @param line - the line typed or piped.
 * @returns the meaning of the line.
 * @example
 * ```ts
 * parseAnswer("reject not today"); // { kind: "answer", approval: { action: "reject", reason: "not today" } }
 * ```
 */
export function parseAnswer(line: string): ParsedAnswer {
  const trimmed = line.trim();
  const [word = "", ...rest] = trimmed.split(/\s+/);
  const tail = trimmed.slice(word.length).trim();
  switch (word.toLowerCase()) {
    case "a":
    case "approve":
    case "y":
    case "yes":
      return { kind: "answer", approval: { action: "approve" } };
    case "r":
    case "reject":
    case "n":
    case "no":
      return {
        kind: "answer",
        approval: rest.length > 0 ? { action: "reject", reason: tail } : { action: "reject" },
      };
    case "e":
    case "edit":
      return tail === "" ? { kind: "edit-next" } : parseEdit(tail);
    default:
      if (trimmed.startsWith("[") || trimmed.startsWith("{")) return parseEdit(trimmed);
      return { kind: "invalid", error: `answer approve, edit or reject (got "${cutText(trimmed, 40)}")` };
  }
}

/**
 * Reads an edited plan: JSON steps, as an array or `{ "steps": [...] }`. A step with a `tool` is a
 * tool step (its `args` an object, or JSON text as models write it); one without is an agent step.
 *
 * @param text - one line of JSON.
 */
export function parseEdit(text: string): ParsedAnswer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: "invalid", error: `the edited plan is not JSON: ${(error as Error).message}` };
  }
  const steps = Array.isArray(value) ? value : (value as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps))
    return { kind: "invalid", error: "the edited plan must be a JSON array of steps" };
  const normalized = steps.map((raw): StepSpecInput | unknown => {
    if (raw === null || typeof raw !== "object") return raw;
    const step = { ...(raw as Record<string, unknown>) };
    if (typeof step.args === "string") {
      try {
        step.args = JSON.parse(step.args);
      } catch {
        // left as it is: the adapter says what is wrong
      }
    }
    if (step.tool === null) delete step.tool;
    if (step.args === null) delete step.args;
    step.kind ??= typeof step.tool === "string" ? "tool" : "agent";
    step.dependsOn ??= [];
    return step;
  });
  return { kind: "answer", approval: { action: "edit", steps: normalized as StepSpecInput[] } };
}

/** The plan as one line of JSON steps, ready to be edited and pasted back. */
export function planAsJson(plan: Plan): string {
  return JSON.stringify(
    plan.steps.map((step) =>
      step.kind === "tool"
        ? {
            id: step.id,
            description: step.description,
            dependsOn: step.dependsOn,
            tool: step.tool,
            args: step.args,
          }
        : { id: step.id, description: step.description, dependsOn: step.dependsOn },
    ),
  );
}

function cutText(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
