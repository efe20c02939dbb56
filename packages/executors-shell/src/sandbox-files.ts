/**
 * The files every sandboxed command mounts (its `/etc/passwd`, `/etc/group` and seccomp program),
 * written once per process in a private folder of the temporary directory.
 *
 * @module
 */

import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { ShellToolError } from "./errors.js";
import { seccompProgram } from "./seccomp.js";

let user: { uid: number; gid: number; username: string } | undefined;

/**
 * The `/etc/passwd` and `/etc/group` the command sees: this user (with the root as its home) and
 * `nobody`, nothing of the host's accounts.
 *
 * @param root - the root, the user's home inside.
 */
export function identityFiles(root: string): { passwd: string; group: string } {
  user ??= userInfo();
  const { uid, gid, username } = user;
  const name = /^[A-Za-z0-9._-]+$/.test(username) ? username : "user";
  return {
    passwd: `${name}:x:${uid}:${gid}:${name}:${root}:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    group: `${name}:x:${gid}:\nnogroup:x:65534:\n`,
  };
}

/** What {@link sandboxFiles} made: the seccomp program's file and the identity files per root. */
interface PrivateFolder {
  path: string;
  seccomp: string | undefined;
  identities: Map<string, { passwd: string; group: string }>;
}

let folder: PrivateFolder | undefined;

/** Removes the folders `prefix<pid>-*` in `parent` of processes that are gone (killed before their exit handler ran). */
export function removeStale(parent: string, prefix: string): void {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const owner = Number(/^(\d+)-/.exec(entry.slice(prefix.length))?.[1]);
    if (!Number.isInteger(owner) || owner === process.pid) continue;
    try {
      // Only our own folders (another user's may be there too, and is not ours to remove).
      if (lstatSync(path.join(parent, entry)).uid !== process.getuid?.()) continue;
      process.kill(owner, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") continue;
      try {
        rmSync(path.join(parent, entry), { recursive: true, force: true });
      } catch {}
    }
  }
}

/**
 * The files every sandboxed command mounts or reads, written once per process (per root for the
 * identity files) in a private folder of the temporary directory (mode 0700, removed at exit):
 * binding a file costs bubblewrap less than reading it from a pipe, and this process less than
 * one more pipe per command.
 *
 * @param root - the root (the user's home in `/etc/passwd`).
 * @returns the paths of `/etc/passwd`, `/etc/group` and the seccomp program (`undefined`: none for
 *   this architecture).
 */
export function sandboxFiles(root: string): { passwd: string; group: string; seccomp: string | undefined } {
  try {
    if (folder === undefined) {
      const prefix = "replan-bwrap-";
      removeStale(tmpdir(), prefix);
      const created = mkdtempSync(path.join(tmpdir(), `${prefix}${process.pid}-`));
      process.once("exit", () => rmSync(created, { recursive: true, force: true }));
      const program = seccompProgram();
      const seccomp = program === undefined ? undefined : path.join(created, "seccomp.bpf");
      if (seccomp !== undefined) writeFileSync(seccomp, program!, { mode: 0o600 });
      folder = { path: created, seccomp, identities: new Map() };
    }
    let identity = folder.identities.get(root);
    if (identity === undefined) {
      const files = identityFiles(root);
      const index = folder.identities.size;
      identity = {
        passwd: path.join(folder.path, `passwd-${index}`),
        group: path.join(folder.path, `group-${index}`),
      };
      writeFileSync(identity.passwd, files.passwd, { mode: 0o644 });
      writeFileSync(identity.group, files.group, { mode: 0o644 });
      folder.identities.set(root, identity);
    }
    return { ...identity, seccomp: folder.seccomp };
  } catch (error) {
    throw new ShellToolError(
      "sandbox-unavailable",
      `The kernel sandbox could not write its files in the temporary directory ${JSON.stringify(tmpdir())}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
