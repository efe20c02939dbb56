/**
 * The lines a run starts with: which model (or scenario) plays, the goal, the web view, the
 * workspace, the service and the checkpoints, and whether the thread resumes; then the saved plan
 * of a resumed thread.
 *
 * @module
 */
import { BUDGET } from "./agent.js";
import type { CliOptions } from "./args.js";
import { SCENARIOS } from "./scenarios.js";
import type { DemoRun, Opened } from "./prepare-run.js";
import type { View } from "./view.js";
import { startWebView } from "./web.js";

/**
 * Tells what the run is about to do, starts the web view (with `--web`), and remembers a new
 * thread's goal and scenario for its next run.
 *
 * @param view - where the lines go.
 * @param run - the prepared run.
 * @param options - the command line.
 * @param opened - gets the web view as soon as it serves.
 * @example
 * ```ts
 * await introduce(view, run, options, opened);
 * ```
 */
export async function introduce(
  view: View,
  run: DemoRun,
  options: CliOptions,
  opened: Opened,
): Promise<void> {
  const { goal, thread } = run;
  introduceModel(view, run);
  view.info(`goal: ${goal}`);
  if (options.webPort !== undefined) {
    opened.web = await startWebView({ port: options.webPort, title: goal, maxSteps: BUDGET.maxSteps });
    view.info(`web view: ${opened.web.url}${options.approve ? " (approve the plan there)" : ""}`);
  }
  view.info(`workspace: ${thread.workspace}`);
  view.info(
    `service: ${run.service.url} (${run.operations} OpenAPI operations) · checkpoints: ${run.store.description}`,
  );
  if (run.resuming) {
    view.info(
      `resuming thread "${thread.id}" where it stopped (next: ${run.saved!.next.join(", ")}); finished steps are not run again`,
    );
    if (options.goal !== undefined && options.goal !== goal)
      view.warn(`the goal given is ignored: thread "${thread.id}" is resuming its own goal`);
  } else if (thread.named) {
    thread.remember(goal, run.scenario?.name ?? null);
    if (run.saved?.values.outcome) view.info(`thread "${thread.id}" had finished; starting a new run on it`);
  }
  view.info("");
  const savedPlan = run.resuming ? run.saved!.values.plan : undefined;
  if (savedPlan) view.resumed(savedPlan, Date.now());
}

/** Which model plays: the real one and its server, or the offline scenario and how it was chosen. */
function introduceModel(view: View, run: DemoRun): void {
  const { settings } = run;
  if (settings.online) {
    view.info(
      `model: ${run.modelName} at ${settings.baseURL ?? "https://api.openai.com/v1"}${settings.apiKey ? "" : " (no OPENAI_API_KEY: sending a placeholder key)"}`,
    );
    return;
  }
  view.info(
    `offline: no OPENAI_API_KEY, so a scripted model plays the built-in scenario "${run.scenario!.name}": ${run.scenario!.summary}`,
  );
  view.info(
    `  scenarios: ${SCENARIOS.map((known) => known.name).join(", ")} (--scenario <name>, --list-scenarios)`,
  );
  for (const notice of run.notices) view.info(`  ${notice}`);
}
