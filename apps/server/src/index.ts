export type { RunConfigurable, RunOptions, ServerEnvironment, ToolName } from "./config.js";
export {
  DEFAULT_MODEL,
  enabledTools,
  RunConfigurableSchema,
  resolveRunOptions,
  TOOL_NAMES,
} from "./config.js";
export type { ServerErrorCode } from "./errors.js";
export { ServerConfigError } from "./errors.js";
export { createServerGraph, GRAPH_NAME, graph } from "./graph.js";
export { DEFAULT_HTTP_METHODS, serverTools } from "./tools.js";
