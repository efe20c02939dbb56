import { spawn } from "node:child_process";
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { resolveOptions } from "./resolve-options.js";
import { type CommandRequest, execute, type RunCommandOptions, runCommand } from "./run-command.js";
import { bwrapArguments } from "./bwrap-arguments.js";
import { probeSandbox } from "./sandbox.js";
import { systemLayout } from "./sandbox-layout.js";
import { createShellTool } from "./shell-tool.js";
import { hostPidsRunning, refusal, testPrograms, uniqueSleep, waitFor, withSandbox } from "./test-helpers.js";

// A parent folder holding the root and, beside it, what must stay out of reach.
let parent: string;
let root: string;
let outside: string;
beforeEach(() => {
  parent = realpathSync(mkdtempSync(path.join(tmpdir(), "replan-sandbox-")));
  root = path.join(parent, "root");
  outside = path.join(parent, "outside");
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(path.join(parent, "outside.txt"), "PARENT-SECRET\n");
  writeFileSync(path.join(outside, "secret.txt"), "SIBLING-SECRET\n");
  writeFileSync(path.join(root, "notes.txt"), "hello\n");
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

/** Runs `request` with the argument rules switched off: only the sandbox stands in the way. */
function unruled(request: CommandRequest, options: RunCommandOptions = {}) {
  const { signal, ...rest } = options;
  return execute(request, resolveOptions({ root, programs: testPrograms, ...rest }, "execute"), signal, {
    rules: false,
  });
}

/** A script run by /bin/sh inside the sandbox, rules off. */
function script(text: string, options: RunCommandOptions = {}) {
  return unruled({ program: "sh", args: ["-c", text] }, options);
}

describe.skipIf(!withSandbox)("the sandbox alone (argument rules off)", () => {
  test("the probe finds bubblewrap (on CI this must hold)", async () => {
    const probe = await probeSandbox();
    expect(probe.available ? probe.mechanism : probe.error.message).toBe("bubblewrap");
  });

  test("without the sandbox, the same commands do escape (the tests can see an escape)", async () => {
    const result = await unruled(
      { program: "cat", args: [path.join(outside, "secret.txt")] },
      { sandbox: false },
    );
    expect(result.stdout).toBe("SIBLING-SECRET\n");
  });

  test("reading a file outside the root through a path is stopped", async () => {
    const result = await unruled({
      program: "cat",
      args: [path.join(outside, "secret.txt"), "../outside.txt"],
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("No such file");
  });

  test("reading through a symlink pointing outside is stopped", async () => {
    symlinkSync(path.join(outside, "secret.txt"), path.join(root, "link"));
    symlinkSync("/etc", path.join(root, "etc-link"));
    const result = await unruled({ program: "cat", args: ["link", "etc-link/hostname", "etc-link/shadow"] });
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe("");
  });

  test("`..` after a symlink (up -> ../.., inside the root) does not reach the parent folder", async () => {
    mkdirSync(path.join(root, "x", "y"), { recursive: true });
    symlinkSync("../..", path.join(root, "x", "y", "up"));
    const unconfined = await unruled({ program: "cat", args: ["x/y/up/../outside.txt"] }, { sandbox: false });
    expect(unconfined.stdout).toBe("PARENT-SECRET\n");
    const result = await unruled({ program: "cat", args: ["x/y/up/../outside.txt"] });
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe("");
  });

  test("writing outside the root is stopped; writing inside works", async () => {
    symlinkSync(path.join(outside, "planted.txt"), path.join(root, "planted-link"));
    const result = await script(
      [
        "echo pwned > ../escape.txt",
        `echo pwned > ${outside}/escape.txt`,
        "echo pwned > planted-link",
        "echo pwned > /usr/escape.txt",
        "echo pwned > /tmp/scratch.txt && cat /tmp/scratch.txt",
        "echo fine > inside.txt",
      ].join("; "),
    );
    expect(existsSync(path.join(parent, "escape.txt"))).toBe(false);
    expect(existsSync(path.join(outside, "escape.txt"))).toBe(false);
    expect(existsSync(path.join(outside, "planted.txt"))).toBe(false);
    expect(existsSync("/usr/escape.txt")).toBe(false);
    expect(existsSync("/tmp/scratch.txt")).toBe(false);
    expect(result.stdout).toBe("pwned\n");
    expect(readFileSync(path.join(root, "inside.txt"), "utf8")).toBe("fine\n");
  });

  test("the private /tmp is bounded (256 MiB of memory at most)", async () => {
    const result = await script("head -c 300000000 /dev/zero > /tmp/big; echo rc=$?; du -sm /tmp/big", {
      timeoutMs: 15_000,
    });
    expect(result.stdout).toMatch(/rc=1/);
    expect(result.stderr).toContain("No space left");
  });

  test("readOnlyRoot: the root cannot be written either", async () => {
    const result = await script("echo x > new.txt; echo x >> notes.txt", { sandbox: { readOnlyRoot: true } });
    expect(result.stderr).toContain("Read-only file system");
    expect(existsSync(path.join(root, "new.txt"))).toBe(false);
    expect(readFileSync(path.join(root, "notes.txt"), "utf8")).toBe("hello\n");
  });

  test("the parent's environment is not readable through /proc", async () => {
    process.env.REPLAN_SANDBOX_SECRET = "hunter2-in-parent";
    try {
      const result = await script(
        `cat /proc/${process.pid}/environ /proc/${process.ppid}/environ; for f in /proc/[0-9]*/environ; do cat "$f"; done; ls /proc`,
      );
      expect(result.stdout).not.toContain("hunter2-in-parent");
      const pids = result.stdout.split("\n").filter((line) => /^\d+$/.test(line));
      expect(pids.length).toBeLessThan(6); // only the sandbox's own processes
    } finally {
      delete process.env.REPLAN_SANDBOX_SECRET;
    }
  });

  describe("network", () => {
    let server: Server;
    let port = 0;
    let connections = 0;
    beforeEach(async () => {
      connections = 0;
      server = createServer((socket) => {
        connections++;
        socket.end("hello from the host\n");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as { port: number }).port;
    });
    afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const connect = () => `exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3`;

    test("a connection to a server on this machine's 127.0.0.1 is refused", async () => {
      const result = await unruled({ program: "bash", args: ["-c", connect()] }, { programs: { bash: {} } });
      expect(result.exitCode).not.toBe(0);
      expect(result.stdout).toBe("");
      expect(connections).toBe(0);
    });

    test("with network: true it connects (the test can see a connection)", async () => {
      const result = await unruled(
        { program: "bash", args: ["-c", connect()] },
        { programs: { bash: {} }, sandbox: { network: true } },
      );
      expect(result.stdout).toBe("hello from the host\n");
      expect(connections).toBe(1);
    });
  });

  test("no process is left behind: background, double fork, setsid grandchild", async () => {
    const marker = uniqueSleep();
    const result = await script(
      `sleep ${marker} & (sleep ${marker} &) ; setsid sleep ${marker} & setsid sh -c 'sleep ${marker} & wait' & sleep 0.3; echo started`,
    );
    expect(result.stdout).toBe("started\n");
    await waitFor(() => hostPidsRunning(marker).length === 0, 3_000);
  });

  test("a timeout stops everything inside", async () => {
    const marker = uniqueSleep();
    const result = await script(`setsid sleep ${marker} & sleep ${marker} & wait`, { timeoutMs: 1_500 });
    expect(result.timedOut).toBe(true);
    expect(result.terminationReason).toBe("timeout");
    await waitFor(() => hostPidsRunning(marker).length === 0, 3_000);
  });

  test("a stop gives the processes inside their grace period (SIGTERM first)", async () => {
    const marker = uniqueSleep();
    const controller = new AbortController();
    const promise = script(`trap 'echo term > term.txt; exit 3' TERM; sleep ${marker} & wait`, {
      signal: controller.signal,
    });
    await waitFor(() => hostPidsRunning(marker).length === 1);
    controller.abort(new Error("stop"));
    await expect(promise).rejects.toThrow("stop");
    expect(readFileSync(path.join(root, "term.txt"), "utf8")).toBe("term\n");
    await waitFor(() => hostPidsRunning(marker).length === 0, 3_000);
  });

  test("a command that ignores SIGTERM is killed after killGraceMs", async () => {
    const marker = uniqueSleep();
    const result = await script(`trap '' TERM; sleep ${marker}`, { timeoutMs: 1_500, killGraceMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGKILL");
    expect(result.durationMs).toBeGreaterThanOrEqual(1_700);
    await waitFor(() => hostPidsRunning(marker).length === 0, 3_000);
  });

  test("an abort kills everything inside and rejects with the caller's reason", async () => {
    const marker = uniqueSleep();
    const controller = new AbortController();
    const promise = script(`setsid sleep ${marker} & sleep ${marker}`, { signal: controller.signal });
    await waitFor(() => hostPidsRunning(marker).length === 2);
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(promise).rejects.toBe(reason);
    await waitFor(() => hostPidsRunning(marker).length === 0, 3_000);
  });

  test("the sandbox dies with its parent, even when the parent is SIGKILLed", async () => {
    const marker = uniqueSleep();
    const args = bwrapArguments(systemLayout(), {
      root,
      cwd: root,
      sandbox: { network: false, readOnlyRoot: false, readOnlyPaths: [], prewarm: 0 },
    });
    // A shell stands for this process: it starts bwrap, then is killed with SIGKILL.
    const standIn = spawn(
      "/bin/sh",
      ["-c", '"$@" 3>/dev/null & wait', "sh", "bwrap", ...args, "--", "sleep", marker],
      {
        stdio: "ignore",
        detached: true,
      },
    );
    await waitFor(() => hostPidsRunning(marker).length === 1);
    standIn.kill("SIGKILL");
    await waitFor(() => hostPidsRunning(marker).length === 0, 3_000);
  });

  test("allowShell scripts run inside the same sandbox", async () => {
    const result = await runCommand(
      {
        program: `cat ${outside}/secret.txt ../outside.txt; ls /; echo done > ../shell-escape.txt; echo "$1"`,
        args: ["arg"],
      },
      { root, allowShell: true },
    );
    expect(result.command.sandboxed).toBe(true);
    expect(result.stdout).not.toContain("SECRET");
    expect(result.stdout).toContain("arg\n");
    expect(result.stdout.split("\n")).not.toContain("home");
    expect(existsSync(path.join(parent, "shell-escape.txt"))).toBe(false);
  });

  describe("attacks tried as an outsider", () => {
    test("/proc/self/root, /proc/1/root and /proc/1/cwd show the sandbox, not the host", async () => {
      const result = await script(
        `cat /proc/self/root${outside}/secret.txt /proc/1/root${outside}/secret.txt /proc/1/cwd/../outside.txt; ls /proc/1/root/`,
      );
      expect(result.stdout).not.toContain("SECRET");
      expect(result.stdout).not.toContain("home");
    });

    test("a symlink made by the command at run time leads nowhere outside", async () => {
      const result = await script(
        `ln -s ${outside}/secret.txt made; cat made; ln -s ../../.. up; cat up${parent}/outside.txt; ln -s /proc/${process.pid}/environ env; cat env`,
      );
      expect(result.stdout).not.toContain("SECRET");
      expect(result.stdout).not.toContain("REPLAN");
    });

    test("a hard link to a system file cannot be made in the root", async () => {
      const result = await script("ln /usr/bin/env hard && echo linked");
      expect(result.stdout).not.toContain("linked");
      expect(existsSync(path.join(root, "hard"))).toBe(false);
    });

    test("a hard link placed in the root before the run only shows that one file", async () => {
      linkSync(path.join(outside, "secret.txt"), path.join(root, "hard-before"));
      const result = await script(`cat hard-before; ls ${outside}`);
      expect(result.stdout).toBe("SIBLING-SECRET\n"); // the file is in the root: readable, by design
      expect(result.stderr).toContain("No such file");
    });

    test("descriptors this process inherited without close-on-exec do not reach the command", async () => {
      const result = await script("ls -l /proc/self/fd/");
      const targets = result.stdout
        .split("\n")
        .filter((line) => line.includes("->"))
        .map((line) => line.slice(line.indexOf("->") + 3));
      for (const target of targets) expect(target, target).toMatch(/^(\/dev\/null|socket:|pipe:|\/proc\/)/);
      expect(result.stdout).not.toContain(parent);
    });

    test("no setuid or setgid program can be left in the root (seccomp), plain chmod works", async () => {
      const result = await script(
        "cp /usr/bin/id suid; chmod u+s suid; chmod 2755 suid; install -m 4755 /usr/bin/id suid2; chmod 700 suid && echo plain-ok; " +
          // Created with the bits (an empty file keeps them; a write by the host's root would too).
          "perl -e 'use Fcntl; sysopen(F, q(created), O_CREAT|O_WRONLY, 04755) or print qq(create refused\\n); sysopen(G, q(sgid), O_CREAT|O_WRONLY, 02755) or print qq(create refused\\n); sysopen(H, q(normal), O_CREAT|O_WRONLY, 0755) and print qq(normal ok\\n)'; " +
          "echo text > written && cat written",
      );
      expect(result.stdout).toBe("plain-ok\ncreate refused\ncreate refused\nnormal ok\ntext\n");
      expect(result.stderr).toContain("Operation not permitted");
      for (const file of ["suid", "suid2", "created", "sgid"]) {
        if (existsSync(path.join(root, file)))
          expect(statSync(path.join(root, file)).mode & 0o6000, file).toBe(0);
      }
    });

    test("the command cannot set the clock, nor create user namespaces", async () => {
      const result = await unruled({ program: "date", args: ["010100002030"] });
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain("cannot set date");
      const nested = await script("unshare -U true && echo nested");
      expect(nested.stdout).not.toContain("nested");
    });

    test("the kernel's settings in /proc cannot be written, even when this process is root", async () => {
      // Writes back the value a global setting already has (harmless if it got through). Run by root,
      // the command is uid 0 on the host's files: a writable /proc/sys/kernel/core_pattern or
      // modprobe would run a program of its choice as the host's root, outside every namespace.
      const setting = "/proc/sys/kernel/printk_ratelimit";
      const result = await script(
        `v=$(cat ${setting}) && echo "$v" > ${setting} && echo written; echo 0 > /proc/self/oom_score_adj && echo adjusted; head -c 5 /proc/self/status`,
      );
      expect(result.stdout).not.toContain("written");
      expect(result.stdout).not.toContain("adjusted");
      expect(result.stdout).toBe("Name:"); // reading /proc still works
    });

    test("the host's device nodes cannot be changed, even when this process is root; they still work", async () => {
      const before = statSync("/dev/null");
      const result = await script(
        "chmod 666 /dev/null && echo changed; setfacl -m u:nobody:- /dev/null 2>/dev/null && echo acl; echo data > /dev/null && echo wrote; head -c 3 /dev/zero | wc -c; head -c 3 /dev/urandom | wc -c",
      );
      expect(result.stdout).toBe("wrote\n3\n3\n");
      const after = statSync("/dev/null");
      expect(after.ctimeMs).toBe(before.ctimeMs);
      expect(after.mode).toBe(before.mode);
    });

    test("concurrent commands cannot reach each other's loopback ports or abstract sockets", async () => {
      const listen =
        'use IO::Socket::INET; use Socket; my $t = IO::Socket::INET->new(LocalAddr => \'127.0.0.1:47999\', Listen => 1, ReuseAddr => 1) or die; socket(my $u, AF_UNIX, SOCK_STREAM, 0); bind($u, pack_sockaddr_un("\\0replan-test-peer")) or die; listen($u, 1); print "listening\\n"; sleep 3;';
      const connect =
        'use IO::Socket::INET; use Socket; select(undef, undef, undef, 1); print IO::Socket::INET->new(\'127.0.0.1:47999\') ? "tcp reached\\n" : "tcp refused\\n"; socket(my $u, AF_UNIX, SOCK_STREAM, 0); print connect($u, pack_sockaddr_un("\\0replan-test-peer")) ? "unix reached\\n" : "unix refused\\n";';
      const [server, client] = await Promise.all([
        unruled({ program: "perl", args: ["-e", listen] }, { programs: { ...testPrograms, perl: {} } }),
        unruled({ program: "perl", args: ["-e", connect] }, { programs: { ...testPrograms, perl: {} } }),
      ]);
      expect(server.stdout).toBe("listening\n");
      expect(client.stdout).toBe("tcp refused\nunix refused\n");
    });

    test("only this user and nobody are in /etc/passwd; home folders do not exist", async () => {
      const result = await script("cat /etc/passwd; ls /home /root 2>&1; ls /etc");
      expect(result.stdout.split("\n").filter((line) => line.includes(":x:"))).toHaveLength(2);
      expect(result.stdout).toContain(`:${root}:`);
      expect(result.stdout).not.toContain("shadow");
    });
  });
});

describe("where the sandbox cannot start", () => {
  let savedPath: string | undefined;
  beforeEach(() => {
    savedPath = process.env.PATH;
    process.env.PATH = "/nonexistent-replan-bin";
  });
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  test("a missing bwrap is a sandbox-unavailable refusal saying how to fix it; nothing runs", async () => {
    if (process.platform !== "linux") return;
    const error = await refusal(
      runCommand({ program: "sh", args: ["-c", "echo ran > ran.txt"] }, { root, programs: testPrograms }),
    );
    expect(error.code).toBe("sandbox-unavailable");
    expect(error.message).toContain("bwrap");
    expect(error.message).toContain("apt-get install bubblewrap");
    expect(error.message).toContain("sandbox: false");
    expect(existsSync(path.join(root, "ran.txt"))).toBe(false);
    const probe = await probeSandbox();
    expect(probe.available).toBe(false);
  });

  test("the tool reports it to the model as an error, and sandbox: false runs without it", async () => {
    const shell = createShellTool({ root });
    const output = JSON.parse((await shell.invoke({ program: "cat", args: ["notes.txt"] })) as string);
    if (process.platform === "linux") expect(output.error.code).toBe("sandbox-unavailable");
    const unconfined = await runCommand({ program: "cat", args: ["notes.txt"] }, { root, sandbox: false });
    expect(unconfined.stdout).toBe("hello\n");
    expect(unconfined.command.sandboxed).toBe(false);
  });
});

describe("where bwrap cannot create its namespaces", () => {
  let savedPath: string | undefined;
  let bin: string;
  beforeEach(() => {
    savedPath = process.env.PATH;
    // A stand-in bwrap that fails as bubblewrap does with user namespaces disabled.
    bin = mkdtempSync(path.join(tmpdir(), "replan-fake-bwrap-"));
    writeFileSync(
      path.join(bin, "bwrap"),
      "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n",
      { mode: 0o755 },
    );
    process.env.PATH = bin;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(bin, { recursive: true, force: true });
  });

  test("the refusal says user namespaces are disabled and how to enable them", async () => {
    if (process.platform !== "linux") return;
    const error = await refusal(runCommand({ program: "cat", args: ["notes.txt"] }, { root }));
    expect(error.code).toBe("sandbox-unavailable");
    expect(error.message).toContain("user namespaces");
    expect(error.message).toContain("kernel.unprivileged_userns_clone");
    expect(error.message).toContain("sandbox: false");
  });
});

test("invalid sandbox options name the option", async () => {
  for (const sandbox of [
    "yes",
    { network: "no" },
    { readOnlyPaths: ["relative"], prewarm: 0 },
    { readOnlyPaths: ["/no/such/dir"], prewarm: 0 },
    { other: 1 },
  ]) {
    const error = await refusal(runCommand({ program: "ls" }, { root, sandbox: sandbox as never }));
    expect(error.code, JSON.stringify(sandbox)).toBe("invalid-options");
    expect(error.message).toMatch(/Option "sandbox[".]/);
  }
});
