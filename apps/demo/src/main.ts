/**
 * The demo's main flow: plan-and-execute at work, offline by default. It plans a goal with the LangGraph
 * adapter, runs the steps against a local HTTP service (through its OpenAPI operations) and a
 * shell confined to a workspace, in parallel as their dependencies allow, and replans only what is
 * left when a step fails. See `--help` and the README for the flags and exit codes.
 *
 * The parts, in the order a run meets them: `process-io.ts` (streams, Ctrl-C), `prepare-run.ts`
 * (settings, workspace and thread, checkpointer, scenario, service, tools, model, agent),
 * `intro.ts` (the first lines), `run-loop.ts` (the stream, with `approver.ts` for approvals),
 * `end-run.ts` (summary, diagram, result) and `failure.ts` (errors and cancellation).
 *
 * @module
 */
import { EXIT, type CliOptions } from "./args.js";
import { type Approver, createApprover } from "./approver.js";
import { endRun } from "./end-run.js";
import { endFailedRun } from "./failure.js";
import { introduce } from "./intro.js";
import { DEFAULT_MODEL } from "./model.js";
import { guardOutput, type Io, stopOnCtrlC } from "./process-io.js";
import { runToEnd } from "./run-loop.js";
import { type Opened, prepareRun } from "./prepare-run.js";
import { createView } from "./view.js";

/**
 * Runs the demo.
 *
 * @param io - environment and streams.
 * @param options - the parsed command line (see `parseCli`).
 * @returns the exit code (see {@link EXIT}).
 * @example
 * ```ts
 * const io = { env: process.env, stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
 * process.exitCode = await main(io, parseCli(["--scenario", "inventory"], process.env));
 * ```
 */
export async function main(io: Io, options: CliOptions): Promise<number> {
  const startedAt = Date.now();
  const mode = options.json ? "json" : io.stdout.isTTY && !options.plain ? "live" : "plain";
  const controller = new AbortController();
  const signal = controller.signal;
  const output = guardOutput(io, controller);
  const { stdout, stderr } = output;
  const view = createView({
    mode,
    stdout,
    stderr,
    color: mode === "live" && !io.env.NO_COLOR,
    startedAt,
    approve: options.approve,
  });
  const stopListening = stopOnCtrlC(view, controller);
  const result = (fields: Record<string, unknown>) => {
    if (mode === "json") stdout.write(`${JSON.stringify({ type: "result", ...fields })}\n`);
  };
  const opened: Opened = {};
  let approver: Approver | undefined;
  try {
    const run = await prepareRun(io, options, opened);
    await introduce(view, run, options, opened);
    const web = opened.web;
    approver = createApprover(view, web, io.stdin);
    const { rejected } = await runToEnd({
      agent: run.agent,
      config: run.config,
      input: run.resuming ? null : { goal: run.goal },
      signal,
      view,
      mode,
      web,
      approver,
      approve: options.approve,
    });
    approver.close();
    const exitCode = await endRun({ view, options, result, startedAt, signal, web }, run, rejected);
    return output.stdoutClosed ? EXIT.completed : exitCode;
  } catch (error) {
    approver?.close();
    return endFailedRun(error, {
      view,
      stderr,
      result,
      web: opened.web,
      stdoutClosed: output.stdoutClosed,
      cancelled: signal.aborted,
      thread: options.thread,
      model: { model: options.model ?? DEFAULT_MODEL, baseURL: io.env.OPENAI_BASE_URL?.trim() || undefined },
    });
  } finally {
    stopListening();
    view.close();
    await opened.web?.close();
    await opened.service?.close();
    await opened.store?.close().catch(() => {});
  }
}
