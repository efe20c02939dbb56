/**
 * The tools the served graph offers, configured by the server's environment only: a run can
 * choose a subset of them, never widen what they may reach.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { createHttpTool, type HttpMethod, httpMethods } from "@replan/executors-http";
import { createShellTool } from "@replan/executors-shell";
import { listEnv, optionalEnv, type ServerEnvironment, type ToolName } from "./config.js";
import { ServerConfigError } from "./errors.js";

/** Methods the HTTP tool may send when `REPLAN_HTTP_METHODS` is not set: reading only. */
export const DEFAULT_HTTP_METHODS: readonly HttpMethod[] = ["GET", "HEAD"];

const cache = new Map<string, StructuredToolInterface>();

/**
 * Builds (once per configuration) the named tools from the environment.
 *
 * - `shell` (`@replan/executors-shell`, default read-only programs): confined to `REPLAN_WORKSPACE`
 *   (required; relative to the server's working directory), `REPLAN_SHELL_TIMEOUT_MS` (default 30000),
 *   each command inside the tool's kernel sandbox (bubblewrap) unless `REPLAN_SHELL_SANDBOX=false`
 *   (weaker: the argument rules alone then confine it). Where the sandbox cannot start, shell
 *   commands are refused with `sandbox-unavailable`, which the model reads as the tool's answer.
 * - `http_request` (`@replan/executors-http`): private, loopback and metadata addresses refused;
 *   `REPLAN_HTTP_METHODS` (default `GET,HEAD`), `REPLAN_HTTP_ALLOWED_HOSTS` (default any public host),
 *   `REPLAN_HTTP_DENIED_HOSTS`, `REPLAN_HTTP_TIMEOUT_MS` (default 30000).
 *
 * @param names - the tools to build, in order.
 * @param env - the environment. @default process.env
 * @throws ServerConfigError naming the variable that is missing or invalid.
 * @example
 * ```ts
 * const [shell] = serverTools(["shell"], { REPLAN_WORKSPACE: "/srv/workspace" });
 * ```
 */
export function serverTools(
  names: readonly ToolName[],
  env: ServerEnvironment = process.env,
): StructuredToolInterface[] {
  return names.map((name) => {
    const settings = name === "shell" ? shellSettings(env) : httpSettings(env);
    const key = `${name}:${JSON.stringify(settings)}`;
    let tool = cache.get(key);
    if (!tool) {
      tool =
        name === "shell"
          ? createShellTool(settings as ReturnType<typeof shellSettings>)
          : createHttpTool(settings as ReturnType<typeof httpSettings>);
      cache.set(key, tool);
    }
    return tool;
  });
}

function shellSettings(env: ServerEnvironment) {
  const workspace = optionalEnv(env, "REPLAN_WORKSPACE");
  if (workspace === undefined)
    throw new ServerConfigError(
      "REPLAN_WORKSPACE must name the directory the shell tool is confined to (or leave shell out of REPLAN_TOOLS)",
    );
  return {
    root: isAbsolute(workspace) ? workspace : resolve(process.cwd(), workspace),
    timeoutMs: positiveInteger(env, "REPLAN_SHELL_TIMEOUT_MS") ?? 30_000,
    sandbox: booleanEnv(env, "REPLAN_SHELL_SANDBOX") ?? true,
  };
}

function booleanEnv(env: ServerEnvironment, name: string): boolean | undefined {
  const raw = optionalEnv(env, name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (["true", "1", "on", "yes"].includes(raw)) return true;
  if (["false", "0", "off", "no"].includes(raw)) return false;
  throw new ServerConfigError(`${name} must be true or false, not "${env[name]}"`);
}

function httpSettings(env: ServerEnvironment) {
  const methods = listEnv(env, "REPLAN_HTTP_METHODS").map((method) => method.toUpperCase());
  const unknown = methods.filter((method) => !(httpMethods as readonly string[]).includes(method));
  if (unknown.length > 0)
    throw new ServerConfigError(`REPLAN_HTTP_METHODS: unknown method ${unknown.join(", ")}`);
  const allowedHosts = listEnv(env, "REPLAN_HTTP_ALLOWED_HOSTS");
  const deniedHosts = listEnv(env, "REPLAN_HTTP_DENIED_HOSTS");
  return {
    methods: methods.length > 0 ? (methods as HttpMethod[]) : [...DEFAULT_HTTP_METHODS],
    ...(allowedHosts.length > 0 ? { allowedHosts } : {}),
    ...(deniedHosts.length > 0 ? { deniedHosts } : {}),
    timeoutMs: positiveInteger(env, "REPLAN_HTTP_TIMEOUT_MS") ?? 30_000,
  };
}

function positiveInteger(env: ServerEnvironment, name: string): number | undefined {
  const raw = optionalEnv(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new ServerConfigError(`${name} must be a positive integer (ms), not "${raw}"`);
  return value;
}
