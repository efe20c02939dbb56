import { describe, expect, test } from "vitest";
import { type FileLookup, resolveInRoot } from "./paths.js";

/** A file system as data: directories, files and symlinks by absolute path. */
function fakeLookup(entries: Record<string, "directory" | "other" | { link: string }>): FileLookup {
  return {
    kind: (file) => {
      const entry = entries[file];
      if (entry === undefined) return "missing";
      return typeof entry === "string" ? entry : "symlink";
    },
    readLink: (file) => (entries[file] as { link: string }).link,
  };
}

const lookup = fakeLookup({
  "/": "directory",
  "/srv": "directory",
  "/srv/root": "directory",
  "/srv/root/x": "directory",
  "/srv/root/x/y": "directory",
  "/srv/root/x/y/up": { link: "../.." },
  "/srv/root/abs": { link: "/srv/root/x" },
  "/srv/root/out": { link: "/etc" },
  "/srv/root/proc": { link: "/proc/self/cwd" },
  "/srv/root/loop": { link: "loop" },
  "/srv/root/file": "other",
  "/srv/outside.txt": "other",
  "/etc": "directory",
  "/proc": "directory",
  "/proc/self": { link: "42" },
  "/proc/42": "directory",
  "/proc/42/cwd": { link: "/srv/root" },
});

const resolve = (candidate: string, base = "/srv/root") =>
  resolveInRoot("/srv/root", base, candidate, lookup);

describe("resolveInRoot: the kernel's walk, as a pure function of the lookups", () => {
  test.each([
    ["x/y/up/notes.txt", "/srv/root/notes.txt"],
    ["abs/y", "/srv/root/x/y"],
    ["abs/../x", "/srv/root/x"],
    ["/srv/root/x/../file", "/srv/root/file"],
    ["missing/child", "/srv/root/missing/child"],
    ["../root/x", "/srv/root/x"],
  ])("%s stays inside, at %s", (candidate, real) => {
    expect(resolve(candidate)).toEqual({ inside: true, real });
  });

  test.each([
    ["x/y/up/../outside.txt", "through-link"],
    ["out/passwd", "through-link"],
    ["proc/../..", "through-link"],
    ["loop", "link-loop"],
    ["/etc/passwd", "outside"],
    ["../outside.txt", "outside"],
  ])("%s is refused (%s)", (candidate, reason) => {
    expect(resolve(candidate)).toEqual({ inside: false, reason });
  });

  test("a walk through /proc is refused even when it would come back inside", () => {
    expect(resolve("proc/x").inside).toBe(false);
    expect(resolve("/proc/self/cwd/x").inside).toBe(false);
  });
});
