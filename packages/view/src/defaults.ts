/**
 * The defaults of every option of `@replan/view`, in one frozen object that the code reads them
 * from.
 *
 * @module
 */

/**
 * The defaults of `@replan/view`'s options: `startViewServer` (`port`, `host`,
 * `slowClientTimeoutMs`), `serveThread` (`maxRounds`) and `defineReplanPlanView` (`elementName`).
 *
 * @example
 * ```ts
 * import { startViewServer, viewDefaults } from "@replan/view";
 *
 * const server = await startViewServer({ slowClientTimeoutMs: viewDefaults.slowClientTimeoutMs * 2 });
 * await server.close();
 * ```
 */
export const viewDefaults = Object.freeze({
  /** `startViewServer`: the port (0 picks a free one). */
  port: 0,
  /** `startViewServer`: the interface listened on (loopback only). */
  host: "127.0.0.1",
  /** `startViewServer`: how long a page may leave its event stream unread before it is cut, in ms. */
  slowClientTimeoutMs: 30_000,
  /** `serveThread`: the most approval rounds followed. */
  maxRounds: 20,
  /** `defineReplanPlanView`: the element's tag name. */
  elementName: "replan-plan-view",
} as const);
