// The benchmark: replan's core and LangGraph adapter against the LangGraph plan-and-execute
// tutorial's graph, with the same scripted model. Prints one JSON record per line on stdout, then a
// table of ratios and the targets with PASS/FAIL. Progress goes to stderr.
//
// Then the token-time section (issue #18): each system on chain, fan-out, skewed-dag and one-failure
// at N = 16 with a model that takes its time to first token plus its output tokens at a fixed rate.
//
// Then the failure-beside-branches section (issue #19): one branch fails early and is replanned
// while three independent branches run, under the flat clock and the token-time clock.
//
// Usage: node dist/bench.mjs [--quick] [--full] [--token-time] [--branches]
//   --quick  N in {4, 16} only, no N=1000 (a minute or so; for trying changes)
//   --token-time  only the token-time section (about a minute)
//   --branches  only the failure-beside-branches section (about 20 s)
//   --full   also the 100 ms runs of the chain-shaped scenarios at N=64 (adds about 80 s)
//   --only=<system>:<scenario>:<n>[:<latencyMs>]  one record (median of 5), e.g. to profile:
//            node --cpu-prof dist/bench.mjs --only=replan-core:fan-out:1000
import { availableParallelism, cpus } from "node:os";
import { bareFunctionalTasks, bareSupersteps, bareTasks, timeMedian } from "./reference.js";
import { formatTable, formatTargets, type ReferenceRecord } from "./report.js";
import { evaluateTargets } from "./targets.js";
import { formatSandboxCost, measureSandboxCost } from "./sandbox-cost.js";
import { runBranchesSection } from "./branches-bench.js";
import { TOKEN_CLOCK } from "./token-clock.js";
import { makeScenario, OUTPUT_CHARS, SCENARIO_NAMES, type ScenarioName } from "./scenarios.js";
import { type RunRecord, runSystem, SYSTEM_NAMES, type SystemName } from "./systems.js";
import type { TokenTimeRecord } from "./token-time.js";
import { runTokenTimeSection, type TokenTimeSection } from "./token-time-bench.js";

const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const full = args.has("--full");
const SIZES = quick ? [4, 16] : [4, 16, 64];
const OVERHEAD_SIZES = quick ? [] : [100, 1000];
const LATENCIES = [0, 100];

const records: RunRecord[] = [];
const references: ReferenceRecord[] = [];
const started = performance.now();

