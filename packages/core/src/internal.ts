/**
 * `@replan/core/internal`: the plumbing replan's own packages share (errors' markers, abortable
 * waits, step errors, the options checker, a request-body reader). It follows no semver promise:
 * import it only from replan packages; everything a user needs is exported by `@replan/core`.
 *
 * @module
 */

export { sleep, untilAborted } from "./abort.js";
export { readBody } from "./body.js";
export { errorMessage, hasMarker, markError } from "./errors.js";
export type { MarkedClass } from "./marker-check.js";
export { markerMismatches } from "./marker-check.js";
export type { CheckContext, CheckOptionsSettings, Checked, Rule, Shape, ValueOf } from "./options.js";
export { checkOptions, describe, MAX_DELAY_MS, rules } from "./options.js";
export { isRetryable, TOOL_NAME_PATTERN, toStepError, usageOf } from "./step-errors.js";
export { budgetRules } from "./run-config.js";
