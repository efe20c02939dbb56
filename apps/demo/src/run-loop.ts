/**
 * The run loop: streams the agent's progress events to the views, and when the graph stops at a
 * plan-approval interrupt, asks for the answer and resumes it, until the run ends.
 *
 * @module
 */
import { Command } from "@langchain/langgraph";
import type { RunEvent } from "@replan/core";
import type { PlanApproval, PlanExecuteAgent } from "@replan/langgraph";
import { type Approver, approvalRequestOf } from "./approver.js";
import type { View } from "./view.js";
import type { WebView } from "./web.js";

/** What the run loop drives and where it shows it. */
export interface RunLoop {
  /** The agent. */
  agent: PlanExecuteAgent;
  /** The thread's config (`configurable.thread_id`). */
  config: { configurable: { thread_id: string } };
  /** `{ goal }` for a new run, `null` to resume the thread. */
  input: { goal: string } | null;
  /** Stops the run (Ctrl-C, a closed stdout). */
  signal: AbortSignal;
  /** The terminal or JSON view. */
  view: View;
  /** `json` when the view is the JSON one. */
  mode: "live" | "plain" | "json";
  /** The web view, with `--web`. */
  web: WebView | undefined;
  /** Answers plan approvals. */
  approver: Approver;
  /** `--approve`: the plan waits for an approval. */
  approve: boolean;
}

/**
 * Runs the agent to its end, answering every plan approval on the way.
 *
 * @param loop - the agent, its input and where to show the run.
 * @returns whether the plan was rejected (the run then ends `cancelled`).
 * @example
 * ```ts
 * const { rejected } = await runToEnd({ agent, config, input: { goal }, signal, view, mode, web, approver, approve });
 * ```
 */
export async function runToEnd(loop: RunLoop): Promise<{ rejected: boolean }> {
  const { agent, config, signal, approver } = loop;
  const relay = new EventRelay(loop);
  let input: { goal: string } | Command | null = loop.input;
  let rejected = false;
  for (;;) {
    const stream = await agent.stream(input as never, {
      ...config,
      signal,
      streamMode: ["custom", "updates"],
    });
    for await (const [streamMode, payload] of stream as AsyncIterable<[string, unknown]>) {
      if (streamMode === "custom") relay.pass(payload);
    }
    const request = approvalRequestOf((await agent.getState(config)).tasks);
    if (!request) return { rejected };
    const approval = await approver.answer(request, signal);
    if (approval.action === "reject") rejected = true;
    relay.answered(approval);
    input = new Command({ resume: approval });
  }
}

/**
 * Passes the graph's custom events to the views. With `--approve`, the planner already marks the
 * first ready steps as started (their step-start events come with the plan): those events are held
 * until the plan is approved, and the plan is shown as proposed (nothing runs before the approval).
 */
class EventRelay {
  readonly #view: View;
  readonly #web: WebView | undefined;
  readonly #json: boolean;
  #held: RunEvent[] | undefined;

  constructor({ view, web, mode, approve }: RunLoop) {
    this.#view = view;
    this.#web = web;
    this.#json = mode === "json";
    this.#held = approve ? [] : undefined;
  }

  /** One event of the custom stream. */
  pass(payload: unknown): void {
    this.#web?.event(payload);
    const event = payload as RunEvent;
    if (this.#held && event.type === "step-start") this.#held.push(event);
    else if (this.#held && event.type === "plan-end" && !this.#json) {
      const steps = event.plan.steps.map((step) =>
        step.status === "running" ? { ...step, status: "pending" as const, startedAt: undefined } : step,
      );
      this.#view.event({ ...event, plan: { ...event.plan, steps } });
    } else this.#view.event(event);
  }

  /** The plan was answered: once approved, the held step starts are shown, as of now. */
  answered(approval: PlanApproval): void {
    if (approval.action === "approve") {
      this.#view.approved(Date.now());
      for (const event of this.#held ?? []) this.#view.event({ ...event, at: Date.now() });
    }
    this.#held = undefined;
  }
}
