export type { CoreErrorCode, PlanIssue } from "./errors.js";
export { errorMessage, hasMarker, IllegalTransitionError, markError, PlanValidationError, ReplanError } from "./errors.js";
