/**
 * Where each step goes (dagre, left to right) and which steps make the critical path.
 *
 * @module
 */
import dagre from "@dagrejs/dagre";
import type { ViewStep } from "./model.js";

/** Size of a step's box, in CSS pixels. */
export const NODE_WIDTH = 232;
export const NODE_HEIGHT = 76;

/** The position of every step and the route of every dependency edge. */
export interface Layout {
  width: number;
  height: number;
  /** Top-left corner of each step's box, by id. */
  nodes: Map<string, { x: number; y: number }>;
  /** One polyline per dependency (`from` must be done before `to`). */
  edges: Array<{ from: string; to: string; points: Array<{ x: number; y: number }> }>;
}

/**
 * Lays a plan out left to right with dagre. Dependencies on unknown ids are left out.
 *
 * @param steps - the steps of one revision.
 */
export function layoutPlan(steps: readonly Pick<ViewStep, "id" | "dependsOn">[]): Layout {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 56, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(steps.map((step) => step.id));
  for (const step of steps) graph.setNode(step.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const step of steps) {
    for (const dependency of step.dependsOn) {
      if (ids.has(dependency) && dependency !== step.id) graph.setEdge(dependency, step.id);
    }
  }
  dagre.layout(graph);
  const nodes = new Map<string, { x: number; y: number }>();
  for (const id of graph.nodes()) {
    const node = graph.node(id);
    nodes.set(id, { x: node.x - NODE_WIDTH / 2, y: node.y - NODE_HEIGHT / 2 });
  }
  const edges = graph.edges().map((edge) => ({
    from: edge.v,
    to: edge.w,
    points: (graph.edge(edge).points ?? []).map((point: { x: number; y: number }) => ({
      x: point.x,
      y: point.y,
    })),
  }));
  const label = graph.graph();
  return { width: Math.ceil(label.width ?? 0), height: Math.ceil(label.height ?? 0), nodes, edges };
}

/**
 * The critical path: the chain of dependencies with the longest total duration, the one that
 * decides when the run can end. A step weighs its measured duration (a running one, the time so
 * far); a step not started yet weighs the median of the measured ones (1 when none is).
 *
 * @param steps - the steps of one revision.
 * @param now - the current time (ms since the epoch), for running steps.
 * @returns the ids on the path, from first to last (empty for an empty plan or a cycle).
 */
export function criticalPath(steps: readonly ViewStep[], now: number): string[] {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const measured = steps
    .map((step) => duration(step, now))
    .filter((value): value is number => value !== undefined)
    .sort((a, b) => a - b);
  const typical = measured.length > 0 ? measured[Math.floor(measured.length / 2)]! : 1;
  const weight = (step: ViewStep) => Math.max(duration(step, now) ?? typical, 0.001);
  // Kahn's order; a cycle (never valid, but the feed is not trusted) leaves steps out.
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const step of steps) {
    const dependencies = step.dependsOn.filter((id) => byId.has(id) && id !== step.id);
    indegree.set(step.id, new Set(dependencies).size);
    for (const dependency of new Set(dependencies)) {
      dependents.set(dependency, [...(dependents.get(dependency) ?? []), step.id]);
    }
  }
  const queue = steps.filter((step) => indegree.get(step.id) === 0).map((step) => step.id);
  const finish = new Map<string, number>();
  const via = new Map<string, string>();
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    const step = byId.get(id)!;
    let start = 0;
    for (const dependency of step.dependsOn) {
      const end = finish.get(dependency);
      if (end !== undefined && end > start) {
        start = end;
        via.set(id, dependency);
      }
    }
    finish.set(id, start + weight(step));
    for (const dependent of dependents.get(id) ?? []) {
      const left = indegree.get(dependent)! - 1;
      indegree.set(dependent, left);
      if (left === 0) queue.push(dependent);
    }
  }
  let last: string | undefined;
  for (const [id, end] of finish) if (last === undefined || end > finish.get(last)!) last = id;
  const path: string[] = [];
  for (let id = last; id !== undefined && path.length <= steps.length; id = via.get(id)) path.push(id);
  return path.reverse();
}

function duration(step: ViewStep, now: number): number | undefined {
  if (step.startedAt === undefined) return undefined;
  if (step.endedAt !== undefined) return step.endedAt - step.startedAt;
  return step.status === "running" ? now - step.startedAt : undefined;
}
