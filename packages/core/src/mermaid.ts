/**
 * Mermaid diagrams of a plan and its statuses.
 *
 * @module
 */
import type { Plan, StepStatus } from "./schemas.js";

const STATUS_STYLE: Record<StepStatus, string> = {
  pending: "fill:#f5f5f5,stroke:#9e9e9e,color:#424242",
  running: "fill:#e3f2fd,stroke:#1e88e5,color:#0d47a1",
  done: "fill:#e8f5e9,stroke:#43a047,color:#1b5e20",
  failed: "fill:#ffebee,stroke:#e53935,color:#b71c1c",
  skipped: "fill:#fafafa,stroke:#bdbdbd,color:#757575,stroke-dasharray:4 2",
  cancelled: "fill:#fff8e1,stroke:#fb8c00,color:#e65100",
};

const STATUS_ICON: Record<StepStatus, string> = {
  pending: "○",
  running: "◐",
  done: "✔",
  failed: "✖",
  skipped: "↷",
  cancelled: "■",
};

/** Options of {@link toMermaid}. */
export interface MermaidOptions {
  /**
   * Layout direction.
   * @default "TD"
   */
  direction?: "TD" | "LR";
  /**
   * Longest description shown in a node; longer ones are cut with an ellipsis.
   * @default 60
   */
  maxLabelLength?: number;
}

/**
 * A Mermaid flowchart of a plan: one node per step (id, description, status), an edge per
 * dependency, one colour per status.
 *
 * @param plan - the plan, e.g. `result.plan`.
 * @param options - direction and label length.
 * @returns the diagram source (no surrounding fence).
 * @example
 * ```ts
 * console.log("```mermaid\n" + toMermaid(result.plan) + "\n```");
 * ```
 */
export function toMermaid(plan: Plan, options: MermaidOptions = {}): string {
  const { direction = "TD", maxLabelLength = 60 } = options;
  const lines = [`flowchart ${direction}`];
  const node = (id: string) => `step_${id.replace(/-/g, "_")}`;
  for (const step of plan.steps) {
    const what = step.kind === "tool" ? `${step.tool}: ${step.description}` : step.description;
    const label = `${STATUS_ICON[step.status]} ${step.id}: ${truncate(what, maxLabelLength)}<br/><i>${step.status}</i>`;
    lines.push(`  ${node(step.id)}["${escapeLabel(label)}"]:::${step.status}`);
  }
  for (const step of plan.steps) {
    for (const dependency of step.dependsOn) lines.push(`  ${node(dependency)} --> ${node(step.id)}`);
  }
  const used = new Set(plan.steps.map((step) => step.status));
  for (const status of Object.keys(STATUS_STYLE) as StepStatus[]) {
    if (used.has(status)) lines.push(`  classDef ${status} ${STATUS_STYLE[status]}`);
  }
  return lines.join("\n");
}

function truncate(text: string, length: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, Math.max(1, length - 1))}…` : flat;
}

/** Mermaid labels in quotes take HTML entities; quotes and angle brackets must be escaped. */
function escapeLabel(text: string): string {
  return text
    .replace(/"/g, "#quot;")
    .replace(/<(?!\/?(br|i)\/?>)/g, "#lt;")
    .replace(/(?<!<\/?(br|i)\/?)>/g, "#gt;");
}
