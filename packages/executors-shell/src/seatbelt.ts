/**
 * The Seatbelt (`sandbox-exec`) profile of the macOS sandbox.
 *
 * @module
 */

import type { ResolvedSandbox } from "./sandbox-options.js";

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
