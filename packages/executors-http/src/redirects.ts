/**
 * One attempt of a call: the request sent, and redirects followed by hand, each hop checked by the
 * policy, with the secret headers of its host and without the caller's credentials across origins.
 *
 * @module
 */

import { type Agent, fetch, type Response } from "undici";
import { HttpToolError } from "./errors.js";
import { crossOriginDropped } from "./headers.js";
import type { NetworkPolicy } from "./policy.js";
import type { PreparedRequest } from "./prepare-request.js";
import { type CompiledSecrets, secretHeadersFor } from "./secrets.js";

const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** What an attempt is sent with. */
export interface AttemptContext {
  policy: NetworkPolicy;
  secrets: CompiledSecrets;
  maxRedirects: number;
  /** The connection pool whose lookup checks every address. */
  agent: Agent;
  signal: AbortSignal;
  /** Set once a response came back (the request reached a server). */
  progress?: { answered: boolean };
}

/** Whether a redirect with `status` turns `method` into a GET without a body (as browsers do). */
function becomesGet(status: number, method: string): boolean {
  return status === 303 ? method !== "HEAD" : (status === 301 || status === 302) && method === "POST";
}

/**
 * Sends `prepared`, following redirects; resolves with the last response, its body unread.
 *
 * @param prepared - the checked request.
 * @param context - the policy, the secrets, the redirect cap, the agent and the signal.
 * @throws {@link HttpToolError} `too-many-redirects`, or the policy's refusal of a `Location`.
 */
export async function sendAttempt(
  prepared: PreparedRequest,
  { policy, secrets, maxRedirects, agent, signal, progress }: AttemptContext,
): Promise<{ response: Response; url: URL; redirects: number }> {
  let { method, url, body } = prepared;
  const headers = new Map(prepared.headers);
  const origin = url.origin;
  for (let redirects = 0; ; redirects++) {
    const sent = new Map(headers);
    for (const [name, value] of secretHeadersFor(secrets, url)) sent.set(name, value);
    const response = await fetch(url, {
      method,
      headers: [...sent],
      body: body ?? null,
      redirect: "manual",
      dispatcher: agent,
      signal,
    });
    if (progress) progress.answered = true;
    const location = response.headers.get("location");
    if (!redirectStatuses.has(response.status) || location === null || maxRedirects === 0) {
      return { response, url, redirects };
    }
    await response.body?.cancel().catch(() => {});
    if (redirects >= maxRedirects) {
      throw new HttpToolError(
        "too-many-redirects",
        `More than ${maxRedirects} redirects (maxRedirects) from ${prepared.url.origin}`,
      );
    }
    url = policy.checkUrl(location, url);
    if (becomesGet(response.status, method)) {
      method = "GET";
      body = undefined;
      headers.delete("content-type");
    }
    if (url.origin !== origin) for (const name of crossOriginDropped) headers.delete(name);
  }
}
