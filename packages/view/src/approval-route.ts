/**
 * `POST /api/runs/<id>/approval`: an answer from the page, checked (content type, origin, size,
 * JSON, a pending request, a valid answer) and handed to the run's `onApproval`.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "@replan/core/internal";
import { readApprovalAnswer } from "./approval.js";
import type { HostCheck } from "./host-check.js";
import { sendError, sendJson } from "./http-replies.js";
import type { RunEntry } from "./run-feed.js";

/** Largest answer read, in bytes. */
const MAX_BODY_BYTES = 1_000_000;

/** Takes an approval answer for `entry` and replies (202 when `onApproval` took it). */
export async function answerApproval(
  entry: RunEntry,
  request: IncomingMessage,
  response: ServerResponse,
  hosts: HostCheck,
): Promise<void> {
  // A JSON content type makes a cross-site form post impossible (it needs a CORS preflight,
  // which this server never grants).
  if (!/^application\/json\b/i.test(request.headers["content-type"] ?? "")) {
    sendError(response, 415, "bad-content-type", "send JSON (application/json)");
    return;
  }
  if (!hosts.allowedOrigin(request.headers.origin)) {
    sendError(response, 403, "bad-origin", "answers come from the view's own page");
    return;
  }
  const body = await readJson(request, response);
  if (body === undefined) return;
  if (!entry.feed.model().approval || entry.answering) {
    sendError(
      response,
      409,
      "no-approval-pending",
      "the run is not waiting for an approval (answered already?)",
    );
    return;
  }
  const check = readApprovalAnswer(
    body.value,
    entry.options.maxSteps === undefined ? {} : { maxSteps: entry.options.maxSteps },
  );
  if (!check.ok) {
    sendError(response, 422, "invalid-answer", check.error, { issues: check.issues ?? [] });
    return;
  }
  if (!entry.options.onApproval) {
    sendError(response, 501, "no-approval-handler", "this run takes no answers here");
    return;
  }
  entry.answering = true;
  try {
    await entry.options.onApproval(check.answer);
  } catch (error) {
    entry.answering = false;
    sendError(response, 500, "approval-failed", (error as Error)?.message ?? String(error));
    return;
  }
  entry.answering = false;
  entry.feed.publish({
    type: "approval-answered",
    at: Date.now(),
    action: check.answer.action,
    ...(check.answer.action === "reject" && check.answer.reason ? { reason: check.answer.reason } : {}),
  });
  sendJson(response, 202, { ok: true, action: check.answer.action });
}

/** The request's JSON body, or `undefined` after replying 413 (too large) or 400 (not JSON). */
async function readJson(
  request: IncomingMessage,
  response: ServerResponse,
): Promise<{ value: unknown } | undefined> {
  const text = await readBody(request, { limitBytes: MAX_BODY_BYTES });
  if (text === undefined) {
    response.setHeader("connection", "close");
    sendError(response, 413, "too-large", `the answer is larger than ${MAX_BODY_BYTES} bytes`);
    return undefined;
  }
  try {
    return { value: JSON.parse(text) };
  } catch {
    sendError(response, 400, "bad-json", "the answer is not JSON");
    return undefined;
  }
}
