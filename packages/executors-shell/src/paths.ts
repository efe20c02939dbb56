/**
 * Confinement of the working directory and of path-like arguments to a root. A path is resolved
 * the way the kernel resolves it: component by component, following each symbolic link as it is
 * met and applying `..` to where the walk really is, not to the text. The decision is a pure
 * function of the path and of what the injected {@link FileLookup} reports.
 *
 * @module
 */

import { lstatSync, readlinkSync, statSync } from "node:fs";
import path from "node:path";
import { ShellToolError } from "./errors.js";

/**
 * What the walk needs to know about the file system: the kind of an entry (without following a
 * final symlink) and a symlink's target. Injected so that the decision stays pure.
 */
export interface FileLookup {
  /** The entry's kind, as `lstat` sees it; `"missing"` when it does not exist or cannot be read. */
  kind(file: string): "directory" | "symlink" | "other" | "missing";
  /** The target of the symlink `file`, as `readlink` returns it. */
  readLink(file: string): string;
}

/** The real file system, through `lstat` and `readlink`. */
export const systemLookup: FileLookup = {
  kind(file) {
    try {
      const stats = lstatSync(file);
      if (stats.isSymbolicLink()) return "symlink";
      return stats.isDirectory() ? "directory" : "other";
    } catch {
      return "missing";
    }
  },
  readLink: (file) => readlinkSync(file),
};

/**
 * Whether `target` is `root` or inside it. Both must be absolute and normalized.
 *
 * @param root - the root directory.
 * @param target - the path to test.
 */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** How many symbolic links one path may go through, as Linux's `MAXSYMLINKS`. */
const maxLinks = 40;

/** The longest path the kernel opens (`PATH_MAX`, with its NUL). */
export const pathMax = 4096;

/** Where the walk of a path ended: inside the root, or outside and why. */
export type Resolution =
  | { inside: true; real: string }
  | { inside: false; reason: "outside" | "through-link" | "link-loop" };

/**
 * Resolves `candidate` against `base` as the kernel would, and says whether it stays inside
 * `root`. The walk starts at `/` (absolute path) or `base`; each component is looked up: a
 * symlink's target is spliced in place of it (from `/` or from the current directory) and walked
 * too, `..` goes to the parent of where the walk really is. A component that does not exist ends
 * the lookups: the rest is applied as text (the kernel would fail there, or create the last one).
 *
 * Refused (`inside: false`): a result outside the root, a walk that enters a directory outside
 * the root that is not one of the root's ancestors (e.g. `/proc`, whose magic links mean something
 * else in the child), more than 40 links (a loop).
 *
 * @param root - the real path of the root.
 * @param base - the real, absolute directory relative paths start from.
 * @param candidate - the path as written.
 * @param lookup - the file system.
 */
export function resolveInRoot(root: string, base: string, candidate: string, lookup: FileLookup): Resolution {
  let current = candidate.startsWith("/") ? "/" : base;
  const pending = candidate.split("/").reverse();
  let links = 0;
  let exists = true;
  const mayPass = (directory: string) => isInside(root, directory) || isInside(directory, root);
  while (pending.length > 0) {
    const component = pending.pop()!;
    if (component === "" || component === ".") continue;
    if (component === "..") {
      current = path.dirname(current);
      continue;
    }
    const next = current === "/" ? `/${component}` : `${current}/${component}`;
    if (!exists) {
      current = next;
      continue;
    }
    const kind = lookup.kind(next);
    if (kind === "symlink") {
      if (++links > maxLinks) return { inside: false, reason: "link-loop" };
      const target = lookup.readLink(next);
      if (target.startsWith("/")) current = "/";
      pending.push(...target.split("/").reverse());
      continue;
    }
    current = next;
    if (kind === "missing" || kind === "other") exists = false;
    else if (!mayPass(current)) return { inside: false, reason: links > 0 ? "through-link" : "outside" };
  }
  if (isInside(root, current)) return { inside: true, real: current };
  return { inside: false, reason: links > 0 ? "through-link" : "outside" };
}

/**
 * Throws `path-escape` unless `candidate`, resolved against `base`, stays inside `root`, both as
 * written and as the kernel resolves it (see {@link resolveInRoot}).
 *
 * @param root - the real path of the root.
 * @param base - the real, absolute directory relative paths are resolved against.
 * @param candidate - a path as the model wrote it.
 * @param what - what the path is, for the message (`"working directory"`, `"argument"`).
 * @param lookup - the file system. @default the real one
 * @returns the resolved path.
 */
export function confine(
  root: string,
  base: string,
  candidate: string,
  what: string,
  lookup: FileLookup = systemLookup,
): string {
  if (!isInside(root, path.resolve(base, candidate))) {
    throw new ShellToolError("path-escape", `The ${what} ${JSON.stringify(candidate)} is outside the root`);
  }
  let resolution: Resolution;
  try {
    resolution = resolveInRoot(root, base, candidate, lookup);
  } catch (error) {
    if (ShellToolError.isInstance(error)) throw error;
    throw new ShellToolError(
      "path-escape",
      `The ${what} ${JSON.stringify(candidate)} could not be resolved`,
      {
        cause: error,
      },
    );
  }
  if (resolution.inside) return resolution.real;
  const message = {
    outside: "leads outside the root",
    "through-link": "leads outside the root through a symbolic link",
    "link-loop": "goes through too many symbolic links",
  }[resolution.reason];
  throw new ShellToolError("path-escape", `The ${what} ${JSON.stringify(candidate)} ${message}`);
}

/**
 * The real path of the working directory `cwd` (relative to `root`, or absolute inside it).
 * Throws `path-escape` when it leaves the root and `invalid-request` when it is not a directory.
 *
 * @param root - the real path of the root.
 * @param cwd - the requested working directory.
 */
export function resolveCwd(root: string, cwd: string): string {
  const real = confine(root, root, cwd, "working directory");
  let isDirectory = false;
  try {
    isDirectory = statSync(real).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw new ShellToolError(
      "invalid-request",
      `The working directory ${JSON.stringify(cwd)} is not a directory`,
    );
  }
  return real;
}
