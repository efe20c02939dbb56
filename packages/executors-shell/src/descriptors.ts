/**
 * File descriptors this process inherited without close-on-exec, which every child would
 * otherwise inherit too (Node passes them on): a pipe, a socket or a directory outside the root
 * that a command could use (`/proc/self/fd/N`). They are covered with `/dev/null` in the child.
 *
 * @module
 */

import { openSync, readdirSync, readFileSync } from "node:fs";

/** `O_CLOEXEC` as `/proc/self/fdinfo` prints it (octal flags). */
const closeOnExec = 0o2000000;

/**
 * The descriptors above 2 that are open here without close-on-exec (Linux; empty elsewhere).
 */
export function leakedDescriptors(): number[] {
  if (process.platform !== "linux") return [];
  let entries: string[];
  try {
    entries = readdirSync("/proc/self/fd");
  } catch {
    return [];
  }
  const leaked: number[] = [];
  for (const entry of entries) {
    const descriptor = Number(entry);
    if (!Number.isInteger(descriptor) || descriptor <= 2) continue;
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${descriptor}`, "utf8"));
      if (flags !== null && (Number.parseInt(flags[1]!, 8) & closeOnExec) === 0) leaked.push(descriptor);
    } catch {}
  }
  return leaked.sort((a, b) => a - b);
}

let devNull: number | undefined;

/** A descriptor of `/dev/null` (opened once, close-on-exec) to put over leaked ones in children. */
export function nullDescriptor(): number {
  devNull ??= openSync("/dev/null", "r");
  return devNull;
}
