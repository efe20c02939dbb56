/**
 * Reading a request body with a size limit, for the small HTTP servers of replan's packages.
 *
 * @module
 */

import { untilAborted } from "./abort.js";

/**
 * Reads a byte stream (a `node:http` request, a web `ReadableStream`) to its end as UTF-8 text,
 * keeping at most `limitBytes`. A larger body is read to its end and dropped (so that the server
 * can still answer 413 on the same connection) and `undefined` is returned.
 *
 * @param stream - the body.
 * @param options - `limitBytes`, and a `signal` that gives up the read (rejects with its reason).
 * @returns the text, or `undefined` when the body was larger than `limitBytes`.
 * @example
 * ```ts
 * const text = await readBody(request, { limitBytes: 1_000_000 });
 * if (text === undefined) return send(response, 413, { error: "too large" });
 * ```
 */
export async function readBody(
  stream: AsyncIterable<Uint8Array | string>,
  options: { limitBytes: number; signal?: AbortSignal },
): Promise<string | undefined> {
  const read = async () => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const encoder = new TextEncoder();
    for await (const chunk of stream) {
      const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
      size += bytes.byteLength;
      if (size <= options.limitBytes) chunks.push(bytes);
      else chunks.length = 0;
    }
    if (size > options.limitBytes) return undefined;
    const all = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      all.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return new TextDecoder().decode(all);
  };
  return options.signal ? untilAborted(read(), options.signal) : read();
}
