import { ReplanError } from "@replan/core";
import { describe, expect, test } from "vitest";
import { ShellToolError } from "./errors.js";
import { operandsOf } from "./operands.js";
import { checkArguments, pathCandidates, ruleFor } from "./policy.js";
import { defaultPrograms, programRules } from "./program-rules.js";

function refusal(action: () => unknown): ShellToolError {
  try {
    action();
  } catch (error) {
    if (ShellToolError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

function check(program: string, args: string[]) {
  return () => checkArguments(program, args, ruleFor(program, defaultPrograms));
}

describe("ruleFor", () => {
  test.each([
    "rm",
    "/bin/ls",
    "./ls",
    "../ls",
    "bin/ls",
    "constructor",
    "__proto__",
    "toString",
    "-ls",
    "ls ",
  ])("refuses %j", (program) => {
    expect(refusal(() => ruleFor(program, defaultPrograms)).code).toBe("program-not-allowed");
  });

  test("returns the rule of an allowed program", () => {
    expect(ruleFor("echo", defaultPrograms)).toEqual({ checkPaths: false, effect: "read" }); // effect: issue #20
  });
});

describe("checkArguments", () => {
  test.each([
    ["find", [".", "-exec", "rm", "{}", ";"]],
    ["find", [".", "-execdir", "sh", "{}", "+"]],
    ["find", [".", "-delete"]],
    ["find", [".", "-ok", "rm", "{}", ";"]],
    ["find", [".", "-fprint", "out"]],
    ["find", [".", "-fprintf", "out", "%p"]],
    ["find", ["-L", "."]],
    ["sort", ["-o", "out", "in"]],
    ["sort", ["-oout", "in"]],
    ["sort", ["-uo", "out", "in"]],
    ["sort", ["--output=out", "in"]],
    ["sort", ["--output", "out", "in"]],
    ["sort", ["--out=out", "in"]],
    ["sort", ["--compress-program=sh", "in"]],
    ["uniq", ["in", "out"]],
    ["uniq", ["-c", "in", "out"]],
    ["grep", ["-R", "x", "."]],
    ["grep", ["-rR", "x", "."]],
    ["grep", ["--dereference-recursive", "x", "."]],
    ["ls", ["-lL", "."]],
    ["date", ["-s", "2020-01-01"]],
    ["date", ["--set=2020-01-01"]],
    ["wc", ["--files0-from=list"]],
  ])("%s %j is refused", (program, args) => {
    const error = refusal(check(program, args));
    expect(error.code).toBe("argument-refused");
    expect(ReplanError.isInstance(error)).toBe(true);
    expect(error.message).toContain(program);
  });

  test.each([
    ["find", [".", "-name", "*.ts", "-type", "f"]],
    ["sort", ["-u", "-k2", "in"]],
    ["sort", ["--unique", "in"]],
    ["uniq", ["-c", "in"]],
    ["uniq", ["-f", "1", "in"]],
    ["grep", ["-rn", "TODO", "."]],
    ["ls", ["-la", "."]],
    ["date", ["+%s"]],
  ])("%s %j is allowed", (program, args) => {
    expect(check(program, args)).not.toThrow();
  });

  test("git: only read-only subcommands, no global options, no writing flags", () => {
    const git = (args: string[]) => () => checkArguments("git", args, programRules.git);
    expect(git(["log", "-p", "--oneline"])).not.toThrow();
    // `status` and `describe --dirty` rewrite .git/index: not in the read rule (issue #20)
    expect(git(["describe", "--tags"])).not.toThrow();
    const withStatus = () => checkArguments("git", ["status", "--short"], programRules.gitWithStatus);
    expect(withStatus).not.toThrow();
    for (const args of [
      ["status"],
      ["describe", "--dirty"],
      ["describe", "--broken"],
      ["-c", "core.pager=sh", "log"],
      ["push"],
      ["--exec-path=/tmp", "status"],
      [],
      ["diff", "--output=out"],
      ["diff", "--ext-diff"],
      ["grep", "-O", "x"],
      ["log", "--upload-pack=sh"],
    ]) {
      expect(refusal(git(args)).code, JSON.stringify(args)).toBe("argument-refused");
    }
  });

  test("a custom check refuses with its own reason", () => {
    const error = refusal(() =>
      checkArguments("tail", ["-f", "x"], {
        check: (args) => (args.includes("-f") ? "no following" : undefined),
      }),
    );
    expect(error.message).toBe("tail: no following");
  });
});

describe("pathCandidates", () => {
  test("every argument whole, --flag=value values, and every tail of a single-dash argument", () => {
    expect(pathCandidates(["-n", "5", "file", "--file=/etc/passwd", "-uf../.env", "--", "-Xl", ""])).toEqual([
      "-n",
      "5",
      "file",
      "--file=/etc/passwd",
      "/etc/passwd",
      "-uf../.env",
      "f../.env",
      "../.env",
      "./.env",
      "/.env",
      ".env",
      "env",
      "nv",
      "v",
      "--",
      "-Xl",
      "l",
    ]);
  });

  test("strings longer than PATH_MAX are left out (no file has such a name)", () => {
    expect(pathCandidates([`-x${"a".repeat(5000)}`]).every((candidate) => candidate.length < 4096)).toBe(
      true,
    );
  });
});

describe("operandsOf: operands as getopt finds them", () => {
  const uniq = { shortWithValue: "fsw", longWithValue: ["--skip-fields"], longFlags: ["--count"] };
  test.each([
    [["-f", "1", "in"], ["in"]],
    [["-cf", "1", "in"], ["in"]],
    [["-f1", "in"], ["in"]],
    [["--skip-fields", "1", "in"], ["in"]],
    [["--skip", "1", "in"], ["in"]],
    [
      ["--skip-fields=1", "in", "out"],
      ["in", "out"],
    ],
    [
      ["--", "-f", "ok.txt"],
      ["-f", "ok.txt"],
    ],
    [
      ["-", "out"],
      ["-", "out"],
    ],
    [["--c", "in"], ["in"]],
    [["--unknown", "in"], ["in"]],
  ])("uniq %j -> %j", (args, operands) => {
    expect(operandsOf(args, uniq)).toEqual(operands);
  });

  test("POSIX parsing: the first operand ends the options", () => {
    expect(operandsOf(["in", "-c"], uniq, true)).toEqual(["in", "-c"]);
    expect(operandsOf(["in", "-c"], uniq)).toEqual(["in"]);
  });
});

describe("the five bypasses of issue 13, and their classes", () => {
  test("date with an operand that sets the clock is refused, in every spelling", () => {
    for (const args of [
      ["010100002030"],
      ["--", "010100002030"],
      ["-u", "010100002030"],
      ["-d", "now", "0101"],
      ["--utc", "12312359"],
      ["+%s", "0101"],
      ["-I", "0101"],
    ]) {
      expect(refusal(check("date", args)).code, JSON.stringify(args)).toBe("argument-refused");
    }
    for (const args of [
      ["+%s"],
      ["-u", "+%Y"],
      ["-d", "2020-01-01", "+%s"],
      ["--date", "@0"],
      ["-I"],
      ["-ud", "x"],
    ]) {
      expect(check("date", args), JSON.stringify(args)).not.toThrow();
    }
  });

  test("uniq with a second operand is refused however it is hidden (after --, in groups, abbreviated)", () => {
    for (const args of [
      ["--", "-f", "ok.txt"],
      ["-c", "--", "-f", "ok.txt"],
      ["in", "out"],
      ["-", "out"],
      ["-c", "in", "out"],
      ["-f1", "in", "out"],
      ["in", "-c", "out"],
      ["--skip-fields=1", "in", "out"],
      ["--count", "in", "out"],
      ["--zero", "in", "out"],
    ]) {
      expect(refusal(check("uniq", args)).code, JSON.stringify(args)).toBe("argument-refused");
    }
    for (const args of [
      ["-f", "1", "in"],
      ["-cf", "1", "in"],
      ["--skip-fields", "1", "in"],
      ["-c", "--", "in"],
    ]) {
      expect(check("uniq", args), JSON.stringify(args)).not.toThrow();
    }
  });
});
