/**
 * The process's streams and Ctrl-C, as a run uses them: a reader that goes away (`| head -3`)
 * stops the run quietly, a closed stderr only silences the messages, and a first Ctrl-C stops the
 * run while a second one quits at once.
 *
 * @module
 */
import { EXIT } from "./args.js";
import type { Output, View } from "./view.js";

/** The process's standard streams and environment, injectable for tests. */
export interface Io {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

/** Stdout and stderr, writing nothing once closed. */
export interface GuardedOutput {
  stdout: Output;
  stderr: Output;
  /** Whether the reader of stdout went away. */
  readonly stdoutClosed: boolean;
}

/**
 * Guards the streams: a closed stdout aborts `controller` (the demo then stops the run and ends
 * quietly with exit 0, writing nothing more there); a closed stderr (`2>&1 | head`) only stops the
 * messages, the run goes on as long as stdout does.
 *
 * @param io - the process's streams.
 * @param controller - aborted when stdout closes.
 * @example
 * ```ts
 * const output = guardOutput(io, controller);
 * output.stdout.write("hello\n"); // nothing is written once the reader went away
 * ```
 */
export function guardOutput(io: Io, controller: AbortController): GuardedOutput {
  let stdoutClosed = false;
  let stderrClosed = false;
  const stderr = {
    write: (text: string) => (stderrClosed ? true : io.stderr.write(text)),
    get columns() {
      return io.stderr.columns;
    },
  };
  // The listener stays after the run: an EPIPE may still be reported after main returns.
  io.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (stdoutClosed) return;
    stdoutClosed = true;
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") {
      stderr.write(`error: cannot write to stdout: ${error.message}\n`);
    }
    controller.abort(new Error("stdout closed"));
  });
  io.stderr.on("error", () => {
    stderrClosed = true;
  });
  return {
    stdout: {
      write: (text: string) => (stdoutClosed ? true : io.stdout.write(text)),
      get columns() {
        return io.stdout.columns;
      },
    },
    stderr,
    get stdoutClosed() {
      return stdoutClosed;
    },
  };
}

/**
 * Listens for Ctrl-C (SIGINT): the first aborts `controller` (steps in flight are stopped and
 * saved), the second ends the process at once with `EXIT.cancelled`.
 *
 * @param view - told that the run is stopping.
 * @param controller - the run's.
 * @returns a function that stops listening.
 * @example
 * ```ts
 * const stopListening = stopOnCtrlC(view, controller);
 * try { await run(); } finally { stopListening(); }
 * ```
 */
export function stopOnCtrlC(view: View, controller: AbortController): () => void {
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      view.close();
      process.exit(EXIT.cancelled);
    }
    view.warn("stopping… (Ctrl-C again to quit at once)");
    controller.abort(new Error("cancelled with Ctrl-C"));
  };
  process.on("SIGINT", onSigint);
  return () => process.off("SIGINT", onSigint);
}
