/**
 * Small DOM and text helpers of the element: building elements (text is always set as text),
 * durations, cut text, bounded JSON.
 *
 * @module
 */

/** Attributes of {@link h}: `on*` functions become listeners, `false`/`undefined` are left out. */
export type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** A child of {@link h}: nodes and text; `null`, `undefined` and `false` are left out. */
export type Child = Node | string | null | undefined | false;

/** The SVG namespace. */
export const SVG = "http://www.w3.org/2000/svg";

/** Longest JSON shown, in characters. */
const MAX_JSON_CHARS = 20_000;

/** Builds an element; text is always set as text (never parsed as HTML). */
export function h(tag: string, attributes: Attributes = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === "class") element.className = String(value);
    else if (name === "value") (element as HTMLInputElement).value = String(value);
    else if (name === "checked") (element as HTMLInputElement).checked = Boolean(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/**
 * Formats a duration: `340ms`, `1.2s`, `1m 05s`.
 *
 * @param ms - the duration in ms; "–" when negative or not finite.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m ${String(Math.floor((ms % 60_000) / 1000)).padStart(2, "0")}s`;
}

/** `text`, cut to `length` characters with an ellipsis. */
export function cut(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** `value` as indented JSON (its `String` when not serializable), cut past 20,000 characters. */
export function json(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_JSON_CHARS
    ? `${text.slice(0, MAX_JSON_CHARS)}\n… (${text.length} characters in all)`
    : text;
}
