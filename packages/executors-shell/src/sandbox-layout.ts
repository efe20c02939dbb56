/**
 * What a sandboxed command sees of the host: the system folders (read-only, with the symlinks of a
 * merged `/usr`), a few files of `/etc`, the root and the read-only paths.
 *
 * @module
 */

import { lstatSync, readlinkSync } from "node:fs";
import path from "node:path";
import type { ResolvedSandbox } from "./sandbox-options.js";

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
