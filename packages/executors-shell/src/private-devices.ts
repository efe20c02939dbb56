/**
 * Device nodes of our own for the sandbox's `/dev` when this process runs as root, so that a
 * command cannot change the host's.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { chownSync, closeSync, mkdtempSync, openSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sandboxUnavailable } from "./errors.js";
import { removeStale } from "./sandbox-files.js";
import { probeTimeoutMs } from "./trial.js";

/** The device nodes bubblewrap's `--dev` binds from the host: name → [major, minor]. */
export const deviceNodes: Readonly<Record<string, readonly [number, number]>> = {
  null: [1, 3],
  zero: [1, 5],
  full: [1, 7],
  random: [1, 8],
  urandom: [1, 9],
  tty: [5, 0],
};

/** The uid and gid our own device nodes belong to (`nobody`): not the command's, so it cannot change them. */
const nodeOwner = 65534;

let devices: Promise<string | undefined> | undefined;

/** Runs `mknod` for every node in `directory`; resolves whether it succeeded (bounded by a timeout). */
function makeNodes(directory: string): Promise<boolean> {
  const script = Object.entries(deviceNodes)
    .map(([name, [major, minor]]) => `mknod -m 666 ${name} c ${major} ${minor}`)
    .join(" && ");
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", script], {
      cwd: directory,
      stdio: "ignore",
      env: { PATH: "/usr/bin:/bin" },
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), probeTimeoutMs);
    child.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/**
 * Device nodes of our own for the sandbox's `/dev`, when this process owns the host's (it runs as
 * root): bubblewrap's `--dev` binds the host's `/dev/null`, `/dev/zero`, ..., and a command that is
 * uid 0 on the host's files (root in its user namespace, mapped to this root) could `chmod 000
 * /dev/null` or give it an ACL, for the whole machine, without any capability. The nodes made here
 * (once per process, in a private folder of the temporary directory, or of `/dev` where that is
 * mounted `nodev`; removed at exit) belong to `nobody`: the command can use them, not change them.
 *
 * @returns the folder, or `undefined` when this process does not own the host's `/dev/null`.
 * @throws `sandbox-unavailable` when the nodes are needed and cannot be made.
 */
export function privateDevices(): Promise<string | undefined> {
  devices ??= (async () => {
    let owner: number;
    try {
      owner = statSync("/dev/null").uid;
    } catch {
      return undefined;
    }
    if (process.getuid?.() !== owner) return undefined;
    for (const parent of [tmpdir(), "/dev"]) {
      removeStale(parent, "replan-dev-");
      let directory: string;
      try {
        directory = mkdtempSync(path.join(parent, `replan-dev-${process.pid}-`));
      } catch {
        continue;
      }
      const remove = () => rmSync(directory, { recursive: true, force: true });
      try {
        if (await makeNodes(directory)) {
          for (const name of Object.keys(deviceNodes))
            chownSync(path.join(directory, name), nodeOwner, nodeOwner);
          closeSync(openSync(path.join(directory, "null"), "w")); // fails on a `nodev` file system
          process.once("exit", remove);
          return directory;
        }
      } catch {}
      remove();
    }
    throw sandboxUnavailable(
      "this process runs as root and could not make device nodes of its own for the sandbox (mknod), " +
        "without which a command could change the host's /dev/null; run as an unprivileged user",
    );
  })();
  return devices;
}
