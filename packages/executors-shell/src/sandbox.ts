/**
 * The kernel boundary under the argument rules: every command runs in a bubblewrap sandbox on
 * Linux (its own mount, PID, IPC, UTS, network, user and cgroup namespaces; only the system folders
 * and the root visible) or under a Seatbelt profile on macOS. Detection is cached; a sandbox that
 * cannot start is a typed error, never a silent fallback.
 *
 * @module
 */

import { spawn } from "node:child_process";
import {
  accessSync,
  chownSync,
  constants,
  lstatSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { ShellToolError } from "./errors.js";

/**
 * Options of the kernel sandbox (`sandbox` in {@link ShellOptions}).
 *
 * @example
 * ```ts
 * import { createShellTool } from "@replan/executors-shell";
 *
 * // Read-only root, no network, and a toolchain outside /usr made readable.
 * const shell = createShellTool({ sandbox: { readOnlyRoot: true, readOnlyPaths: ["/opt/toolchain"] } });
 * ```
 */
export interface SandboxOptions {
  /**
   * Let the command use the host's network (its namespace is shared). Without it the command has
   * a loopback of its own and reaches nothing, not even this machine's 127.0.0.1.
   * @default false
   */
  network?: boolean;
  /**
   * Mount the root read-only: the command can then write nowhere but its private `/tmp`.
   * @default false
   */
  readOnlyRoot?: boolean;
  /**
   * More absolute paths the command may read (mounted read-only at the same place), e.g. a
   * toolchain outside `/usr`. Each must exist. A path inside the root is mounted read-only over it.
   * @default []
   */
  readOnlyPaths?: readonly string[];
}

/** The sandbox options after validation. */
export interface ResolvedSandbox {
  network: boolean;
  readOnlyRoot: boolean;
  readOnlyPaths: readonly string[];
}

/**
 * Which kernel mechanism confines commands: bubblewrap on Linux, Seatbelt (`sandbox-exec`) on macOS.
 *
 * @example
 * ```ts
 * import { probeSandbox, type SandboxMechanism } from "@replan/executors-shell";
 *
 * const probe = await probeSandbox();
 * const mechanism: SandboxMechanism | "none" = probe.available ? probe.mechanism : "none";
 * ```
 */
export type SandboxMechanism = "bubblewrap" | "seatbelt";

/**
 * The outcome of {@link probeSandbox}: the mechanism that will confine commands, or the
 * `sandbox-unavailable` error saying why not and how to fix it.
 *
 * @example
 * ```ts
 * import { probeSandbox, type SandboxProbe } from "@replan/executors-shell";
 *
 * const probe: SandboxProbe = await probeSandbox();
 * console.log(probe.available ? `confined by ${probe.executable}` : probe.error.message);
 * ```
 */
export type SandboxProbe =
  | { available: true; mechanism: SandboxMechanism; executable: string }
  | { available: false; error: ShellToolError };

function invalid(message: string): ShellToolError {
  return new ShellToolError("invalid-options", `Option "sandbox" ${message}`);
}

/**
 * Validates the `sandbox` option: `true` (the default), `false`, or {@link SandboxOptions}.
 *
 * @param sandbox - the caller's value.
 * @returns the resolved options, or `undefined` for `sandbox: false`.
 */
export function resolveSandbox(sandbox: unknown): ResolvedSandbox | undefined {
  if (sandbox === false) return undefined;
  if (sandbox === true) return { network: false, readOnlyRoot: false, readOnlyPaths: [] };
  if (typeof sandbox !== "object" || sandbox === null || Array.isArray(sandbox)) {
    throw invalid("must be true, false or an object { network, readOnlyRoot, readOnlyPaths }");
  }
  const known = new Set(["network", "readOnlyRoot", "readOnlyPaths"]);
  for (const name of Object.keys(sandbox)) {
    if (!known.has(name)) throw invalid(`has an unknown field "${name}"`);
  }
  const { network = false, readOnlyRoot = false, readOnlyPaths = [] } = sandbox as SandboxOptions;
  if (typeof network !== "boolean") throw invalid('field "network" must be a boolean');
  if (typeof readOnlyRoot !== "boolean") throw invalid('field "readOnlyRoot" must be a boolean');
  if (!Array.isArray(readOnlyPaths))
    throw invalid('field "readOnlyPaths" must be an array of absolute paths');
  for (const entry of readOnlyPaths as unknown[]) {
    if (typeof entry !== "string" || !entry.startsWith("/") || entry.includes("\0")) {
      throw invalid(`field "readOnlyPaths" must list absolute paths, got ${JSON.stringify(entry)}`);
    }
    try {
      statSync(entry);
    } catch {
      throw invalid(`field "readOnlyPaths" lists ${JSON.stringify(entry)}, which does not exist`);
    }
  }
  return {
    network,
    readOnlyRoot,
    readOnlyPaths: Object.freeze(readOnlyPaths.map((entry) => path.normalize(entry))),
  };
}

/**
 * The first executable file named `name` in the `:`-separated `searchPath` (absolute entries only).
 *
 * @param name - a bare program name.
 * @param searchPath - a `PATH` value.
 */
export function findExecutable(name: string, searchPath: string | undefined): string | undefined {
  for (const directory of (searchPath ?? "").split(":")) {
    if (!directory.startsWith("/")) continue;
    const file = path.join(directory, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/** How long the probe may take before it counts as a failure (not cached). */
const probeTimeoutMs = 10_000;

const fixes =
  "Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), " +
  "or pass sandbox: false to run commands without the kernel sandbox (weaker: only the argument rules confine them).";

function unavailable(reason: string, cause?: unknown): ShellToolError {
  return new ShellToolError("sandbox-unavailable", `The kernel sandbox cannot start: ${reason}. ${fixes}`, {
    cause,
  });
}

/**
 * Runs `file args` in its own process group with a timeout; resolves with its exit code (or null)
 * and stderr once it has exited, after killing whatever it left in its group.
 */
function trial(file: string, args: readonly string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stderr: string; timedOut: boolean; error?: Error }>((resolve) => {
    const child = spawn(file, args, { stdio: ["ignore", "ignore", "pipe", "pipe"], env, detached: true });
    let stderr = "";
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {}
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, probeTimeoutMs);
    child.stderr!.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString("utf8");
    });
    (child.stdio[3] as NodeJS.ReadableStream | null)?.resume();
    const done = (code: number | null, error?: Error) => {
      clearTimeout(timer);
      killGroup();
      for (const stream of child.stdio) stream?.destroy();
      resolve({ code, stderr, timedOut, ...(error === undefined ? {} : { error }) });
    };
    child.once("error", (error) => done(null, error));
    // Wait for stderr to be read, but not for descendants that might keep it open.
    child.once("exit", (code) => setTimeout(() => done(code), 50));
  });
}

