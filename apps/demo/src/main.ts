/**
 * The demo's main flow: plan-and-execute at work, offline by default. It plans a goal with the LangGraph
 * adapter, runs the steps against a local HTTP service (through its OpenAPI operations) and a
 * shell confined to a workspace, in parallel as their dependencies allow, and replans only what is
 * left when a step fails. See `--help` and the README for the flags and exit codes.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { Command } from "@langchain/langgraph";
import { type Plan, type RunEvent, toMermaid } from "@replan/core";
import {
  createPlanExecuteGraph,
  PlanExecuteError,
  type PlanApproval,
  type PlanApprovalRequest,
  recursionLimitFor,
} from "@replan/langgraph";
import { createLineReader, type LineReader, parseAnswer, planAsJson } from "./approval.js";
import { type CliOptions, ConfigError, EXIT, UsageError } from "./args.js";
import { createOnlineModel, DEFAULT_MODEL, describeModelError } from "./model.js";
import { createOfflineModel } from "./offline-model.js";
import { DEFAULT_SCENARIO, findScenario, matchScenario, SCENARIOS, type Scenario } from "./scenarios.js";
import { type Service, startService } from "./service.js";
import { type OpenCheckpointer, openCheckpointer } from "./store.js";
import { createDemoTools, httpChecker } from "./tools.js";
import { createView, type View } from "./view.js";
import { startWebView, type WebView } from "./web.js";

/** What the demo remembers about a thread, next to its workspace, to resume it the same way. */
interface ThreadMeta {
  thread: string;
  goal: string;
  scenario: string | null;
}

/** The budget of every demo run. */
const BUDGET = { concurrency: 4, maxReplans: 3, maxSteps: 20 };

