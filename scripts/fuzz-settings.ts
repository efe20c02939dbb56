// Settings shared by the packages' fuzz tests (fast-check).
import { afterAll, beforeAll } from "vitest";

/** Cases per fuzz property: 1,000 by default (CI), more with FUZZ_RUNS. */
export const fuzzRuns = Number(process.env.FUZZ_RUNS ?? 1000);

/**
 * FUZZ_SEED (and FUZZ_PATH) replay what fast-check reported; CI uses a fixed seed so that it is
 * reproducible, local runs a random one (printed on failure).
 */
export const fuzzReplay: { seed?: number; path?: string; endOnFailure?: boolean } = process.env.FUZZ_SEED
  ? { seed: Number(process.env.FUZZ_SEED), path: process.env.FUZZ_PATH, endOnFailure: true }
  : process.env.CI
    ? { seed: 20261124 }
    : {};

/**
 * Records every unhandled rejection while the calling test file runs (register at module level);
 * the fuzz properties assert the returned list stays empty.
 */
export function recordUnhandledRejections(): unknown[] {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => {
    process.on("unhandledRejection", onUnhandled);
  });
  afterAll(() => {
    process.off("unhandledRejection", onUnhandled);
  });
  return unhandled;
}