/** Explains a failed probe of bubblewrap from its message. */
function diagnose(stderr: string): string {
  const message = stderr.trim().split("\n").slice(-3).join(" ").trim() || "no message";
  if (/namespace|uid map|setting up uid|Operation not permitted|Permission denied/i.test(message)) {
    return (
      `bubblewrap could not create its namespaces (${message}); unprivileged user namespaces are probably ` +
      "disabled (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0, and on Ubuntu 24.04 " +
      "kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap)"
    );
  }
  return `bubblewrap failed to start a trial command (${message})`;
}

async function probe(searchPath: string | undefined): Promise<SandboxProbe & { retry?: boolean }> {
  if (process.platform === "linux") {
    const executable = findExecutable("bwrap", searchPath);
    if (executable === undefined) {
      return {
        available: false,
        error: unavailable(`bubblewrap (bwrap) is not on PATH (${JSON.stringify(searchPath ?? "")})`),
      };
    }
    let devices: string | undefined;
    try {
      devices = await privateDevices();
    } catch (error) {
      return { available: false, error: error as ShellToolError };
    }
    const args = [...bwrapArguments(systemLayout(), { ...trialPlan, devices }), "--", "true"];
    const result = await trial(executable, args, { PATH: "/usr/bin:/bin" });
    if (result.code === 0) return { available: true, mechanism: "bubblewrap", executable };
    if (result.timedOut) {
      return {
        available: false,
        retry: true,
        error: unavailable(`bubblewrap did not answer within ${probeTimeoutMs} ms`),
      };
    }
    return {
      available: false,
      error: unavailable(diagnose(result.error?.message ?? result.stderr), result.error),
    };
  }
  if (process.platform === "darwin") {
    const executable = "/usr/bin/sandbox-exec";
    const result = await trial(executable, ["-p", "(version 1)(allow default)", "/usr/bin/true"], {});
    if (result.code === 0) return { available: true, mechanism: "seatbelt", executable };
    return {
      available: false,
      retry: result.timedOut,
      error: new ShellToolError(
        "sandbox-unavailable",
        `The kernel sandbox cannot start: sandbox-exec failed (${(result.error?.message ?? result.stderr).trim() || "no message"}). Pass sandbox: false to run commands without it (weaker).`,
        { cause: result.error },
      ),
    };
  }
  return {
    available: false,
    error: new ShellToolError(
      "sandbox-unavailable",
      `The kernel sandbox cannot start: there is none for platform "${process.platform}" (bubblewrap on Linux, Seatbelt on macOS). Pass sandbox: false to run commands without it (weaker).`,
    ),
  };
}