/** The process's standard streams and environment, injectable for tests. */
export interface Io {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

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
  // A reader that goes away (`| head -3`) closes stdout: the demo then stops the run and ends
  // quietly with exit 0, writing nothing more there.
  let stdoutClosed = false;
  const onStdoutError = (error: NodeJS.ErrnoException) => {
    if (stdoutClosed) return;
    stdoutClosed = true;
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") {
      stderr.write(`error: cannot write to stdout: ${error.message}\n`);
    }
    controller.abort(new Error("stdout closed"));
  };
  io.stdout.on("error", onStdoutError);
  // A closed stderr (`2>&1 | head`) only stops the messages: the run goes on as long as stdout does.
  let stderrClosed = false;
  io.stderr.on("error", () => {
    stderrClosed = true;
  });
  const stderr = {
    write: (text: string) => (stderrClosed ? true : io.stderr.write(text)),
    get columns() {
      return io.stderr.columns;
    },
  };
  const stdout = {
    write: (text: string) => (stdoutClosed ? true : io.stdout.write(text)),
    get columns() {
      return io.stdout.columns;
    },
  };
  const view = createView({
    mode,
    stdout,
    stderr,
    color: mode === "live" && !io.env.NO_COLOR,
    startedAt,
    approve: options.approve,
  });
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      view.close();
      process.exit(EXIT.cancelled);
    }
    view.warn("stopping… (Ctrl-C again to quit at once)");
    controller.abort(new Error("cancelled with Ctrl-C"));
  };
  process.on("SIGINT", onSigint);

  let service: Service | undefined;
  let store: OpenCheckpointer | undefined;
  let reader: LineReader | undefined;
  let web: WebView | undefined;
  let modelName = DEFAULT_MODEL;
  const apiKey = io.env.OPENAI_API_KEY?.trim() || undefined;
  const baseURL = io.env.OPENAI_BASE_URL?.trim() || undefined;
  const result = (fields: Record<string, unknown>) => {
    if (mode === "json") stdout.write(`${JSON.stringify({ type: "result", ...fields })}\n`);
  };
  try {
    const online = apiKey !== undefined || baseURL !== undefined;
    if (!online && options.model !== undefined) {
      throw new ConfigError(
        `--model "${options.model}" needs a real model: set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server)`,
      );
    }
    if (!online && options.structuredOutput !== undefined) {
      throw new ConfigError("--structured-output needs a real model: set OPENAI_API_KEY or OPENAI_BASE_URL");
    }
    let scenario: Scenario | undefined;
    if (options.scenario !== undefined) {
      scenario = findScenario(options.scenario);
      if (!scenario) {
        throw new UsageError(
          `unknown scenario "${options.scenario}" (known: ${SCENARIOS.map((known) => known.name).join(", ")})`,
        );
      }
    }

    // The workspace, its files, the checkpoints.
    const workspace = resolve(
      options.workspace ??
        (options.thread !== undefined
          ? join(tmpdir(), "replan-demo", options.thread)
          : mkdtempSync(join(tmpdir(), "replan-demo-"))),
    );
    const stateDir = join(workspace, ".replan");
    mkdirSync(stateDir, { recursive: true });
    for (const known of SCENARIOS) known.setup(workspace);
    const metaFile = join(stateDir, `thread-${options.thread ?? "none"}.json`);
    const meta = options.thread !== undefined ? readMeta(metaFile) : undefined;
    try {
      store = await openCheckpointer({
        thread: options.thread,
        sqlitePath: resolve(options.db ?? join(stateDir, "checkpoints.sqlite")),
        databaseUrl: io.env.DATABASE_URL?.trim() || undefined,
      });
    } catch (error) {
      throw new ConfigError(`cannot open the checkpoint database: ${(error as Error).message}`);
    }
    const threadId = options.thread ?? randomUUID();
    const graphConfig = { configurable: { thread_id: threadId } };

    // Offline: which scenario the scripted model plays.
    let goal = options.goal;
    const notices: string[] = [];
    if (!online) {
      if (!scenario && meta?.scenario) scenario = findScenario(meta.scenario);
      if (!scenario && goal !== undefined) {
        const { scenario: matched, matched: words } = matchScenario(goal);
        scenario = matched;
        notices.push(
          words.length > 0
            ? `the goal matches scenario "${matched.name}" (${words.join(", ")})`
            : `no scenario matches the goal; playing the default one, "${matched.name}"`,
        );
      }
      scenario ??= DEFAULT_SCENARIO;
    }
    goal ??= meta?.goal ?? (scenario ?? DEFAULT_SCENARIO).goal;

    service = await startService({ hitsFile: join(stateDir, "service-hits.json"), speed: options.speed });
    const { tools, operations } = await createDemoTools({ serviceUrl: service.url, workspace });
    let model: BaseChatModel;
    if (online) {
      modelName = options.model ?? DEFAULT_MODEL;
      model = await createOnlineModel({ model: modelName, apiKey, baseURL });
    } else {
      model = createOfflineModel({ scenario: scenario!, latencyMs: Math.round(600 / options.speed) });
    }
    const graph = createPlanExecuteGraph({
      model,
      tools,
      checker: httpChecker,
      approvePlan: options.approve,
      budget: BUDGET,
      stepTimeoutMs: 60_000,
      resultPreviewChars: online ? 1000 : 4000,
      ...(options.structuredOutput ? { structuredOutputMethod: options.structuredOutput } : {}),
    }).compile({ checkpointer: store.saver, name: "replan_demo" });

    // Resume a thread that stopped before its end.
    const before = options.thread !== undefined ? await graph.getState(graphConfig) : undefined;
    const resuming = before !== undefined && before.next.length > 0;
    if (resuming) {
      const saved = (before.values as { goal?: string }).goal;
      if (saved) goal = saved;
    }

    if (online) {
      view.info(
        `model: ${modelName} at ${baseURL ?? "https://api.openai.com/v1"}${apiKey ? "" : " (no OPENAI_API_KEY: sending a placeholder key)"}`,
      );
    } else {
      view.info(
        `offline: no OPENAI_API_KEY, so a scripted model plays the built-in scenario "${scenario!.name}": ${scenario!.summary}`,
      );
      view.info(
        `  scenarios: ${SCENARIOS.map((known) => known.name).join(", ")} (--scenario <name>, --list-scenarios)`,
      );
      for (const notice of notices) view.info(`  ${notice}`);
    }
    view.info(`goal: ${goal}`);
    if (options.webPort !== undefined) {
      web = await startWebView({ port: options.webPort, title: goal, maxSteps: BUDGET.maxSteps });
      view.info(`web view: ${web.url}${options.approve ? " (approve the plan there)" : ""}`);
    }
    view.info(`workspace: ${workspace}`);
    view.info(
      `service: ${service.url} (${operations} OpenAPI operations) · checkpoints: ${store.description}`,
    );
    if (resuming) {
      view.info(
        `resuming thread "${threadId}" where it stopped (next: ${before.next.join(", ")}); finished steps are not run again`,
      );
      if (options.goal !== undefined && options.goal !== goal)
        view.warn(`the goal given is ignored: thread "${threadId}" is resuming its own goal`);
    } else if (options.thread !== undefined) {
      writeFileSync(
        metaFile,
        JSON.stringify({
          thread: options.thread,
          goal,
          scenario: scenario?.name ?? null,
        } satisfies ThreadMeta),
      );
      if ((before?.values as { outcome?: unknown } | undefined)?.outcome)
        view.info(`thread "${threadId}" had finished; starting a new run on it`);
    }
    view.info("");
    const savedPlan = resuming ? (before.values as { plan?: Plan | null }).plan : undefined;
    if (savedPlan) view.resumed(savedPlan, Date.now());

    const config = {
      ...graphConfig,
      recursionLimit: recursionLimitFor(BUDGET),
      signal: controller.signal,
      streamMode: ["custom", "updates"] as ("custom" | "updates")[],
    };
    let input: { goal: string } | Command | null = resuming ? null : { goal };
    let rejected = false;
    // With --approve, the planner already marks the first ready steps as started (their
    // step-start events come with the plan): hold those events until the plan is approved.
    let held: RunEvent[] | undefined = options.approve ? [] : undefined;
    for (;;) {
      const stream = await graph.stream(input as never, config);
      for await (const chunk of stream as AsyncIterable<[string, unknown]>) {
        const [streamMode, payload] = chunk;
        if (streamMode !== "custom") continue;
        web?.event(payload);
        const event = payload as RunEvent;
        if (held && event.type === "step-start") held.push(event);
        else if (held && event.type === "plan-end" && mode !== "json") {
          // Shown as proposed: nothing runs before the approval.
          const steps = event.plan.steps.map((step) =>
            step.status === "running" ? { ...step, status: "pending" as const, startedAt: undefined } : step,
          );
          view.event({ ...event, plan: { ...event.plan, steps } });
        } else view.event(event);
      }
      const snapshot = await graph.getState(graphConfig);
      const request = approvalRequestOf(snapshot.tasks);
      if (!request) break;
      let approval: PlanApproval;
      if (web) {
        view.approval(request.plan, request.error);
        view.info(`waiting for your answer in the web view: ${web.url}`);
        approval = await web.approval(request, controller.signal);
        view.info(`→ ${approval.action} (from the web view)`);
      } else {
        reader ??= createLineReader(io.stdin);
        approval = await askApproval(view, reader, request, controller.signal);
      }
      if (approval.action === "reject") rejected = true;
      if (approval.action === "approve") {
        view.approved(Date.now());
        for (const event of held ?? []) view.event({ ...event, at: Date.now() });
      }
      held = undefined;
      input = new Command({ resume: approval });
    }
    reader?.close();

    const state = (await graph.getState(graphConfig)).values as {
      plan?: Plan | null;
      answer?: string | null;
      outcome?: { status: string; reason: string } | null;
      run?: { usage?: { llmCalls: number; promptTokens: number; completionTokens: number } } | null;
      results?: Record<string, unknown>;
    };
    const outcome = state.outcome ?? { status: "failed", reason: "the run ended without an outcome" };
    const exitCode =
      outcome.status === "completed"
        ? EXIT.completed
        : outcome.status === "cancelled"
          ? rejected
            ? EXIT.rejected
            : EXIT.cancelled
          : EXIT.failed;
    const notes: string[] = [];
    if (options.diagram && state.plan) {
      const file = resolve(options.diagram);
      try {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(
          file,
          `# ${goal}\n\nPlan revision ${state.plan.revision}, ${outcome.status}: ${outcome.reason}\n\n\`\`\`mermaid\n${toMermaid(state.plan)}\n\`\`\`\n`,
        );
        notes.push(`diagram: ${file}`);
      } catch (error) {
        // Checked before the run; the path changed meanwhile. The run's outcome stands.
        view.warn(`cannot write the diagram to ${file}: ${(error as Error).message}`);
      }
    }
    notes.push(`workspace: ${workspace}`);
    if (options.thread !== undefined) notes.push(`thread: ${threadId} (${store.description})`);
    view.finish({
      status: outcome.status,
      reason: outcome.reason,
      answer: rejected ? null : (state.answer ?? null),
      plan: state.plan ?? null,
      usage: state.run?.usage ?? null,
      notes,
    });
    result({
      status: outcome.status,
      reason: outcome.reason,
      exitCode,
      answer: state.answer ?? null,
      plan: state.plan ?? null,
      results: state.results ?? {},
      usage: state.run?.usage ?? null,
      goal,
      scenario: online ? null : scenario!.name,
      offline: !online,
      model: online ? modelName : "offline",
      thread: options.thread ?? null,
      workspace,
      serviceHits: service.hits(),
      resumed: resuming,
      durationMs: Date.now() - startedAt,
    });
    if (web) {
      web.finish((await graph.getState(graphConfig)).values);
      view.info(`web view: ${web.url} stays open until Ctrl-C`);
      await web.linger(controller.signal);
    }
    return stdoutClosed ? EXIT.completed : exitCode;
  } catch (error) {
    reader?.close();
    if (stdoutClosed) {
      view.close();
      return EXIT.completed; // the reader has what it wanted
    }
    if (controller.signal.aborted) {
      const hint =
        options.thread !== undefined
          ? ` Resume with the same --thread ${options.thread}.`
          : " Pass --thread <id> to make a run resumable.";
      view.close();
      stderr.write(`\ncancelled (Ctrl-C): steps in flight were stopped.${hint}\n`);
      result({ status: "cancelled", reason: "cancelled with Ctrl-C", exitCode: EXIT.cancelled });
      return EXIT.cancelled;
    }
    const { code, message } = classify(error, { model: modelName, baseURL });
    web?.event({ type: "view-notice", at: Date.now(), level: "error", text: `the run stopped: ${message}` });
    view.close();
    stderr.write(`error: ${message}\n`);
    result({ status: "error", reason: message, exitCode: code });
    return code;
  } finally {
    process.off("SIGINT", onSigint);
    // The stdout listener stays: an EPIPE may still be reported after this returns.
    view.close();
    await web?.close();
    await service?.close();
    await store?.close().catch(() => {});
  }
}

/** Exit code and message of an error that ended the demo. */
function classify(error: unknown, context: { model: string; baseURL: string | undefined }) {
  if (error instanceof UsageError) return { code: EXIT.usage, message: error.message };
  if (error instanceof ConfigError) return { code: EXIT.config, message: error.message };
  const modelError = describeModelError(error, context);
  if (modelError) return { code: EXIT.config, message: modelError };
  if (PlanExecuteError.isInstance(error)) {
    const code = error.code === "planner-failed" ? EXIT.config : EXIT.failed;
    return { code, message: `${error.code}: ${error.message}` };
  }
  return { code: EXIT.failed, message: (error as Error)?.stack ?? String(error) };
}

function readMeta(file: string): ThreadMeta | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as Partial<ThreadMeta>;
    if (typeof value.goal !== "string") return undefined;
    return { thread: String(value.thread), goal: value.goal, scenario: value.scenario ?? null };
  } catch {
    return undefined;
  }
}

/** The plan-approval interrupt waiting in a snapshot's tasks, if any. */
function approvalRequestOf(
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

const MAX_INVALID_ANSWERS = 5;

/** Shows the plan and reads approve / edit / reject; the end of stdin rejects. */
async function askApproval(
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
