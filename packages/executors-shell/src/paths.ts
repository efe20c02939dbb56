/**
 * Confinement of the working directory and of path-like arguments to a root, through realpath.
 *
 * @module
 */

import { lstatSync, readlinkSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { ShellToolError } from "./errors.js";

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

/** How many symbolic links are followed before giving up, as Linux's `SYMLOOP_MAX`. */
const maxLinks = 40;

/**
 * The real path of `target`, following every symlink of its longest existing prefix; the part
 * that does not exist yet is appended as written. A dangling symlink is followed to where it
 * points, so a link to a file that does not exist yet outside the root is still seen as outside.
 *
 * @param target - an absolute, normalized path.
 * @param links - symlinks followed so far.
 */
function realPathOfPrefix(target: string, links = 0): string {
  if (links > maxLinks) throw new ShellToolError("path-escape", `Too many symbolic links under ${target}`);
  let existing = target;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...rest);
    } catch {
      if (isSymbolicLink(existing)) {
        const pointee = path.resolve(path.dirname(existing), readlinkSync(existing));
        return realPathOfPrefix(path.join(pointee, ...rest), links + 1);
      }
      const parent = path.dirname(existing);
      if (parent === existing) return target;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

function isSymbolicLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Throws `path-escape` unless `candidate`, resolved against `base`, stays inside `root` both as
 * written and after following symlinks.
 *
 * @param root - the real path of the root.
 * @param base - the absolute directory relative paths are resolved against.
 * @param candidate - a path as the model wrote it.
 * @param what - what the path is, for the message (`"cwd"`, `"argument"`).
 */
export function confine(root: string, base: string, candidate: string, what: string): string {
  const resolved = path.resolve(base, candidate);
  if (!isInside(root, resolved)) {
    throw new ShellToolError("path-escape", `The ${what} ${JSON.stringify(candidate)} is outside the root`);
  }
  const real = realPathOfPrefix(resolved);
  if (!isInside(root, real)) {
    throw new ShellToolError(
      "path-escape",
      `The ${what} ${JSON.stringify(candidate)} leads outside the root through a symbolic link`,
    );
  }
  return real;
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