const probes = new Map<string, Promise<SandboxProbe>>();

/**
 * Finds out, once per `PATH`, whether commands can be confined here: on Linux, whether `bwrap` is
 * on this process's `PATH` and can start a trial command in the same namespaces and mounts as real
 * commands (bounded by a timeout); on macOS, whether `sandbox-exec` works. The answer is cached
 * (a timed-out probe is tried again next time). It never throws: a failure is
 * `{ available: false, error }`, the error `runCommand` would throw.
 *
 * @returns the mechanism, or the `sandbox-unavailable` error with why and how to fix it.
 * @example
 * ```ts
 * import { createShellTool, probeSandbox } from "@replan/executors-shell";
 *
 * const probe = await probeSandbox();
 * if (!probe.available) console.warn(`${probe.error.message}\nRunning the shell tool WITHOUT the kernel sandbox.`);
 * const shell = createShellTool({ sandbox: probe.available });
 * ```
 */
export function probeSandbox(): Promise<SandboxProbe> {
  const searchPath = process.env.PATH;
  const key = `${process.platform}\0${searchPath ?? ""}`;
  let cached = probes.get(key);
  if (cached === undefined) {
    cached = probe(searchPath).then(({ retry, ...result }) => {
      if (retry) probes.delete(key);
      return result;
    });
    probes.set(key, cached);
  }
  return cached;
}

/**
 * The probe's mechanism, or throws its `sandbox-unavailable` error.
 *
 * @param signal - rejects with its reason when aborted while waiting.
 */
export async function requireSandbox(
  signal?: AbortSignal,
): Promise<{ mechanism: SandboxMechanism; executable: string }> {
  const result = await probeSandbox();
  signal?.throwIfAborted();
  if (!result.available) throw result.error;
  return result;
}

/** One entry of the host's top-level layout: a directory to mount read-only, or a symlink to copy. */
export type LayoutEntry =
  | { path: string; kind: "directory" }
  | { path: string; kind: "symlink"; target: string };

/** Top-level system folders programs need; each is mounted read-only, or copied as a symlink. */
const systemFolders = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/** Pieces of `/etc` programs need to load and to print times; mounted read-only when present. */
export const systemFiles: readonly string[] = [
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/localtime",
  "/etc/nsswitch.conf",
  "/etc/alternatives",
];

/** Pieces of `/etc` that name resolution and TLS need; mounted only with `network: true`. */
export const networkFiles: readonly string[] = [
  "/etc/resolv.conf",
  "/etc/hosts",
  "/etc/host.conf",
  "/etc/gai.conf",
  "/etc/services",
  "/etc/protocols",
  "/etc/ssl",
  "/etc/ca-certificates",
  "/etc/pki",
];

let layout: LayoutEntry[] | undefined;

