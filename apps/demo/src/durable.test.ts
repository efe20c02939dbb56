// End-to-end: a run killed with SIGKILL resumes with the same --thread without redoing finished
// steps (counted by the service's hits), and Ctrl-C (SIGINT) stops a run cleanly with exit 130.
import { describe, expect, it } from "vitest";
import {
  type JsonLine,
  jsonLines,
  onLines,
  readHits,
  runCli,
  startCli,
  tempWorkspace,
} from "./test-helpers.js";

interface EventStep {
  id: string;
  status: string;
  tool?: string;
}

describe.concurrent("durable runs", () => {
  it("killed after some steps, resumed with the same thread: finished steps are not run again", async () => {
    const workspace = tempWorkspace();
    const args = ["--json", "--thread", "kill-test", "--workspace", workspace, "--speed", "3"];
    const first = startCli(args);
    const seen: JsonLine[] = [];
    const doneBeforeKill: EventStep[] = [];
    onLines(first.child, (line) => {
      const event = JSON.parse(line) as JsonLine;
      seen.push(event);
      const step = event.step as EventStep | undefined;
      if (event.type === "step-end" && step?.status === "done") {
        doneBeforeKill.push(step);
        // The first two (changelog, latest) are saved by the time a third step ends: a step's
        // event can reach stdout a moment before its task's result is written.
        if (doneBeforeKill.length === 3) first.child.kill("SIGKILL");
      }
    });
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(seen.some((event) => event.type === "result")).toBe(false);
    const saved = doneBeforeKill.slice(0, 2).map((step) => step.id);
    expect(saved.sort()).toEqual(["changelog", "latest"]);
    const hitsAtKill = readHits(workspace);
    expect(hitsAtKill.getLatestRelease).toBe(1);

    const resumeStartedAt = Date.now();
    const second = await runCli(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('resuming thread "kill-test" where it stopped');
    const events = jsonLines(second.stdout);
    const result = events.at(-1)!;
    expect(result).toMatchObject({ type: "result", status: "completed", resumed: true, exitCode: 0 });
    // no step that was done before the kill starts again in this process
    const startedNow = events
      .filter((event) => event.type === "step-start" && (event.at ?? 0) >= resumeStartedAt)
      .map((event) => (event.step as EventStep).id);
    for (const id of saved) expect(startedNow).not.toContain(id);
    // side effects: each HTTP operation was called once over both processes
    expect(readHits(workspace), JSON.stringify({ before: hitsAtKill, after: readHits(workspace) })).toEqual({
      getLatestRelease: 1,
      listIssues: expect.any(Number),
      getReleaseNotes: expect.any(Number),
      getDownloadStats: expect.any(Number),
      publishReport: expect.any(Number),
    });
    // steps in flight at the kill may run again; nothing runs more than twice
    for (const count of Object.values(readHits(workspace))) expect(count).toBeLessThanOrEqual(2);
    expect((result.plan as { steps: EventStep[] }).steps.every((step) => step.status === "done")).toBe(true);
  });

  it("SIGINT stops the run with exit 130 and a clean message; the thread then resumes", async () => {
    const workspace = tempWorkspace();
    const args = ["--json", "--thread", "sigint-test", "--workspace", workspace, "--speed", "3"];
    const run = startCli(args);
    let sent = false;
    onLines(run.child, (line) => {
      const event = JSON.parse(line) as JsonLine;
      if (event.type === "step-end" && (event.step as EventStep).id === "latest" && !sent) {
        sent = true;
        run.child.kill("SIGINT");
      }
    });
    const stopped = await run.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain("cancelled (Ctrl-C)");
    expect(stopped.stderr).toContain("Resume with the same --thread sigint-test");
    expect(jsonLines(stopped.stdout).at(-1)).toMatchObject({
      type: "result",
      status: "cancelled",
      exitCode: 130,
    });

    // resumed in plain mode: the saved tree is shown again before the remaining steps run
    const resumed = await runCli(args.filter((arg) => arg !== "--json"));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(
      /plan, revision 0: 6 steps, \d done \(restored from the checkpoint\)\n\s+[▶✔] latest /,
    );
    expect(resumed.stdout).toContain("completed: all 6 steps are done");
    expect(readHits(workspace).getLatestRelease).toBe(1);
    expect(readHits(workspace).publishReport).toBe(1);
  });

  it("a finished thread starts a new run when given again", async () => {
    const workspace = tempWorkspace();
    const args = ["--thread", "again", "--workspace", workspace, "--scenario", "disk-audit"];
    expect((await runCli(args)).code).toBe(0);
    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('thread "again" had finished; starting a new run on it');
  });
});
