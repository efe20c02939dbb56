/**
 * The `--json` view: every progress event as one JSON object per line on stdout; messages for
 * people go to stderr.
 *
 * @module
 */
import type { View, ViewOptions } from "./view.js";

/**
 * Creates the JSON view.
 *
 * @param options - where events (stdout) and messages (stderr) go.
 * @example
 * ```ts
 * jsonView({ mode: "json", stdout: process.stdout, stderr: process.stderr, color: false, startedAt: Date.now() });
 * ```
 */
export function jsonView({ stdout, stderr }: ViewOptions): View {
  const line = (value: unknown) => stdout.write(`${JSON.stringify(value)}\n`);
  return {
    info: (message) => stderr.write(`${message}\n`),
    warn: (message) => stderr.write(`${message}\n`),
    event: (event) => line(event),
    approval: (plan, error) => line({ type: "approval-request", plan, ...(error ? { error } : {}) }),
    approved: () => {},
    resumed: () => {},
    prompt: (text) => stderr.write(text),
    finish: () => {},
    close: () => {},
  };
}