/** The host's system folders, read once: directories and the symlinks of a merged `/usr`. */
export function systemLayout(): LayoutEntry[] {
  if (layout !== undefined) return layout;
  const entries: LayoutEntry[] = [];
  for (const folder of systemFolders) {
    try {
      const stats = lstatSync(folder);
      if (stats.isSymbolicLink())
        entries.push({ path: folder, kind: "symlink", target: readlinkSync(folder) });
      else if (stats.isDirectory()) entries.push({ path: folder, kind: "directory" });
    } catch {}
  }
  layout = entries;
  return entries;
}

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
const trialPlan: BwrapPlan = {
  root: "",
  cwd: "/",
  sandbox: { network: false, readOnlyRoot: false, readOnlyPaths: [] },
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

/** The device nodes bubblewrap's `--dev` binds from the host: name → [major, minor]. */
const deviceNodes: Readonly<Record<string, readonly [number, number]>> = {
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
    throw unavailable(
      "this process runs as root and could not make device nodes of its own for the sandbox (mknod), " +
        "without which a command could change the host's /dev/null; run as an unprivileged user",
    );
  })();
  return devices;
}

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
function removeStale(parent: string, prefix: string): void {
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

/**
 * Whether `file` (an absolute path on the host) can be seen inside the sandbox: under a system
 * folder, the root or a read-only path.
 *
 * @param file - the host path of a program.
 * @param root - the root.
 * @param sandbox - the sandbox options.
 */
export function visibleInside(file: string, root: string, sandbox: ResolvedSandbox): boolean {
  const inside = (folder: string) => file === folder || file.startsWith(`${folder.replace(/\/$/, "")}/`);
  const folders = [
    ...systemLayout().map((entry) =>
      entry.kind === "symlink" ? path.resolve("/", entry.target) : entry.path,
    ),
    root,
    ...sandbox.readOnlyPaths,
  ];
  return folders.some(inside);
}

/**
 * A Seatbelt (`sandbox-exec`) profile with the same intent as the bubblewrap sandbox: read the
 * system, read (and write, unless read-only) the root passed as the `ROOT` parameter, write a
 * private temporary folder (`TMP`), no network unless allowed. Untested here (no macOS machine).
 *
 * @param sandbox - the sandbox options.
 */
export function seatbeltProfile(sandbox: ResolvedSandbox): string {
  const readOnly = sandbox.readOnlyPaths.map((file) => `  (subpath ${JSON.stringify(file)})`).join("\n");
  return [
    "(version 1)",
    "(deny default)",
    "(allow process-fork)",
    "(allow process-exec)",
    "(allow signal (target same-sandbox))",
    "(allow sysctl-read)",
    '(allow mach-lookup (global-name "com.apple.system.opendirectoryd.libinfo"))',
    '(allow file-read-metadata (literal "/") (literal "/private") (literal "/var") (literal "/tmp") (literal "/etc"))',
    "(allow file-read*",
    '  (subpath "/usr") (subpath "/bin") (subpath "/sbin") (subpath "/System") (subpath "/Library/Apple")',
    '  (subpath "/private/var/db/dyld") (subpath "/private/var/db/timezone") (subpath "/private/etc/localtime")',
    '  (literal "/dev/null") (literal "/dev/zero") (literal "/dev/random") (literal "/dev/urandom") (literal "/dev/tty")',
    '  (subpath (param "ROOT")) (subpath (param "TMP"))',
    ...(readOnly === "" ? [] : [readOnly]),
    ")",
    '(allow file-write* (literal "/dev/null") (subpath (param "TMP")))',
    ...(sandbox.readOnlyRoot ? [] : ['(allow file-write* (subpath (param "ROOT")))']),
    ...(sandbox.network ? ["(allow network*)", "(allow system-socket)"] : []),
    "",
  ].join("\n");
}

/**
 * The host pids of every process inside a bubblewrap sandbox but its init: the descendants of
 * the grandchildren of `bwrapPid` (bwrap → its PID-namespace init → the command and what it
 * started, `setsid` ones included, since orphans are re-parented to that init). Empty when
 * `/proc/<pid>/task/<tid>/children` is not available.
 *
 * @param bwrapPid - the pid of the bwrap process this process spawned.
 */
export function sandboxedProcesses(bwrapPid: number): number[] {
  const children = (pid: number): number[] => {
    const found: number[] = [];
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
        if (text !== "") found.push(...text.split(" ").map(Number));
      }
    } catch {}
    return found;
  };
  const result: number[] = [];
  let frontier = children(bwrapPid).flatMap(children);
  for (let round = 0; frontier.length > 0 && round < 1_000; round++) {
    result.push(...frontier);
    frontier = frontier.flatMap(children);
  }
  return result;
}

/**
 * Audit architecture and the system calls that set a file's mode, per Node architecture: the mode
 * in argument 1 or 2 (the chmod family, `creat`, `mknod`, `mknodat`), or in argument 2 or 3 when
 * the flags before it create a file (`open`, `openat`); and calls refused as not implemented, so
 * that libc falls back to ones the filter can read (`openat2` passes its mode in a structure).
 */
const modeCalls: Record<
  string,
  {
    audit: number;
    modeInArg1: number[];
    modeInArg2: number[];
    createFlagsInArg1: number[];
    createFlagsInArg2: number[];
    notImplemented: number[];
    x32?: boolean;
  }
> = {
  // x86_64: chmod 90, fchmod 91, creat 85, mknod 133; fchmodat 268, fchmodat2 452, mknodat 259;
  // open 2; openat 257; openat2 437.
  x64: {
    audit: 0xc000003e,
    modeInArg1: [90, 91, 85, 133],
    modeInArg2: [268, 452, 259],
    createFlagsInArg1: [2],
    createFlagsInArg2: [257],
    notImplemented: [437],
    x32: true,
  },
  // aarch64 (no chmod, creat, mknod, open): fchmod 52; fchmodat 53, fchmodat2 452, mknodat 33;
  // openat 56; openat2 437.
  arm64: {
    audit: 0xc00000b7,
    modeInArg1: [52],
    modeInArg2: [53, 452, 33],
    createFlagsInArg1: [],
    createFlagsInArg2: [56],
    notImplemented: [437],
  },
};

