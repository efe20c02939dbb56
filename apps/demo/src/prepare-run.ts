/**
 * Everything a run needs before its first event: the model settings, the workspace and thread,
 * the checkpointer, the scenario and goal, the service, the tools, the model and the agent, and
 * whether the thread resumes.
 *
 * @module
 */
import { join } from "node:path";
import type { PlanExecuteAgent, PlanExecuteStateType } from "@replan/langgraph";
import { createDemoAgent, createDemoModel } from "./agent.js";
import type { CliOptions } from "./args.js";
import { DEFAULT_MODEL } from "./model.js";
import type { Io } from "./process-io.js";
import { chooseScenario } from "./scenario-choice.js";
import { DEFAULT_SCENARIO, type Scenario } from "./scenarios.js";
import { type Service, startService } from "./service.js";
import { type ModelSettings, modelSettings, requestedScenario } from "./settings.js";
import type { OpenCheckpointer } from "./store.js";
import { type DemoThread, openThreadStore, openWorkspace } from "./thread.js";
import { createDemoTools } from "./tools.js";
import type { WebView } from "./web.js";

/** What a run opened, to be closed at its end whatever happened (filled in as they open). */
export interface Opened {
  service?: Service;
  store?: OpenCheckpointer;
  web?: WebView;
}

/** A run, ready to start or resume. */
export interface DemoRun {
  /** The goal: given, remembered by the thread, saved in its checkpoint, or the scenario's. */
  goal: string;
  /** A real model or the offline one. */
  settings: ModelSettings;
  /** The real model's name (`--model`, or the default). */
  modelName: string;
  /** The scenario the offline model plays (with a real model, the one `--scenario` named, if any). */
  scenario: Scenario | undefined;
  /** How the offline scenario was chosen from the goal, in lines for people. */
  notices: string[];
  /** The workspace and thread. */
  thread: DemoThread;
  /** The thread's checkpointer. */
  store: OpenCheckpointer;
  /** The local HTTP service. */
  service: Service;
  /** The number of the service's OpenAPI operations (one tool each). */
  operations: number;
  /** The agent. */
  agent: PlanExecuteAgent;
  /** The thread's config. */
  config: { configurable: { thread_id: string } };
  /** What the thread's last checkpoint holds (`--thread` only). */
  saved: { next: readonly string[]; values: PlanExecuteStateType } | undefined;
  /** Whether the thread stopped before its end and resumes. */
  resuming: boolean;
}

/**
 * Prepares a run; what it opens goes into `opened` at once, so that a failure halfway still
 * closes it.
 *
 * @param io - the environment.
 * @param options - the command line.
 * @param opened - filled with the service and checkpointer as they open.
 * @throws `UsageError` or `ConfigError` (bad scenario, model settings, database).
 * @example
 * ```ts
 * const opened: Opened = {};
 * const run = await prepareRun(io, options, opened);
 * ```
 */
export async function prepareRun(io: Io, options: CliOptions, opened: Opened): Promise<DemoRun> {
  const settings = modelSettings(io.env, options);
  const named = requestedScenario(options);
  const thread = openWorkspace(options);
  const store = await openThreadStore(thread, options, io.env);
  opened.store = store;
  const choice = settings.online ? undefined : chooseScenario(named, thread.meta, options.goal);
  const scenario = choice?.scenario ?? named;
  const service = await startService({
    hitsFile: join(thread.stateDir, "service-hits.json"),
    speed: options.speed,
  });
  opened.service = service;
  const { tools, operations } = await createDemoTools({
    serviceUrl: service.url,
    workspace: thread.workspace,
  });
  const modelName = options.model ?? DEFAULT_MODEL;
  const model = await createDemoModel(settings, modelName, scenario, options.speed);
  const agent = createDemoAgent({
    model,
    tools,
    checkpointer: store.saver,
    online: settings.online,
    options,
  });
  const config = { configurable: { thread_id: thread.id } };
  const saved = thread.named ? await savedState(agent, config) : undefined;
  const resuming = saved !== undefined && saved.next.length > 0;
  const goal =
    (resuming ? saved.values.goal : undefined) ||
    (options.goal ?? thread.meta?.goal ?? (scenario ?? DEFAULT_SCENARIO).goal);
  return {
    goal,
    settings,
    modelName,
    scenario,
    notices: choice?.notices ?? [],
    thread,
    store,
    service,
    operations,
    agent,
    config,
    saved,
    resuming,
  };
}

/** The thread's last checkpoint: the nodes still to run, and the state. */
async function savedState(agent: PlanExecuteAgent, config: DemoRun["config"]): Promise<DemoRun["saved"]> {
  const snapshot = await agent.getState(config);
  return { next: snapshot.next, values: snapshot.values as PlanExecuteStateType };
}
