/**
 * Answers the adapter's plan-approval interrupts: in the web view with `--web`, else on stdin
 * (approve, edit or reject; the end of stdin rejects).
 *
 * @module
 */
import type { PlanApproval, PlanApprovalRequest } from "@replan/langgraph";
import { createLineReader, type LineReader, parseAnswer, planAsJson } from "./approval.js";
import type { View } from "./view.js";
import type { WebView } from "./web.js";

/** How many invalid answers on stdin before the plan is rejected. */
const MAX_INVALID_ANSWERS = 5;

/** Answers plan approvals. */
export interface Approver {
  /** Shows the plan waiting for approval and resolves with the answer; rejects when `signal` aborts. */
  answer(request: PlanApprovalRequest, signal: AbortSignal): Promise<PlanApproval>;
  /** Stops reading stdin (lets the process exit). Idempotent. */
  close(): void;
}

/**
 * The approver of a run: the web view's page when there is one, else stdin (read only once a plan
 * waits, so that a run without approval never holds stdin open).
 *
 * @param view - where the plan and the prompts are shown.
 * @param web - the web view, with `--web`.
 * @param stdin - the process's stdin.
 * @example
 * ```ts
 * const approver = createApprover(view, undefined, process.stdin);
 * const approval = await approver.answer(request, signal);
 * approver.close();
 * ```
 */
export function createApprover(view: View, web: WebView | undefined, stdin: NodeJS.ReadableStream): Approver {
  let reader: LineReader | undefined;
  return {
    async answer(request, signal) {
      if (!web) {
        reader ??= createLineReader(stdin);
        return askOnStdin(view, reader, request, signal);
      }
      view.approval(request.plan, request.error);
      view.info(`waiting for your answer in the web view: ${web.url}`);
      const approval = await web.approval(request, signal);
      view.info(`→ ${approval.action} (from the web view)`);
      return approval;
    },
    close() {
      reader?.close();
    },
  };
}

/**
 * The plan-approval interrupt waiting in a snapshot's tasks, if any.
 *
 * @param tasks - `(await agent.getState(config)).tasks`.
 * @example
 * ```ts
 * const request = approvalRequestOf((await agent.getState(config)).tasks);
 * ```
 */
export function approvalRequestOf(
  tasks: ReadonlyArray<{ interrupts?: ReadonlyArray<{ value?: unknown }> }>,
): PlanApprovalRequest | undefined {
  for (const task of tasks) {
    for (const pending of task.interrupts ?? []) {
      const value = pending.value as Partial<PlanApprovalRequest> | undefined;
      if (value?.type === "plan-approval" && value.plan) return value as PlanApprovalRequest;
    }
  }
  return undefined;
}

/** Shows the plan and reads approve / edit / reject; the end of stdin rejects. */
async function askOnStdin(
  view: View,
  reader: LineReader,
  request: PlanApprovalRequest,
  signal: AbortSignal,
): Promise<PlanApproval> {
  view.approval(request.plan, request.error);
  for (let round = 0; round < MAX_INVALID_ANSWERS; round++) {
    view.prompt("approve, edit or reject this plan? [a/e/r] ");
    let line = await reader.next(signal);
    if (line === null) return noAnswer(view);
    let answer = parseAnswer(line);
    if (answer.kind === "edit-next") {
      view.prompt(`the plan as one line of JSON steps; the current one is:\n${planAsJson(request.plan)}\n> `);
      line = await reader.next(signal);
      if (line === null) return noAnswer(view);
      answer = parseAnswer(line.trim().startsWith("edit") ? line : `edit ${line}`);
    }
    if (answer.kind === "answer") {
      view.info(`→ ${answer.approval.action}`);
      return answer.approval;
    }
    if (answer.kind === "invalid") view.warn(answer.error);
  }
  view.warn(`no valid answer after ${MAX_INVALID_ANSWERS} tries: rejecting the plan`);
  return { action: "reject", reason: "no valid answer" };
}

function noAnswer(view: View): PlanApproval {
  view.warn("stdin ended without an answer: rejecting the plan");
  return { action: "reject", reason: "no answer on stdin" };
}
