// The cost of the shell tool's kernel sandbox per command: p50 and p95 wall time of a trivial
// command (`true`) through runCommand, with and without the bubblewrap sandbox, interleaved so
// that machine load weighs on both alike. Target: at most 15 ms added at p50.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { probeSandbox, runCommand } from "@replan/executors-shell";

/** One line of the bench's output about the sandbox. */
export interface SandboxCostRecord {
  kind: "sandbox-cost";
  /** Whether commands ran inside the sandbox. */
  sandbox: boolean;
  /** Timed runs (after a warm-up). */
  runs: number;
  p50Ms: number;
  p95Ms: number;
}

/** The sandbox's added p50 must stay at or under this, in ms. */
export const SANDBOX_COST_TARGET_MS = 15;

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/**
 * Times `true` through `runCommand`, alternately with and without the sandbox.
 *
 * @param runs - timed runs of each (after 5 warm-up runs of each).
 * @returns two records (without, with), or the reason the sandbox cannot start here.
 */
export async function measureSandboxCost(
  runs = 60,
): Promise<{ records: SandboxCostRecord[] } | { unavailable: string }> {
  const probe = await probeSandbox();
  if (!probe.available) return { unavailable: probe.error.message };
  const root = mkdtempSync(path.join(tmpdir(), "replan-bench-sandbox-"));
  try {
    const times = { false: [] as number[], true: [] as number[] };
    for (let index = 0; index < runs + 5; index++) {
      for (const sandbox of [false, true] as const) {
        const started = performance.now();
        const result = await runCommand({ program: "true" }, { root, sandbox, programs: { true: {} } });
        const elapsed = performance.now() - started;
        if (!result.ok) throw new Error(`true failed (sandbox: ${sandbox}): ${result.stderr}`);
        if (index >= 5) times[`${sandbox}`].push(elapsed);
      }
    }
    return {
      records: ([false, true] as const).map((sandbox) => {
        const sorted = [...times[`${sandbox}`]].sort((a, b) => a - b);
        const round = (value: number) => Math.round(value * 10) / 10;
        return {
          kind: "sandbox-cost",
          sandbox,
          runs,
          p50Ms: round(percentile(sorted, 0.5)),
          p95Ms: round(percentile(sorted, 0.95)),
        };
      }),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The report's lines about the sandbox, with the target's PASS/FAIL. */
export function formatSandboxCost(measured: Awaited<ReturnType<typeof measureSandboxCost>>): string[] {
  if ("unavailable" in measured)
    return ["shell sandbox cost: not measured (sandbox unavailable here)", `  ${measured.unavailable}`];
  const [without, within] = measured.records;
  const added = Math.round((within!.p50Ms - without!.p50Ms) * 10) / 10;
  return [
    `shell sandbox cost per command (\`true\` through runCommand, ${within!.runs} runs each, interleaved)`,
    `  without sandbox: p50 ${without!.p50Ms} ms, p95 ${without!.p95Ms} ms`,
    `  with bubblewrap: p50 ${within!.p50Ms} ms, p95 ${within!.p95Ms} ms`,
    `  ${added <= SANDBOX_COST_TARGET_MS ? "PASS" : "FAIL"} added at p50: ${added} ms (target <= ${SANDBOX_COST_TARGET_MS} ms)`,
  ];
}
