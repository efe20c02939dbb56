/**
 * The plan as a DAG: a box per step (status, kind, what the revision did to it) and an arrow per
 * dependency, the critical path in orange, and the legend.
 *
 * @module
 */
import { formatDuration, h, SVG } from "./dom.js";
import { criticalPath, type Layout, layoutPlan, NODE_HEIGHT, NODE_WIDTH } from "./layout.js";
import type { ViewRevision, ViewStep } from "./model.js";
import type { ViewContext } from "./view-context.js";

const LEGEND = [
  ["pending", "#94a3b8"],
  ["running", "#1d4ed8"],
  ["done", "#15803d"],
  ["failed", "#b91c1c"],
  ["cancelled", "#a16207"],
  ["skipped", "#cbd5e1"],
  ["critical path", "#ea580c"],
] as const;

/** A layout function that lays out again only when the steps' ids or dependencies change. */
export function cachedLayout(): (steps: ViewStep[]) => Layout {
  let cache: { key: string; layout: Layout } | undefined;
  return (steps) => {
    const key = JSON.stringify(steps.map((step) => [step.id, step.dependsOn]));
    if (cache?.key !== key) cache = { key, layout: layoutPlan(steps) };
    return cache.layout;
  };
}

/** A step's status line: `running 1.2s`, `done in 340ms`, `failed: code`, with the attempt. */
export function statusText(step: ViewStep, now: number): string {
  const attempt = step.attempts > 1 ? ` · attempt ${step.attempts}` : "";
  switch (step.status) {
    case "running":
      return `running ${step.startedAt !== undefined ? formatDuration(now - step.startedAt) : ""}${attempt}`;
    case "done":
      return `done${step.startedAt !== undefined && step.endedAt !== undefined ? ` in ${formatDuration(step.endedAt - step.startedAt)}` : ""}${attempt}`;
    case "failed":
      return `failed: ${step.error?.code ?? "error"}${attempt}`;
    default:
      return step.status;
  }
}

/** The graph of the shown revision's steps (or why there is none), with its legend. */
export function renderGraph(
  context: ViewContext,
  revision: ViewRevision | undefined,
  steps: ViewStep[],
  latest: boolean,
): HTMLElement {
  const container = h("div", { class: "graph", part: "graph" });
  if (!revision || steps.length === 0) {
    const { link, model } = context;
    const text =
      link === "missing"
        ? "No run to show."
        : model.status === "planning" || model.status === "connecting"
          ? "Waiting for the plan…"
          : "The plan has no steps.";
    container.append(h("div", { class: "empty" }, text));
    return container;
  }
  const layout = context.layout(steps);
  const now = context.now();
  const critical = criticalPath(steps, now);
  const canvas = h("div", { class: "canvas", style: `width:${layout.width}px;height:${layout.height}px` });
  canvas.append(edges(layout, critical));
  const tags = tagger(context, revision, latest);
  const criticalIds = new Set(critical);
  for (const step of steps) {
    const position = layout.nodes.get(step.id);
    if (!position) continue;
    canvas.append(stepNode(context, step, position, criticalIds.has(step.id), tags(step.id), now));
  }
  container.append(canvas);
  container.append(
    h(
      "div",
      { class: "legend" },
      ...LEGEND.map(([name, color]) => h("span", { style: `--c:${color}` }, name)),
    ),
  );
  return container;
}

/** The dependency arrows, those on the critical path (given in order) marked. */
function edges(layout: Layout, critical: string[]): SVGSVGElement {
  const criticalEdges = new Set(critical.slice(1).map((id, index) => `${critical[index]}>${id}`));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", String(layout.width));
  svg.setAttribute("height", String(layout.height));
  const defs = document.createElementNS(SVG, "defs");
  defs.append(arrowHead("arrow", "#b6bfcc"), arrowHead("arrow-critical", "#ea580c"));
  svg.append(defs);
  for (const edge of layout.edges) {
    if (edge.points.length === 0) continue;
    const path = document.createElementNS(SVG, "path");
    const [first, ...rest] = edge.points;
    path.setAttribute(
      "d",
      `M ${first!.x} ${first!.y} ${rest.map((point) => `L ${point.x} ${point.y}`).join(" ")}`,
    );
    const isCritical = criticalEdges.has(`${edge.from}>${edge.to}`);
    path.setAttribute("class", isCritical ? "edge critical" : "edge");
    path.setAttribute("marker-end", `url(#${isCritical ? "arrow-critical" : "arrow"})`);
    path.dataset.edge = `${edge.from}>${edge.to}`;
    svg.append(path);
  }
  return svg;
}

