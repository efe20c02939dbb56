/**
 * The element's connection to a view server: the run's server-sent events, read into events, and
 * approval answers posted back.
 *
 * @module
 */

/** The state of the connection, shown in the element's banner. */
export type Link = "idle" | "connecting" | "open" | "paused" | "missing" | "lost" | "closed";

/** What {@link followRun} reports to. */
export interface RunFollower {
  /** An event of the stream (anything the server sent as JSON, or a warning for what is not). */
  onEvent(event: unknown): void;
  /** The connection changed: `message` says why, for `missing` and `lost`. */
  onLink(link: Link, message: string): void;
  /** Whether the events so far said that the stream ended (`stream-end`). */
  streamEnded(): boolean;
}

/**
 * Follows the run at `src` (its API URL): asks for the run (404: `missing`), then reads
 * `src/events` until it ends (`closed`), is lost before the run's `stream-end` (`lost`), or
 * `signal` aborts (nothing more is reported).
 */
export async function followRun(src: string, signal: AbortSignal, follower: RunFollower): Promise<void> {
  try {
    const info = await fetch(src, { signal, headers: { accept: "application/json" } });
    if (info.status === 404) {
      const body = (await info.json().catch(() => null)) as { error?: { message?: string } } | null;
      follower.onLink("missing", body?.error?.message ?? "this run does not exist");
      return;
    }
    if (!info.ok) throw new Error(`the server answered ${info.status}`);
    const response = await fetch(`${src}/events`, { signal, headers: { accept: "text/event-stream" } });
    if (!response.ok || !response.body) throw new Error(`the event stream answered ${response.status}`);
    follower.onLink("open", "");
    await readEventStream(response.body, signal, (event) => follower.onEvent(event));
    if (signal.aborted) return;
    if (!follower.streamEnded()) {
      follower.onLink(
        "lost",
        "The connection to the run was lost before it ended: what is shown is its last known state.",
      );
    } else follower.onLink("closed", "");
  } catch (error) {
    if (signal.aborted) return;
    follower.onLink(
      "lost",
      `Cannot follow the run: ${(error as Error)?.message ?? String(error)}. What is shown is its last known state.`,
    );
  }
}

/** Reads server-sent events from `body`, each `data` parsed as JSON, until it ends or `signal` aborts. */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  onEvent: (event: unknown) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || signal.aborted) break;
      buffer += decoder.decode(value, { stream: true });
      let boundary = buffer.indexOf("\n\n");
      while (boundary >= 0) {
        const data = dataOf(buffer.slice(0, boundary));
        buffer = buffer.slice(boundary + 2);
        if (data) onEvent(parsed(data));
        boundary = buffer.indexOf("\n\n");
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** The `data` of one server-sent event block (its `data:` lines joined). */
function dataOf(block: string): string {
  return block
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).replace(/^ /, ""))
    .join("\n");
}

function parsed(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return { type: "view-notice", level: "warning", text: "skipped an event that is not JSON" };
  }
}

/**
 * Posts an approval answer to `src/approval`.
 *
 * @returns "" when the server took it, else the message to show.
 */
export async function postApproval(src: string, answer: unknown): Promise<string> {
  try {
    const response = await fetch(`${src}/approval`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(answer),
    });
    if (response.ok) return "";
    const body = (await response.json().catch(() => null)) as {
      error?: { message?: string; issues?: string[] };
    } | null;
    return `Not accepted: ${body?.error?.message ?? `the server answered ${response.status}`}`;
  } catch (error) {
    return `Could not send the answer: ${(error as Error)?.message ?? String(error)}`;
  }
}
