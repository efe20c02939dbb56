/**
 * The seccomp program of the bubblewrap sandbox: no setuid or setgid bits, no other architecture's
 * system calls.
 *
 * @module
 */

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
