import { afterEach, beforeEach, expect, test } from "vitest";
import { runCommand } from "./run-command.js";
import { makeRoot, testPrograms, withSandbox } from "./test-helpers.js";

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ root, cleanup } = makeRoot());
});
afterEach(() => cleanup());

const megabyte = 1024 * 1024;

function rssGrowth<T>(action: () => Promise<T>): Promise<{ value: T; growth: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  return action().then(
    (value) => {
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      return { value, growth: peak - before };
    },
    (error: unknown) => {
      clearInterval(sampler);
      throw error;
    },
  );
}

test("an endless producer is stopped at the cap, with bounded memory", async () => {
  const { value: result, growth } = await rssGrowth(() =>
    runCommand(
      { program: "yes", args: ["replan"] },
      { root, programs: testPrograms, sandbox: withSandbox, maxOutputBytes: 64 * 1024 },
    ),
  );
  expect(result.terminationReason).toBe("output-limit");
  expect(result.stdoutTruncated).toBe(true);
  expect(result.stderrTruncated).toBe(false);
  expect(result.ok).toBe(false);
  expect(result.stdout.startsWith("replan\nreplan\n")).toBe(true);
  expect(result.stdout).toMatch(/\n\[output truncated after 65536 bytes\]$/);
  expect(Buffer.byteLength(result.stdout)).toBeLessThan(64 * 1024 + 100);
  expect(result.durationMs).toBeLessThan(5_000);
  expect(growth).toBeLessThan(64 * megabyte);
});

test('500 MB of output with onOutputLimit "truncate" is drained to the end with bounded memory', async () => {
  const { value: result, growth } = await rssGrowth(() =>
    runCommand(
      { program: "head", args: ["-c", "500000000", "/dev/zero"] },
      {
        root,
        programs: { head: { checkPaths: false } },
        sandbox: withSandbox,
        maxOutputBytes: megabyte,
        onOutputLimit: "truncate",
        // Draining 500 MB takes a few seconds alone, and over 15 s when the machine runs every
        // package's tests at once: the point here is memory, a stall would end in "timeout".
        timeoutMs: 60_000,
      },
    ),
  );
  expect(result.terminationReason).toBe("exit");
  expect(result.exitCode).toBe(0);
  expect(result.ok).toBe(true);
  expect(result.stdoutTruncated).toBe(true);
  expect(result.stdout.startsWith("\0".repeat(1000))).toBe(true);
  expect(Buffer.byteLength(result.stdout)).toBeLessThan(megabyte + 100);
  expect(result.durationMs).toBeLessThan(60_000);
  expect(growth).toBeLessThan(100 * megabyte);
}, 90_000);
