import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ShellToolError } from "./errors.js";
import { effectOfPrograms } from "./policy.js";
import { defaultPrograms, programRules } from "./program-rules.js";
import { runCommand } from "./run-command.js";
import { createShellTool } from "./shell-tool.js";

const metadataOf = (tool: unknown) => (tool as { metadata?: { effect?: string } }).metadata;

describe("effect classes of shell tools", () => {
  it("every shipped rule is declared read (each keeps its program read-only)", () => {
    expect(Object.values(defaultPrograms).every((rule) => rule.effect === "read")).toBe(true);
    expect(programRules.git.effect).toBe("read");
    expect(effectOfPrograms(defaultPrograms, false)).toBe("read");
    expect(effectOfPrograms({ ...defaultPrograms, git: programRules.git }, false)).toBe("read");
  });

  it("a program nobody vouched for is write, and so is a tool that runs shell scripts", () => {
    expect(effectOfPrograms({ ...defaultPrograms, rm: {} }, false)).toBe("write");
    expect(effectOfPrograms({ ...defaultPrograms, touch: { effect: "idempotent" } }, false)).toBe(
      "idempotent",
    );
    expect(effectOfPrograms({ ls: { ...defaultPrograms.ls } }, false)).toBe("read");
    expect(effectOfPrograms({ ls: { deniedFlags: ["--dereference"] } }, false)).toBe("write");
    expect(effectOfPrograms(defaultPrograms, true)).toBe("write");
  });

  it("the tool's metadata carries its class; the caller may say otherwise; a bad class is refused", () => {
    expect(metadataOf(createShellTool({ root: "/tmp" }))?.effect).toBe("read");
    expect(
      metadataOf(createShellTool({ root: "/tmp", programs: { ...defaultPrograms, mkdir: {} } }))?.effect,
    ).toBe("write");
    expect(metadataOf(createShellTool({ root: "/tmp", effect: "idempotent" }))?.effect).toBe("idempotent");
    expect(() => createShellTool({ root: "/tmp", programs: { ls: { effect: "safe" as never } } })).toThrow(
      expect.objectContaining({
        code: "invalid-options",
        message: expect.stringContaining("programs.ls.effect"),
      }),
    );
  });
});

/** Every file and directory under `root` with its contents' hash and modification time. */
function snapshot(root: string): string[] {
  const entries: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const info = lstatSync(full);
      const content = info.isFile() ? createHash("sha256").update(readFileSync(full)).digest("hex") : "";
      entries.push(`${path.relative(root, full)} ${info.mode} ${info.mtimeMs} ${info.size} ${content}`);
      if (info.isDirectory()) walk(full);
    }
  };
  walk(root);
  return entries;
}

const git = (root: string, ...args: string[]) =>
  execFileSync("git", ["-C", root, ...args], {
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: root },
  });

describe("the shipped read rules leave the tree byte-identical (issue #20)", () => {
  /** A real git repository with a commit, a changed file, an untracked file and a file touched in the past. */
  function repository(): { root: string; cleanup: () => void } {
    const root = realpathSync(mkdtempSync(path.join(tmpdir(), "replan-read-")));
    git(root, "init", "-q");
    git(root, "config", "user.email", "t@example.com");
    git(root, "config", "user.name", "t");
    writeFileSync(path.join(root, "a.txt"), "b\na\nc\na\n");
    mkdirSync(path.join(root, "sub"));
    writeFileSync(path.join(root, "sub", "b.txt"), "hello\n");
    git(root, "add", ".");
    git(root, "commit", "-qm", "one");
    git(root, "tag", "v1");
    writeFileSync(path.join(root, "a.txt"), "b\na\nc\na\nmore\n");
    utimesSync(path.join(root, "a.txt"), new Date("2020-01-01"), new Date("2020-01-01"));
    writeFileSync(path.join(root, "new.txt"), "untracked\n");
    return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
  }

  const calls: Record<string, string[][]> = {
    ls: [["-la"], ["-R", "sub"]],
    cat: [["a.txt"]],
    head: [["-n", "2", "a.txt"]],
    tail: [["-n", "2", "a.txt"]],
    wc: [["-l", "a.txt"]],
    grep: [["-rn", "a", "."]],
    find: [[".", "-name", "*.txt"]],
    echo: [["hi"]],
    pwd: [[]],
    stat: [["a.txt"]],
    sort: [["a.txt"]],
    uniq: [["a.txt"]],
    date: [["+%Y"]],
    du: [["-s", "."]],
    basename: [["sub/b.txt"]],
    dirname: [["sub/b.txt"]],
    git: [
      ["log", "--oneline"],
      ["diff"],
      ["diff", "--stat"],
      ["show", "HEAD"],
      ["ls-files"],
      ["rev-parse", "HEAD"],
      ["blame", "a.txt"],
      ["grep", "a"],
      ["shortlog", "HEAD"],
      ["describe", "--tags"],
    ],
  };

  it("runs every shipped read rule (and each git subcommand) on a real repository: nothing changes", async () => {
    const programs = { ...defaultPrograms, git: programRules.git };
    const readRules = Object.entries(programs).filter(([, rule]) => rule.effect === "read");
    expect(readRules.map(([name]) => name).sort()).toEqual(Object.keys(calls).sort()); // one test over all of them
    const tried = new Set(calls.git!.map((args) => args[0]));
    expect(programRules.git.subcommands!.filter((sub) => !tried.has(sub))).toEqual([]); // and every git subcommand
    const { root, cleanup } = repository();
    try {
      const before = snapshot(root);
      for (const [program, argsList] of Object.entries(calls)) {
        for (const args of argsList) {
          const result = await runCommand({ program, args }, { root, programs, timeoutMs: 10_000 });
          expect(result.exitCode, `${program} ${args.join(" ")}: ${result.stderr}`).toBe(0);
          expect(snapshot(root), `${program} ${args.join(" ")} changed the tree`).toEqual(before);
        }
      }
    } finally {
      cleanup();
    }
  });

  it("git status rewrites .git/index: only gitWithStatus allows it, declared idempotent", async () => {
    const { root, cleanup } = repository();
    try {
      const before = snapshot(root);
      const programs = { git: programRules.gitWithStatus };
      const result = await runCommand({ program: "git", args: ["status", "--short"] }, { root, programs });
      expect(result.exitCode).toBe(0);
      expect(snapshot(root)).not.toEqual(before);
      expect(programRules.gitWithStatus.effect).toBe("idempotent");
      expect(effectOfPrograms({ ...defaultPrograms, git: programRules.gitWithStatus }, false)).toBe(
        "idempotent",
      );
    } finally {
      cleanup();
    }
  });
});

describe("effectOfPrograms with hostile input (issue #20)", () => {
  it("refuses what is not an allowlist with a typed error", () => {
    for (const [programs, allowShell] of [
      [null, false],
      [undefined, false],
      ["ls", false],
      [[{}], false],
      [{ ls: null }, false],
      [{ ls: "read" }, false],
      [{ ls: { effect: "safe" } }, false],
      [defaultPrograms, "yes"],
      [defaultPrograms, undefined],
    ] as const) {
      let thrown: unknown;
      try {
        effectOfPrograms(programs as never, allowShell as never);
      } catch (error) {
        thrown = error;
      }
      expect(ShellToolError.isInstance(thrown), JSON.stringify([programs, allowShell])).toBe(true);
      expect((thrown as ShellToolError).code).toBe("invalid-options");
    }
  });
});
