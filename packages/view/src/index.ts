export type { ApprovalAnswer, ApprovalCheck } from "./approval.js";
export { readApprovalAnswer } from "./approval.js";
export { viewDefaults } from "./defaults.js";
export type { ViewErrorCode } from "./errors.js";
export { ViewError } from "./errors.js";
export type {
  ViewApprovalRequest,
  ViewEvent,
  ViewModel,
  ViewNotice,
  ViewReplanReason,
  ViewRevision,
  ViewStep,
} from "./model.js";
export { applyEvent, applyEvents, emptyModel, isFinalStatus } from "./model.js";
export type { RunFeed, RunFeedOptions, ViewServer, ViewServerOptions } from "./server.js";
export { startViewServer } from "./server.js";
