import { ReplanError } from "@replan/core";
import { describe, expect, test } from "vitest";
import { ShellToolError } from "./errors.js";
import { checkArguments, defaultPrograms, pathCandidates, programRules, ruleFor } from "./policy.js";

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
    expect(ruleFor("echo", defaultPrograms)).toEqual({ checkPaths: false });
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
    expect(git(["status"])).not.toThrow();
    for (const args of [
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
  test("operands, --flag=value values and attached short option values", () => {
    expect(pathCandidates(["-n", "5", "file", "--file=/etc/passwd", "-f/etc/shadow", "--", "-", ""])).toEqual(
      ["5", "file", "/etc/passwd", "/etc/shadow"],
    );
  });
});
