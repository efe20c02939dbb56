import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ReplanError } from "@replan/core";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ShellToolError } from "./errors.js";
import { type RunCommandOptions, runCommand } from "./run-command.js";
import { isAlive, makeRoot, readPids, refusal, testPrograms, waitFor, withSandbox } from "./test-helpers.js";

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ root, cleanup } = makeRoot());
  writeFileSync(path.join(root, "notes.txt"), "hello\n");
});
afterEach(() => cleanup());

function run(program: string, args: string[], options: RunCommandOptions = {}, cwd?: string) {
  return runCommand(
    { program, args, ...(cwd === undefined ? {} : { cwd }) },
    { root, programs: testPrograms, sandbox: withSandbox, ...options },
  );
}

describe("arguments are an argument vector, never parsed by a shell", () => {
  test.each([
    "a; touch pwned",
    "a && touch pwned",
    "a | touch pwned",
    "a || touch pwned",
    "`touch pwned`",
    "$(touch pwned)",
    "a\ntouch pwned",
    "a > pwned",
    "*",
    "$HOME",
  ])("echo %j prints it literally and creates nothing", async (payload) => {
    const result = await run("echo", [payload]);
    expect(result.stdout).toBe(`${payload}\n`);
    expect(result.exitCode).toBe(0);
    expect(result.ok).toBe(true);
    expect(existsSync(path.join(root, "pwned"))).toBe(false);
  });

  test("a glob is not expanded for a program that opens files", async () => {
    const result = await run("cat", ["*.txt"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("*.txt");
    expect(result.stdout).toBe("");
  });
});

describe("policy", () => {
  test("a program outside the allowlist is refused and does not run", async () => {
    const error = await refusal(run("rm", ["notes.txt"]));
    expect(error.code).toBe("program-not-allowed");
    expect(error.message).toContain("rm");
    expect(existsSync(path.join(root, "notes.txt"))).toBe(true);
  });

  test("a program given as a path is refused even if its name is allowed", async () => {
    expect((await refusal(run("/bin/ls", []))).code).toBe("program-not-allowed");
  });

  test("a refused argument stops the command before it runs", async () => {
    const error = await refusal(run("sort", ["-o", "sorted.txt", "notes.txt"]));
    expect(error.code).toBe("argument-refused");
    expect(existsSync(path.join(root, "sorted.txt"))).toBe(false);
    expect((await refusal(run("find", [".", "-delete"]))).code).toBe("argument-refused");
    expect(existsSync(path.join(root, "notes.txt"))).toBe(true);
  });

  test("errors are ShellToolErrors and ReplanErrors, recognised by marker", async () => {
    const error = await refusal(run("rm", []));
    expect(error).toBeInstanceOf(ShellToolError);
    expect(ReplanError.isInstance(error)).toBe(true);
    expect(ShellToolError.isInstance(new ReplanError("aborted", "x"))).toBe(false);
    expect(error.name).toBe("ShellToolError");
  });
});

describe("paths stay inside the root", () => {
  beforeEach(() => {
    writeFileSync(path.join(root, "sub", "inner.txt"), "inner\n");
    symlinkSync("/etc", path.join(root, "etc-link"));
    symlinkSync("/etc/hostname", path.join(root, "hostname-link"));
    symlinkSync(path.join(root, "notes.txt"), path.join(root, "sub", "notes-link"));
    symlinkSync("/tmp/replan-not-yet-created/x", path.join(root, "dangling-link"));
    symlinkSync("loop-b", path.join(root, "loop-a"));
    symlinkSync("loop-a", path.join(root, "loop-b"));
  });

  test.each([
    [["../../etc/passwd"]],
    [["/etc/passwd"]],
    [["etc-link/passwd"]],
    [["hostname-link"]],
    [["sub/../../x"]],
    [["-n", "1", "--", "/etc/passwd"]],
    [["dangling-link"]],
    [["loop-a"]],
  ])("cat %j is refused", async (args) => {
    const error = await refusal(run("cat", args));
    expect(error.code).toBe("path-escape");
  });

  test("grep values of --flag=value and attached -fVALUE are checked", async () => {
    expect((await refusal(run("grep", ["--file=/etc/passwd", "notes.txt"]))).code).toBe("path-escape");
    expect((await refusal(run("grep", ["-f/etc/passwd", "notes.txt"]))).code).toBe("path-escape");
  });

  test("paths inside the root, absolute or through an inner symlink, are allowed", async () => {
    expect((await run("cat", ["sub/../notes.txt"])).stdout).toBe("hello\n");
    expect((await run("cat", [path.join(root, "sub", "inner.txt")])).stdout).toBe("inner\n");
    expect((await run("cat", ["sub/notes-link"])).stdout).toBe("hello\n");
  });

  test("the working directory is confined and defaults to the root", async () => {
    expect((await run("pwd", [])).stdout).toBe(`${root}\n`);
    expect((await run("pwd", [], {}, "sub")).stdout).toBe(`${path.join(root, "sub")}\n`);
    expect((await run("cat", ["inner.txt"], {}, path.join(root, "sub"))).stdout).toBe("inner\n");
    for (const cwd of ["..", "/", "/etc", "etc-link", "sub/../.."]) {
      expect((await refusal(run("ls", [], {}, cwd))).code, cwd).toBe("path-escape");
    }
    expect((await refusal(run("ls", [], {}, "missing"))).code).toBe("invalid-request");
    expect((await refusal(run("ls", [], {}, "notes.txt"))).code).toBe("invalid-request");
  });

  test("relative paths are resolved against the working directory", async () => {
    expect((await refusal(run("cat", ["../../notes.txt"], {}, "sub"))).code).toBe("path-escape");
    expect((await run("cat", ["../notes.txt"], {}, "sub")).stdout).toBe("hello\n");
  });

  test("echo does not check its arguments as paths", async () => {
    expect((await run("echo", ["/etc/passwd"])).stdout).toBe("/etc/passwd\n");
  });
});

describe("the five bypasses of issue 13 are refused by the rules (real files)", () => {
  test("a short-flag group with an attached path: date -uf../x, -uf/proc/<pid>/environ, any letter", async () => {
    for (const args of [
      ["-uf../.env"],
      [`-uf/proc/${process.pid}/environ`],
      ["-Rf../.env"],
      ["-uf", "../.env"],
      [`--file=/proc/${process.pid}/environ`],
    ]) {
      expect((await refusal(run("date", args))).code, JSON.stringify(args)).toBe("path-escape");
    }
    symlinkSync("/etc/hostname", path.join(root, "hn"));
    expect((await refusal(run("date", ["-ufhn"]))).code).toBe("path-escape");
    expect((await refusal(run("grep", ["-rfhn", "x", "."]))).code).toBe("path-escape");
  });

  test("`..` after a symlink is applied where the link leads, as the kernel does", async () => {
    mkdirSync(path.join(root, "x", "y"), { recursive: true });
    symlinkSync("../..", path.join(root, "x", "y", "up")); // points inside the root: to the root itself
    expect((await run("cat", ["x/y/up/notes.txt"])).stdout).toBe("hello\n");
    for (const args of [["x/y/up/../outside.txt"], ["x/y/up/../../etc/passwd"], ["-n", "x/y/up/.."]]) {
      expect((await refusal(run("cat", args))).code, JSON.stringify(args)).toBe("path-escape");
    }
    // A pnpm-style link into a store inside the root: `..` from where it leads stays inside.
    mkdirSync(path.join(root, ".store", "pkg@1", "node_modules", "pkg"), { recursive: true });
    writeFileSync(path.join(root, ".store", "pkg@1", "node_modules", "pkg", "index.js"), "x\n");
    mkdirSync(path.join(root, "node_modules"));
    symlinkSync("../.store/pkg@1/node_modules/pkg", path.join(root, "node_modules", "pkg"));
    expect((await run("cat", ["node_modules/pkg/../pkg/index.js"])).stdout).toBe("x\n");
    expect((await refusal(run("ls", [], {}, "x/y/up/.."))).code).toBe("path-escape");
  });

  test("a symlink named like an option is checked as the file it is after --", async () => {
    symlinkSync("/etc/hostname", path.join(root, "-Xl"));
    symlinkSync("/etc/hostname", path.join(root, "--l"));
    symlinkSync("/etc/hostname", path.join(root, "-"));
    for (const args of [
      ["--", "-Xl"],
      ["--", "--l"],
      ["-n", "--", "-"],
      ["--", "--", "--l"],
    ]) {
      expect((await refusal(run("cat", args))).code, JSON.stringify(args)).toBe("path-escape");
    }
  });

  test("date with an operand that would set the clock is refused", async () => {
    expect((await refusal(run("date", ["010100002030"]))).code).toBe("argument-refused");
    expect((await refusal(run("date", ["--", "010100002030"]))).code).toBe("argument-refused");
    expect((await run("date", ["-u", "-d", "@0", "+%Y"])).stdout).toBe("1970\n");
  });

  test("uniq -- -f ok.txt (a file named -f) does not overwrite ok.txt", async () => {
    writeFileSync(path.join(root, "-f"), "a\na\n");
    writeFileSync(path.join(root, "ok.txt"), "keep me\n");
    expect((await refusal(run("uniq", ["--", "-f", "ok.txt"]))).code).toBe("argument-refused");
    expect(readFileSync(path.join(root, "ok.txt"), "utf8")).toBe("keep me\n");
    expect((await run("uniq", ["--", "-f"])).stdout).toBe("a\n");
  });
});

describe("environment", () => {
  const secret = "REPLAN_TEST_SECRET_TOKEN";
  beforeEach(() => {
    process.env[secret] = "hunter2";
  });
  afterEach(() => {
    delete process.env[secret];
  });

  test("secrets in the parent's environment never reach the child", async () => {
    const result = await run("env", []);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).not.toContain("hunter2");
    const variables = Object.fromEntries(
      result.stdout
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(variables.PATH).toBe("/usr/local/bin:/usr/bin:/bin");
    expect(variables.HOME).toBe(root);
    expect(
      Object.keys(variables).every((name) =>
        // PWD is set by bubblewrap (--chdir).
        ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "PWD"].includes(name),
      ),
    ).toBe(true);
  });

  test("inheritEnv and env add exactly what is asked", async () => {
    const result = await run("printenv", [secret, "EXTRA"], { inheritEnv: [secret], env: { EXTRA: "1" } });
    expect(result.stdout).toBe("hunter2\n1\n");
  });

  test("a relative PATH entry is refused as an invalid option", async () => {
    const error = await refusal(run("ls", [], { env: { PATH: ".:/usr/bin" } }));
    expect(error.code).toBe("invalid-options");
    expect(error.message).toContain('"env"');
  });
});

describe("results", () => {
  test("a non-zero exit is a result with its output, not an exception", async () => {
    const result = await run("cat", ["missing.txt"]);
    expect(result.exitCode).toBe(1);
    expect(result.ok).toBe(false);
    expect(result.terminationReason).toBe("exit");
    expect(result.stderr).toContain("missing.txt");
    expect(result.timedOut).toBe(false);
    expect(result.command).toEqual({
      program: "cat",
      args: ["missing.txt"],
      cwd: root,
      shell: false,
      sandboxed: withSandbox,
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  test("an allowed program that is not installed is spawn-failed", async () => {
    const error = await refusal(
      run("no-such-program-replan", [], { programs: { "no-such-program-replan": {} } }),
    );
    expect(error.code).toBe("spawn-failed");
    expect(error.message).toContain("no-such-program-replan");
  });

  test("the caller's args array is copied, not kept", async () => {
    const args = ["first"];
    const promise = runCommand({ program: "echo", args }, { root, sandbox: withSandbox });
    args[0] = "changed";
    expect((await promise).stdout).toBe("first\n");
  });
});

describe("approval and dry run", () => {
  const touch = (options: RunCommandOptions) => run("touch ran", [], { allowShell: true, ...options });

  test("a denied command throws approval-denied and does not run", async () => {
    const seen: unknown[] = [];
    const error = await refusal(
      touch({
        approve: (command) => {
          seen.push(command);
          return false;
        },
      }),
    );
    expect(error.code).toBe("approval-denied");
    expect(seen).toEqual([
      { program: "touch ran", args: [], cwd: root, shell: true, sandboxed: withSandbox },
    ]);
    expect(existsSync(path.join(root, "ran"))).toBe(false);
  });

  test("an approved command runs", async () => {
    const result = await touch({ approve: async () => true });
    expect(result.ok).toBe(true);
    expect(existsSync(path.join(root, "ran"))).toBe(true);
  });

  test("only `true` approves; a throwing hook denies with the cause kept", async () => {
    const truthy = await refusal(touch({ approve: () => "yes" as unknown as boolean }));
    expect(truthy.code).toBe("approval-denied");
    const cause = new Error("prompt crashed");
    const thrown = await refusal(
      touch({
        approve: () => {
          throw cause;
        },
      }),
    );
    expect(thrown.code).toBe("approval-denied");
    expect(thrown.cause).toBe(cause);
    expect(existsSync(path.join(root, "ran"))).toBe(false);
  });

  test("no answer within approvalTimeoutMs denies, and the hook's signal is aborted", async () => {
    let hookSignal: AbortSignal | undefined;
    const error = await refusal(
      touch({
        approvalTimeoutMs: 50,
        approve: (_command, { signal }) => {
          hookSignal = signal;
          return new Promise<boolean>(() => {});
        },
      }),
    );
    expect(error.code).toBe("approval-denied");
    expect(hookSignal?.aborted).toBe(true);
    expect(existsSync(path.join(root, "ran"))).toBe(false);
  });

  test("aborting while waiting for approval rejects with the caller's reason", async () => {
    const controller = new AbortController();
    const reason = new Error("user cancelled");
    const promise = touch({ signal: controller.signal, approve: () => new Promise<boolean>(() => {}) });
    setTimeout(() => controller.abort(reason), 20);
    await expect(promise).rejects.toBe(reason);
    expect(existsSync(path.join(root, "ran"))).toBe(false);
  });

  test("a dry run checks everything, runs nothing and asks no approval", async () => {
    let asked = false;
    const approve = () => {
      asked = true;
      return true;
    };
    const result = await touch({ dryRun: true, approve });
    expect(result.terminationReason).toBe("dry-run");
    expect(result.command).toEqual({
      program: "touch ran",
      args: [],
      cwd: root,
      shell: true,
      sandboxed: withSandbox,
    });
    expect(result.exitCode).toBeNull();
    expect(asked).toBe(false);
    expect(existsSync(path.join(root, "ran"))).toBe(false);
    expect((await refusal(run("rm", ["notes.txt"], { dryRun: true }))).code).toBe("program-not-allowed");
  });
});

describe("allowShell", () => {
  test("runs a /bin/sh script with args as positional parameters, still confined and filtered", async () => {
    process.env.REPLAN_TEST_SECRET_TOKEN = "hunter2";
    try {
      const result = await run('echo "$1 $(( 1 + 2 ))" "${REPLAN_TEST_SECRET_TOKEN:-unset}"; pwd', ["sum"], {
        allowShell: true,
      });
      expect(result.stdout).toBe(`sum 3 unset\n${root}\n`);
    } finally {
      delete process.env.REPLAN_TEST_SECRET_TOKEN;
    }
    expect(await refusal(run("pwd", [], { allowShell: true }, "..")).then((error) => error.code)).toBe(
      "path-escape",
    );
  });
});

describe("invalid options", () => {
  test.each([
    [{ timeoutMs: 0 }, "timeoutMs"],
    [{ timeoutMs: 1.5 }, "timeoutMs"],
    [{ killGraceMs: -1 }, "killGraceMs"],
    [{ maxOutputBytes: "1" }, "maxOutputBytes"],
    [{ onOutputLimit: "explode" }, "onOutputLimit"],
    [{ root: "/no/such/dir" }, "root"],
    [{ timeout: 100 }, "timeout"],
    [{ approve: "yes" }, "approve"],
    [{ allowShell: "true" }, "allowShell"],
    [{ programs: ["ls"] }, "programs"],
    [{ inheritEnv: "PATH" }, "inheritEnv"],
    [{ signal: "stop" }, "signal"],
  ])("%j names the option", async (options, name) => {
    const error = await refusal(runCommand({ program: "ls" }, { root, ...(options as RunCommandOptions) }));
    expect(error.code).toBe("invalid-options");
    expect(error.message).toContain(`"${name}"`);
  });

  test("malformed requests are invalid-request", async () => {
    for (const request of [
      { program: "" },
      { program: "echo", args: "a" },
      { program: "echo", args: [1] },
      { program: "echo", args: ["a\0b"] },
    ]) {
      const error = await refusal(runCommand(request as never, { root, sandbox: false }));
      expect(error.code, JSON.stringify(request)).toBe("invalid-request");
    }
  });
});

test("no stray files are left in the root by refused commands", async () => {
  await refusal(run("sort", ["--output=x", "notes.txt"]));
  await refusal(run("find", [".", "-fprint", "x"]));
  expect(readdirSync(root).sort()).toEqual(["notes.txt", "spawn-tree.sh", "sub"]);
});

describe("an already-aborted signal", () => {
  test("rejects with its reason before anything runs", async () => {
    mkdirSync(path.join(root, "pids"));
    const reason = new Error("stop before start");
    await expect(
      run("sh", ["spawn-tree.sh", "pids/tree"], { signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(readPids(path.join(root, "pids", "tree"))).toEqual([]);
  });
});

// Without the sandbox (the pids the fixture writes are then host pids); sandbox.test.ts does the
// same inside the sandbox.
describe("process groups (sandbox: false)", () => {
  async function startTree(options: RunCommandOptions, extra: string[] = []) {
    const pidFile = path.join(root, "tree.pids");
    const promise = run("sh", ["spawn-tree.sh", "tree.pids", ...extra], { sandbox: false, ...options });
    return { promise, pidFile };
  }

  test("a timeout kills the child and every grandchild", async () => {
    const { promise, pidFile } = await startTree({ timeoutMs: 500 });
    const result = await promise;
    const pids = readPids(pidFile);
    expect(pids).toHaveLength(4);
    expect(result.timedOut).toBe(true);
    expect(result.terminationReason).toBe("timeout");
    expect(result.signal).toBe("SIGTERM");
    expect(result.exitCode).toBeNull();
    expect(result.ok).toBe(false);
    expect(result.durationMs).toBeLessThan(3_000);
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 2_000);
  });

  test("a group that ignores SIGTERM is killed with SIGKILL after the grace period", async () => {
    const { promise, pidFile } = await startTree({ timeoutMs: 300, killGraceMs: 200 }, ["ignore-term"]);
    const result = await promise;
    const pids = readPids(pidFile);
    expect(pids).toHaveLength(4);
    expect(result.signal).toBe("SIGKILL");
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeGreaterThanOrEqual(450);
    expect(result.durationMs).toBeLessThan(3_000);
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 2_000);
  });

  test("an abort mid-run kills the group and rejects with the caller's reason", async () => {
    const controller = new AbortController();
    const { promise, pidFile } = await startTree({ signal: controller.signal });
    await waitFor(() => readPids(pidFile).length === 4);
    const pids = readPids(pidFile);
    expect(pids.every(isAlive)).toBe(true);
    const reason = new Error("cancelled by the graph");
    controller.abort(reason);
    await expect(promise).rejects.toBe(reason);
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 2_000);
  });

  test("a fatal signal to this process kills the live groups first; listeners are removed after", async () => {
    const otherListener = () => {};
    process.on("SIGHUP", otherListener);
    try {
      const before = process.listenerCount("SIGHUP");
      const exitBefore = process.listenerCount("exit");
      const { promise, pidFile } = await startTree({});
      await waitFor(() => readPids(pidFile).length === 4);
      const pids = readPids(pidFile);
      expect(process.listenerCount("SIGHUP")).toBe(before + 1);
      expect(process.listenerCount("exit")).toBe(exitBefore + 1);
      // Another listener is registered, so the handler kills the groups without ending this process.
      process.emit("SIGHUP", "SIGHUP");
      const result = await promise;
      expect(result.signal).toBe("SIGKILL");
      await waitFor(() => pids.every((pid) => !isAlive(pid)), 2_000);
      expect(process.listenerCount("SIGHUP")).toBe(before);
      expect(process.listenerCount("exit")).toBe(exitBefore);
    } finally {
      process.off("SIGHUP", otherListener);
    }
  });

  test("what the leader leaves running in the background is killed when it exits", async () => {
    const started = Date.now();
    const result = await run("sleep 30 & echo $! > bg.pid; echo started", [], {
      allowShell: true,
      sandbox: false,
    });
    expect(result.stdout).toBe("started\n");
    expect(result.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(3_000);
    const [pid] = readPids(path.join(root, "bg.pid"));
    expect(pid).toBeGreaterThan(0);
    await waitFor(() => !isAlive(pid!), 2_000);
  });
});
