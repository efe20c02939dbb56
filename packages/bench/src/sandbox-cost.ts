// The cost of the shell tool's kernel sandbox per command: p50 and p95 wall time of a trivial
// command (`true`) through runCommand, without the sandbox, with it as configured by default (2
// sandboxes kept warm per configuration) and with none warm (each set up with its command),
// interleaved so that machine load weighs on all alike. Commands run back to back: each warm
// sandbox has only the time of the other variants' runs to get ready. Target: at most 15 ms added
// at p50 by default.
// Also timed, interleaved with them: bubblewrap's own floor (`bwrap --unshare-user --ro-bind / /
// true`, only a user and a mount namespace, spawned directly), which tells what the kernel and
// bubblewrap charge from what the tool adds; and the load average, since on a shared 2-core machine
// the figures follow it (docs/decisions/005-shell-sandbox.md).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { probeSandbox, runCommand } from "@replan/executors-shell";

/** One line of the bench's output about the sandbox. */
export interface SandboxCostRecord {
  kind: "sandbox-cost";
  /** Whether commands ran inside the sandbox. */
  sandbox: boolean;
  /**
   * Sandboxes kept started ahead of their command (`sandbox.prewarm`): the default (2), or 0 (each
   * sandbox set up when its command comes: the cost a command pays with no warm sandbox ready).
   */
  prewarm?: number;
  /** Timed runs (after a warm-up). */
  runs: number;
  p50Ms: number;
  p95Ms: number;
  /** The 1-minute load average before and after the runs. */
  load: [number, number];
}

/** The sandbox's added p50 must stay at or under this, in ms. */
export const SANDBOX_COST_TARGET_MS = 15;

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/** Spawns `file args` with no stdio; resolves with its exit code, or rejects after 10 s. */
function exitCodeOf(file: string, args: readonly string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: "ignore" });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${file} did not end within 10 s`));
    }, 10_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const round = (value: number) => Math.round(value * 10) / 10;

/**
 * Times `true` through `runCommand`, alternately with and without the sandbox, and bubblewrap's
 * floor (a bare `bwrap` with a user and a mount namespace, spawned directly).
 *
 * @param runs - timed runs of each (after 5 warm-up runs of each).
 * @returns two records (without, with) and the floor's p50, or the reason the sandbox cannot start here.
 */
export async function measureSandboxCost(
  runs = 60,
): Promise<{ records: SandboxCostRecord[]; floorP50Ms: number } | { unavailable: string }> {
  const probe = await probeSandbox();
  if (!probe.available) return { unavailable: probe.error.message };
  if (probe.mechanism !== "bubblewrap")
    return { unavailable: `measured for bubblewrap only, not ${probe.mechanism}` };
  const root = mkdtempSync(path.join(tmpdir(), "replan-bench-sandbox-"));
  const loadBefore = round(loadavg()[0] ?? 0);
  try {
    const times = {
      false: [] as number[],
      true: [] as number[],
      cold: [] as number[],
      floor: [] as number[],
    };
    const variants = [
      ["false", false],
      ["true", true],
      ["cold", { prewarm: 0 }],
    ] as const;
    for (let index = 0; index < runs + 5; index++) {
      for (const [name, sandbox] of variants) {
        const started = performance.now();
        const result = await runCommand({ program: "true" }, { root, sandbox, programs: { true: {} } });
        const elapsed = performance.now() - started;
        if (!result.ok) throw new Error(`true failed (sandbox: ${name}): ${result.stderr}`);
        if (index >= 5) times[name].push(elapsed);
      }
      const started = performance.now();
      const code = await exitCodeOf(probe.executable, ["--unshare-user", "--ro-bind", "/", "/", "true"]);
      if (code !== 0) throw new Error(`bare bwrap failed with exit code ${code}`);
      if (index >= 5) times.floor.push(performance.now() - started);
    }
    const load: [number, number] = [loadBefore, round(loadavg()[0] ?? 0)];
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    return {
      records: (["false", "true", "cold"] as const).map((name) => ({
        kind: "sandbox-cost",
        sandbox: name !== "false",
        ...(name === "false" ? {} : { prewarm: name === "cold" ? 0 : 2 }),
        runs,
        p50Ms: round(percentile(sorted(times[name]), 0.5)),
        p95Ms: round(percentile(sorted(times[name]), 0.95)),
        load,
      })),
      floorP50Ms: round(percentile(sorted(times.floor), 0.5)),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The report's lines about the sandbox, with the target's PASS/FAIL. */
export function formatSandboxCost(measured: Awaited<ReturnType<typeof measureSandboxCost>>): string[] {
  if ("unavailable" in measured)
    return ["shell sandbox cost: not measured (sandbox unavailable here)", `  ${measured.unavailable}`];
  const [without, within, cold] = measured.records;
  const added = round(within!.p50Ms - without!.p50Ms);
  const addedCold = round(cold!.p50Ms - without!.p50Ms);
  const floor = round(measured.floorP50Ms - without!.p50Ms);
  return [
    `shell sandbox cost per command (\`true\` through runCommand, ${within!.runs} runs each, interleaved; load average ${within!.load[0]} -> ${within!.load[1]})`,
    `  without sandbox: p50 ${without!.p50Ms} ms, p95 ${without!.p95Ms} ms`,
    `  with bubblewrap (default, 2 sandboxes kept warm): p50 ${within!.p50Ms} ms, p95 ${within!.p95Ms} ms`,
    `  with bubblewrap, none warm (prewarm: 0, set up per command): p50 ${cold!.p50Ms} ms, p95 ${cold!.p95Ms} ms (${addedCold} ms added)`,
    `  bubblewrap's floor (bare bwrap, user + mount namespaces only, spawned directly): p50 ${measured.floorP50Ms} ms (${floor} ms over the unsandboxed p50)`,
    `  ${added <= SANDBOX_COST_TARGET_MS ? "PASS" : "FAIL"} added at p50 (default): ${added} ms (target <= ${SANDBOX_COST_TARGET_MS} ms)`,
  ];
}
