/**
 * The forecast of a plan waiting for approval, in one line: `@replan/core`'s `PlanForecast` (what
 * `@replan/langgraph`'s approval requests carry) read defensively, since it comes from the wire.
 *
 * @module
 */
import { cut } from "./dom.js";

/** Whether `value` is an array of strings. */
const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/** Whether `value` is a finite number >= 0. */
const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0;

/**
 * A forecast in words: `Critical path: a → b → c (3 steps) · 5 model calls (at most 26) · about
 * 1,234 more tokens (estimate) · writes: pay`, or, for a forecast of another shape, its JSON cut
 * to 400 characters. Step ids are cut at 20 characters, the path at 8 steps.
 *
 * @param forecast - the request's `forecast`, unchecked.
 */
export function forecastText(forecast: unknown): string {
  const value = (typeof forecast === "object" && forecast !== null ? forecast : {}) as Record<
    string,
    unknown
  >;
  const path = (value.criticalPath ?? {}) as Record<string, unknown>;
  const calls = (value.modelCalls ?? {}) as Record<string, unknown>;
  const tokens = (value.tokens ?? {}) as Record<string, unknown>;
  if (!isStrings(path.steps) || !isCount(path.depth) || !isCount(calls.total) || !isCount(tokens.estimate)) {
    let text: string | undefined;
    try {
      text = JSON.stringify(forecast);
    } catch {
      text = String(forecast);
    }
    return `Forecast: ${cut(text ?? "", 400)}`;
  }
  const ids = path.steps.slice(0, 8).map((id) => cut(id, 20));
  const more = path.steps.length > 8 ? " → …" : "";
  const most = isCount(calls.most) && calls.most !== calls.total ? ` (at most ${calls.most})` : "";
  const parts = [
    `Critical path: ${ids.join(" → ")}${more} (${path.depth} step${path.depth === 1 ? "" : "s"})`,
    `${calls.total} model call${calls.total === 1 ? "" : "s"}${most}`,
    `about ${Math.round(tokens.estimate).toLocaleString("en")} more tokens (estimate)`,
  ];
  if (isStrings(value.writes) && value.writes.length > 0) {
    parts.push(
      `writes: ${value.writes
        .slice(0, 8)
        .map((id) => cut(id, 20))
        .join(", ")}${value.writes.length > 8 ? ", …" : ""}`,
    );
  }
  return parts.join(" · ");
}
