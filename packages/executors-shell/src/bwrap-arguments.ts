/**
 * The bubblewrap command line that confines one command: namespaces, lifetime, mounts.
 *
 * @module
 */

import { deviceNodes } from "./private-devices.js";
import { type LayoutEntry, networkFiles, systemFiles } from "./sandbox-layout.js";
import type { ResolvedSandbox } from "./sandbox-options.js";

/** Everything {@link bwrapArguments} needs about one command. */
export interface BwrapPlan {
  /** The real path of the root, mounted at the same place. */
  root: string;
  /** The real working directory. */
  cwd: string;
  /** The sandbox options. */
  sandbox: ResolvedSandbox;
  /** Files (on the host) to mount as `/etc/passwd` and `/etc/group` ({@link sandboxFiles}). */
  identity?: { passwd: string; group: string } | undefined;
  /** Whether a seccomp program ({@link seccompProgram}) is given on file descriptor 4. */
  seccomp?: boolean;
  /** A folder of device nodes of our own to put over `/dev`'s ({@link privateDevices}). */
  devices?: string | undefined;
}

/** The plan of the availability probe: no root, no identity files. */
export const trialPlan: BwrapPlan = {
  root: "",
  cwd: "/",
  sandbox: { network: false, readOnlyRoot: false, readOnlyPaths: [], prewarm: 0 },
};

/** The size of the private `/tmp` (a tmpfs, so memory): 256 MiB. */
export const tmpBytes = 256 * 1024 * 1024;

/** The file descriptor bubblewrap writes its JSON status to (child pid, then exit code). */
export const statusDescriptor = 3;

/** The file descriptor bubblewrap reads the seccomp program from. */
export const seccompDescriptor = 4;

function depth(file: string): number {
  return file.split("/").filter(Boolean).length;
}

/**
 * The bubblewrap arguments (before `--` and the command) that confine one command. A pure function
 * of the host's layout and the plan.
 *
 * - namespaces: `--unshare-all` (user, mount, PID, IPC, UTS, cgroup, network), plus `--share-net`
 *   when the network is allowed; `--disable-userns` (no nested user namespaces), `--cap-drop ALL`;
 * - lifetime: `--die-with-parent` (the whole sandbox is SIGKILLed when this process dies, even by
 *   SIGKILL), `--new-session` (no terminal to inject input into); the PID namespace dies with its
 *   first process, so nothing outlives the command;
 * - files: the system folders read-only (and their symlinks), the few `/etc` files programs need,
 *   a fresh `/proc` of the new PID namespace (read-only), a minimal `/dev` (with our own device
 *   nodes over the host's when this process owns those, see {@link privateDevices}), a private `/tmp` of 256 MiB, the root at its own
 *   path (read-write unless `readOnlyRoot`), `readOnlyPaths` read-only. Mounts are made from the
 *   shallowest path to the deepest, so a root under `/tmp` or `/usr` lands on top. Nothing else exists.
 *
 * @param system - the host's system folders ({@link systemLayout}).
 * @param plan - the command's root, working directory and options.
 */
export function bwrapArguments(system: readonly LayoutEntry[], plan: BwrapPlan): string[] {
  const { sandbox } = plan;
  const mounts: { at: string; args: string[] }[] = [];
  for (const entry of system) {
    mounts.push({
      at: entry.path,
      args:
        entry.kind === "symlink"
          ? ["--symlink", entry.target, entry.path]
          : ["--ro-bind", entry.path, entry.path],
    });
  }
  for (const file of [...systemFiles, ...(sandbox.network ? networkFiles : [])]) {
    mounts.push({ at: file, args: ["--ro-bind-try", file, file] });
  }
  if (plan.identity !== undefined) {
    mounts.push({ at: "/etc/passwd", args: ["--ro-bind", plan.identity.passwd, "/etc/passwd"] });
    mounts.push({ at: "/etc/group", args: ["--ro-bind", plan.identity.group, "/etc/group"] });
  }
  mounts.push({ at: "/proc", args: ["--proc", "/proc"] });
  // Read-only: run by root, the command is uid 0 on the host's files, and /proc/sys holds the
  // kernel's global settings (core_pattern, modprobe: a program the host's root would run).
  mounts.push({ at: "/proc", args: ["--remount-ro", "/proc"] });
  mounts.push({ at: "/dev", args: ["--dev", "/dev"] });
  if (plan.devices !== undefined) {
    for (const name of Object.keys(deviceNodes)) {
      mounts.push({ at: `/dev/${name}`, args: ["--dev-bind", `${plan.devices}/${name}`, `/dev/${name}`] });
    }
  }
  mounts.push({ at: "/tmp", args: ["--size", String(tmpBytes), "--tmpfs", "/tmp"] });
  if (plan.root !== "") {
    mounts.push({
      at: plan.root,
      args: [sandbox.readOnlyRoot ? "--ro-bind" : "--bind", plan.root, plan.root],
    });
  }
  for (const file of sandbox.readOnlyPaths) mounts.push({ at: file, args: ["--ro-bind", file, file] });
  const ordered = mounts
    .map((mount, index) => ({ ...mount, index }))
    .sort((a, b) => depth(a.at) - depth(b.at) || a.index - b.index);
  return [
    "--unshare-all",
    "--unshare-user",
    ...(sandbox.network ? ["--share-net"] : []),
    "--disable-userns",
    "--cap-drop",
    "ALL",
    "--die-with-parent",
    "--new-session",
    ...(plan.seccomp ? ["--seccomp", String(seccompDescriptor)] : []),
    ...ordered.flatMap((mount) => mount.args),
    "--chdir",
    plan.cwd,
    "--json-status-fd",
    String(statusDescriptor),
  ];
}
