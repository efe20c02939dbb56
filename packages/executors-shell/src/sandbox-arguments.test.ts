import { describe, expect, test } from "vitest";
import { bwrapArguments } from "./bwrap-arguments.js";
import type { LayoutEntry } from "./sandbox-layout.js";
import { seatbeltProfile } from "./seatbelt.js";
import { seccompProgram } from "./seccomp.js";

const layout: LayoutEntry[] = [
  { path: "/usr", kind: "directory" },
  { path: "/bin", kind: "symlink", target: "usr/bin" },
];
const closed = { network: false, readOnlyRoot: false, readOnlyPaths: [], prewarm: 0 };

/** The destinations of the mounts, in order. */
function mountOrder(args: string[]): string[] {
  const order: string[] = [];
  const arity: Record<string, number> = {
    "--ro-bind": 2,
    "--ro-bind-try": 2,
    "--bind": 2,
    "--dev-bind": 2,
    "--remount-ro": 1,
    "--symlink": 2,
    "--ro-bind-data": 2,
    "--proc": 1,
    "--dev": 1,
    "--tmpfs": 1,
  };
  for (let index = 0; index < args.length; index++) {
    const count = arity[args[index]!];
    if (count === undefined) continue;
    order.push(args[index + count]!);
    index += count;
  }
  return order;
}

describe("bwrapArguments (pure)", () => {
  test("namespaces, lifetime, and nothing mounted but what is listed", () => {
    const args = bwrapArguments(layout, {
      root: "/srv/project",
      cwd: "/srv/project/src",
      sandbox: closed,
      identity: { passwd: "/tmp/replan-sandbox-1-x/passwd-0", group: "/tmp/replan-sandbox-1-x/group-0" },
    });
    for (const flag of [
      "--unshare-all",
      "--unshare-user",
      "--disable-userns",
      "--die-with-parent",
      "--new-session",
    ]) {
      expect(args).toContain(flag);
    }
    expect(args).not.toContain("--share-net");
    expect(args.slice(args.indexOf("--chdir"), args.indexOf("--chdir") + 2)).toEqual([
      "--chdir",
      "/srv/project/src",
    ]);
    expect(args.join(" ")).toContain("--bind /srv/project /srv/project");
    expect(args.join(" ")).toContain("--ro-bind /tmp/replan-sandbox-1-x/passwd-0 /etc/passwd");
    expect(mountOrder(args)).not.toContain("/etc/resolv.conf");
    expect(mountOrder(args).every((at) => /^\/(usr|bin|etc|proc|dev|tmp|srv\/project)/.test(at))).toBe(true);
  });

  test("mounts go from the shallowest path to the deepest: a root under /tmp lands on the private tmpfs", () => {
    const order = mountOrder(
      bwrapArguments(layout, { root: "/tmp/work", cwd: "/tmp/work", sandbox: closed }),
    );
    expect(order.indexOf("/tmp")).toBeLessThan(order.indexOf("/tmp/work"));
    const whole = mountOrder(bwrapArguments(layout, { root: "/", cwd: "/", sandbox: closed }));
    expect(whole[0]).toBe("/");
  });

  test("/proc is remounted read-only after it is mounted; our own device nodes go over /dev's", () => {
    const args = bwrapArguments(layout, {
      root: "/srv/p",
      cwd: "/srv/p",
      sandbox: closed,
      devices: "/tmp/replan-dev-1-x",
    });
    const order = mountOrder(args);
    expect(order.indexOf("/proc")).toBeLessThan(order.lastIndexOf("/proc"));
    expect(args.join(" ")).toContain("--proc /proc --remount-ro /proc");
    expect(args.join(" ")).toContain("--dev-bind /tmp/replan-dev-1-x/null /dev/null");
    expect(order.indexOf("/dev")).toBeLessThan(order.indexOf("/dev/null"));
    const withoutDevices = bwrapArguments(layout, {
      root: "/srv/p",
      cwd: "/srv/p",
      sandbox: closed,
    });
    expect(withoutDevices).not.toContain("--dev-bind");
  });

  test("readOnlyRoot, readOnlyPaths inside the root, network", () => {
    const args = bwrapArguments(layout, {
      root: "/srv/p",
      cwd: "/srv/p",
      sandbox: { network: true, readOnlyRoot: true, readOnlyPaths: ["/srv/p/.git", "/opt/tool"], prewarm: 0 },
      seccomp: true,
    });
    const joined = args.join(" ");
    expect(joined).toContain("--ro-bind /srv/p /srv/p");
    expect(joined).not.toContain("--bind /srv/p");
    expect(args).toContain("--share-net");
    expect(joined).toContain("--seccomp 4");
    const order = mountOrder(args);
    expect(order.indexOf("/srv/p")).toBeLessThan(order.indexOf("/srv/p/.git"));
    expect(order).toContain("/etc/resolv.conf");
  });
});

test("the Seatbelt profile denies by default and takes the root as a parameter", () => {
  const profile = seatbeltProfile({
    network: false,
    readOnlyRoot: true,
    readOnlyPaths: ["/opt/tool"],
    prewarm: 0,
  });
  expect(profile).toContain("(deny default)");
  expect(profile).toContain('(subpath (param "ROOT"))');
  expect(profile).not.toContain('(allow file-write* (subpath (param "ROOT")))');
  expect(profile).not.toContain("network");
  expect(profile).toContain('(subpath "/opt/tool")');
});

test("the seccomp program is whole instructions ending in return statements", () => {
  const program = seccompProgram("x64")!;
  expect(program.length % 8).toBe(0);
  expect(program.readUInt16LE(program.length - 8)).toBe(0x06);
  expect(seccompProgram("riscv64")).toBeUndefined();
});