/** `O_CREAT | __O_TMPFILE` (the same on x86_64 and aarch64): the flags with which `open` creates a file. */
const createFlags = 0o100 | 0o20000000;

/**
 * A classic BPF seccomp program for bubblewrap's `--seccomp`: every system call that would give a
 * file the setuid or setgid bit fails with `EPERM` (`chmod`, `fchmod`, `fchmodat`, `fchmodat2`;
 * `open`, `openat` and `creat` creating a file with those bits; `mknod`, `mknodat`), `openat2`
 * fails with `ENOSYS` (its mode is out of reach of a filter; libc falls back to `openat`), and any
 * other architecture's system calls (32-bit, x32) fail with `EPERM`. Everything else is allowed.
 * Without it, a command run by root (root in its user namespace, owning what it writes) could
 * leave a setuid-root program in the root: by `chmod u+s`, or by creating an empty file with the
 * bit, which a later write by the host's root (who has `CAP_FSETID`) would not clear. (A write
 * by the command itself clears those bits: it has no `CAP_FSETID`.) `undefined` on architectures it
 * does not know.
 *
 * @param arch - `process.arch`.
 */
export function seccompProgram(arch: string = process.arch): Buffer | undefined {
  const calls = modeCalls[arch];
  if (calls === undefined) return undefined;
  const allow = 0x7fff0000;
  const deny = 0x00050000 | 1; // SECCOMP_RET_ERRNO | EPERM
  const notImplemented = 0x00050000 | 38; // SECCOMP_RET_ERRNO | ENOSYS
  type Instruction = { code: number; k: number; jt?: string; jf?: string; label?: string };
  const load = (offset: number): Instruction => ({ code: 0x20, k: offset });
  const argument = (index: number) => 16 + 8 * index; // low half of args[index]
  const program: Instruction[] = [
    load(4), // arch
    { code: 0x15, k: calls.audit, jf: "deny" },
    load(0), // nr
    ...(calls.x32 ? [{ code: 0x35, k: 0x40000000, jt: "deny" }] : []),
    ...calls.modeInArg1.map((nr) => ({ code: 0x15, k: nr, jt: "arg1" })),
    ...calls.modeInArg2.map((nr) => ({ code: 0x15, k: nr, jt: "arg2" })),
    ...calls.createFlagsInArg1.map((nr) => ({ code: 0x15, k: nr, jt: "flags1" })),
    ...calls.createFlagsInArg2.map((nr) => ({ code: 0x15, k: nr, jt: "flags2" })),
    ...calls.notImplemented.map((nr) => ({ code: 0x15, k: nr, jt: "nosys" })),
    { code: 0x06, k: allow },
    // Jumps go forward only: each block comes after every one that jumps to it.
    { ...load(argument(1)), label: "arg1" },
    { code: 0x45, k: 0o6000, jt: "deny", jf: "allow" },
    { ...load(argument(1)), label: "flags1" },
    { code: 0x45, k: createFlags, jt: "arg2", jf: "allow" },
    { ...load(argument(2)), label: "arg2" },
    { code: 0x45, k: 0o6000, jt: "deny", jf: "allow" },
    { ...load(argument(2)), label: "flags2" },
    { code: 0x45, k: createFlags, jt: "arg3", jf: "allow" },
    { ...load(argument(3)), label: "arg3" },
    { code: 0x45, k: 0o6000, jt: "deny", jf: "allow" },
    { code: 0x06, k: allow, label: "allow" },
    { code: 0x06, k: deny, label: "deny" },
    { code: 0x06, k: notImplemented, label: "nosys" },
  ];
  const at = new Map(
    program.flatMap((instruction, index) => (instruction.label ? [[instruction.label, index]] : [])),
  );
  const buffer = Buffer.alloc(program.length * 8);
  program.forEach((instruction, index) => {
    const offset = (label: string | undefined) => {
      if (label === undefined) return 0;
      const distance = at.get(label)! - index - 1;
      if (distance < 0 || distance > 255) throw new Error(`seccomp jump to ${label} out of range`);
      return distance;
    };
    buffer.writeUInt16LE(instruction.code, index * 8);
    buffer.writeUInt8(offset(instruction.jt), index * 8 + 2);
    buffer.writeUInt8(offset(instruction.jf), index * 8 + 3);
    buffer.writeUInt32LE(instruction.k >>> 0, index * 8 + 4);
  });
  return buffer;
}