function arrowHead(name: string, color: string): SVGMarkerElement {
  const marker = document.createElementNS(SVG, "marker");
  marker.setAttribute("id", name);
  marker.setAttribute("viewBox", "0 0 10 10");
  marker.setAttribute("refX", "9");
  marker.setAttribute("refY", "5");
  marker.setAttribute("markerUnits", "userSpaceOnUse");
  marker.setAttribute("markerWidth", "9");
  marker.setAttribute("markerHeight", "9");
  marker.setAttribute("orient", "auto-start-reverse");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M 0 0 L 10 5 L 0 10 z");
  path.setAttribute("fill", color);
  marker.append(path);
  return marker;
}

interface Tags {
  elements: HTMLElement[];
  /** Dropped by the next revision: drawn faded. */
  gone: boolean;
}

/** What a step's box says about it: edited, added, replaced, kept, removed by the next revision. */
function tagger(context: ViewContext, revision: ViewRevision, latest: boolean): (id: string) => Tags {
  const next = context.model.revisions.find((candidate) => candidate.revision === revision.revision + 1);
  const removedLater = new Set(next?.removed ?? []);
  const added = new Set(revision.revision > 0 ? revision.added : []);
  const kept = new Set(revision.kept);
  const replaced = new Set(revision.replaced);
  return (id) => {
    const elements: HTMLElement[] = [];
    if (context.draft.has(id) && latest) elements.push(h("span", { class: "tag edited" }, "edited"));
    if (added.has(id)) elements.push(h("span", { class: "tag added" }, "added"));
    if (replaced.has(id)) elements.push(h("span", { class: "tag added" }, "replaced"));
    if (kept.has(id) && revision.revision > 0) elements.push(h("span", { class: "tag kept" }, "kept"));
    if (removedLater.has(id))
      elements.push(h("span", { class: "tag removed" }, `removed in ${revision.revision + 1}`));
    return { elements, gone: removedLater.has(id) };
  };
}

/** A step's box: id, kind, description, status line and tags; a click selects it. */
function stepNode(
  context: ViewContext,
  step: ViewStep,
  position: { x: number; y: number },
  critical: boolean,
  tags: Tags,
  now: number,
): HTMLElement {
  const classes = ["node", step.status];
  if (critical) classes.push("critical");
  if (step.id === context.selected) classes.push("selected");
  if (tags.gone) classes.push("gone");
  const kind = `${step.kind === "tool" ? `tool · ${step.tool ?? "?"}` : "agent"}${typeof step.effect === "string" ? ` · ${step.effect}` : ""}`;
  return h(
    "div",
    {
      class: classes.join(" "),
      style: `left:${position.x}px;top:${position.y}px;width:${NODE_WIDTH}px;height:${NODE_HEIGHT}px`,
      "data-step": step.id,
      "data-status": step.status,
      "data-critical": critical ? "true" : undefined,
      role: "button",
      tabindex: 0,
      title: step.description,
      onclick: () => context.actions.select(step.id),
      onkeydown: (event: Event) => {
        if ((event as KeyboardEvent).key === "Enter") context.actions.select(step.id);
      },
    },
    h("div", { class: "top" }, h("span", { class: "id" }, step.id), h("span", { class: "kind" }, kind)),
    h("div", { class: "desc" }, step.description || " "),
    h("div", { class: "state", "data-state": "" }, statusText(step, now), ...tags.elements),
  );
}
