/**
 * Header rules shared by requests and secret headers: valid names and values, the headers the
 * client manages, and those dropped on a cross-origin redirect.
 *
 * @module
 */

/** A header name: an RFC 9110 token. */
const headerName = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/i;

/** Headers the caller may not set: the client manages them, or they would smuggle requests or proxies. */
export const reservedHeaders: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "proxy-authorization",
  "proxy-connection",
]);

/** Headers dropped from the caller's headers when a redirect leaves the origin (as browsers do). */
export const crossOriginDropped: ReadonlySet<string> = new Set(["authorization", "cookie"]);

/**
 * Reads an object of headers into a map with lowercased names. Problems are reported without the
 * header's value (it may be a secret).
 *
 * @param value - `{ name: value }`, or `undefined` (no headers).
 * @param refuse - throws the caller's error for a problem, e.g. `must be an object of header names to strings`.
 */
export function readHeaders(value: unknown, refuse: (problem: string) => never): Map<string, string> {
  const headers = new Map<string, string>();
  if (value === undefined) return headers;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    refuse("must be an object of header names to strings");
  }
  for (const [name, headerValue] of Object.entries(value)) {
    if (!headerName.test(name)) refuse(`has "${name}", which is not a valid header name`);
    if (typeof headerValue !== "string" || /[\r\n\0]/.test(headerValue)) {
      refuse(`must give "${name}" a string value without line breaks`);
    }
    headers.set(name.toLowerCase(), headerValue);
  }
  return headers;
}