const log = (message: string) =>
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`);

function emit(record: RunRecord) {
  records.push(record);
  process.stdout.write(`${JSON.stringify(record)}\n`);
  if (record.status !== "completed")
    log(`warning: ${record.system} ${record.scenario} N=${record.steps} ended ${record.status}`);
}

/** How many timed runs (the median is reported): more when a run is short. */
function runsFor(system: SystemName, scenario: ScenarioName, latencyMs: number): number {
  if (latencyMs === 0) return 5;
  const sequential = system === "baseline-tutorial" || scenario === "chain" || scenario === "one-failure";
  return sequential ? 1 : 3;
}

/** `--only=<system>:<scenario>:<n>[:<latencyMs>]`: one measurement (for profiling with --cpu-prof). */
async function only(spec: string) {
  const [system, name, n = "16", latency = "0"] = spec.split(":");
  if (!SYSTEM_NAMES.includes(system as SystemName) || !SCENARIO_NAMES.includes(name as ScenarioName)) {
    throw new Error(
      `--only=<system>:<scenario>:<n>[:<latencyMs>], with a system in ${SYSTEM_NAMES.join(", ")} and a scenario in ${SCENARIO_NAMES.join(", ")}`,
    );
  }
  const scenario = makeScenario(name as ScenarioName, Number(n));
  await runSystem(system as SystemName, scenario, Number(latency), { runs: 2 }); // warm-up
  emit(await runSystem(system as SystemName, scenario, Number(latency), { runs: 5 }));
}

const emitTokenTime = (record: TokenTimeRecord) => process.stdout.write(`${JSON.stringify(record)}\n`);

async function tokenTimeOnly() {
  const section = await runTokenTimeSection(emitTokenTime, log);
  process.stdout.write(
    `\n${section.summary.join("\n")}\n${((performance.now() - started) / 1000).toFixed(0)} s\n`,
  );
}

const emitLine = (record: object) => process.stdout.write(`${JSON.stringify(record)}\n`);

async function branchesOnly() {
  const section = await runBranchesSection(emitLine, log, TOKEN_CLOCK);
  process.stdout.write(
    `\n${section.summary.join("\n")}\n${((performance.now() - started) / 1000).toFixed(0)} s\n`,
  );
}

/** Runs every system once at N = 4 (JIT, caches), without recording. */
async function warmUp(): Promise<void> {
  log("warm-up (not recorded)");
  for (const name of SCENARIO_NAMES) {
    for (const system of SYSTEM_NAMES) await runSystem(system, makeScenario(name, 4), 0, { runs: 2 });
  }
  for (const system of ["replan-langgraph", "baseline-tutorial"] as const) {
    await runSystem(system, makeScenario("fan-out", 4), 0, { runs: 2, checkpointer: true });
  }
}

/** Every scenario, size and system at each model latency. */
async function latencySection(): Promise<void> {
  for (const latencyMs of LATENCIES) {
    for (const name of SCENARIO_NAMES) {
      for (const steps of SIZES) {
        const chainShaped = name === "chain" || name === "one-failure";
        if (latencyMs > 0 && steps >= 64 && chainShaped && !full) continue;
        const scenario = makeScenario(name, steps);
        for (const system of SYSTEM_NAMES) {
          log(`${name} N=${steps} @${latencyMs}ms ${system}`);
          emit(await runSystem(system, scenario, latencyMs, { runs: runsFor(system, name, latencyMs) }));
        }
      }
    }
  }
}

/** The replanner prompt with 8x longer step outputs. */
async function outputGrowthSection(): Promise<void> {
  log("replanner prompt with 8x longer step outputs");
  for (const steps of SIZES.filter((size) => size >= 16)) {
    const scenario = makeScenario("one-failure", steps, OUTPUT_CHARS * 8);
    for (const system of SYSTEM_NAMES) {
      emit(await runSystem(system, scenario, 0, { runs: 1, scenarioLabel: "one-failure-8x-output" }));
    }
  }
}

/** Bare LangGraph references, then the per-step overhead of core and the adapter at N = 100 and 1000. */
async function overheadSection(): Promise<void> {
  for (const steps of OVERHEAD_SIZES) {
    log(`bare LangGraph reference N=${steps}`);
    references.push({ kind: "supersteps", steps, wallMs: await timeMedian(bareSupersteps(steps), 7) });
    references.push({ kind: "tasks", steps, wallMs: await timeMedian(bareTasks(steps), 7) });
    references.push({ kind: "functional", steps, wallMs: await timeMedian(bareFunctionalTasks(steps), 7) });
  }
  for (const steps of OVERHEAD_SIZES) {
    for (const name of ["fan-out", "chain"] as const) {
      const scenario = makeScenario(name, steps);
      for (const system of ["replan-core", "replan-langgraph"] as const) {
        log(`overhead ${name} N=${steps} ${system}`);
        // Warm up at this size first (the JIT and the heap settle per size); short runs are noisy,
        // so N = 100 takes the median of more runs.
        await runSystem(system, scenario, 0, { runs: 2 });
        emit(await runSystem(system, scenario, 0, { runs: steps <= 100 ? 15 : 5 }));
      }
    }
  }
}

/** Checkpoint sizes with MemorySaver. */
async function checkpointSection(): Promise<void> {
  log("checkpoint sizes (MemorySaver)");
  for (const steps of [...SIZES, ...OVERHEAD_SIZES]) {
    const scenario = makeScenario("fan-out", steps);
    const systems =
      steps <= 64 ? (["replan-langgraph", "baseline-tutorial"] as const) : (["replan-langgraph"] as const);
    for (const system of systems) {
      emit(
        await runSystem(system, scenario, 0, {
          runs: 1,
          checkpointer: true,
          scenarioLabel: "fan-out+checkpointer",
        }),
      );
    }
  }
}

async function main() {
  const onlySpec = process.argv.find((arg) => arg.startsWith("--only="));
  if (onlySpec) return only(onlySpec.slice("--only=".length));
  if (args.has("--token-time")) return tokenTimeOnly();
  if (args.has("--branches")) return branchesOnly();
  log(`Node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? "unknown"})`);

  await warmUp();
  await latencySection();
  await outputGrowthSection();
  await overheadSection();
  await checkpointSection();

  log("token-time clock");
  const tokenTime: TokenTimeSection = await runTokenTimeSection(emitTokenTime, log);

  log("failure-beside-branches");
  const branches = await runBranchesSection(emitLine, log, TOKEN_CLOCK);

  log("shell sandbox cost per command");
  const sandboxCost = await measureSandboxCost(quick ? 20 : 60);
  if ("records" in sandboxCost)
    for (const record of sandboxCost.records) process.stdout.write(`${JSON.stringify(record)}\n`);

  const results = evaluateTargets(records, references);
  const out = [
    "",
    `Figures: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${availableParallelism()} CPUs; wall times are medians; they vary with machine load.`,
    "Columns: c = replan-core, a = replan-langgraph, b = baseline-tutorial; critical = plan + longest step path (+ replan) + answer.",
    "",
    formatTable(records, references),
    "",
    "targets",
    formatTargets(results),
    "",
    ...formatSandboxCost(sandboxCost),
    "",
    ...tokenTime.summary,
    "",
    ...branches.summary,
    "",
    `${results.filter((r) => r.pass === true).length} PASS, ${results.filter((r) => r.pass === false).length} FAIL, ${results.filter((r) => r.pass === null).length} not measured; ${((performance.now() - started) / 1000).toFixed(0)} s`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
