/**
 * Secret headers: added by the tool per host, never shown to the model, their values redacted from
 * everything it reads.
 *
 * @module
 */

import type { Rule } from "@replan/core/internal";
import { HttpToolError } from "./errors.js";
import { readHeaders, reservedHeaders } from "./headers.js";
import type { HttpRequestOptions, SecretHeaderRule } from "./options.js";
import { HostPattern, normalizeHost } from "./policy.js";

/** The `secretHeaders` option, compiled. */
export interface CompiledSecrets {
  /** The rules; `hosts: undefined` applies to every host. */
  rules: { hosts: HostPattern[] | undefined; headers: Map<string, string> }[];
  /** Every secret header's name, lowercased: the caller's headers of these names are dropped. */
  names: ReadonlySet<string>;
  /** Replaces every secret value (longest first) with `[redacted]`. */
  redact: (text: string) => string;
}

function refuser(option: string): (problem: string) => never {
  return (problem) => {
    throw new HttpToolError("invalid-options", `Option "${option}" ${problem}`);
  };
}

function readRule(rule: unknown, index: number): CompiledSecrets["rules"][number] {
  const option = `secretHeaders[${index}]`;
  if (typeof rule !== "object" || rule === null || !Array.isArray((rule as SecretHeaderRule).hosts)) {
    refuser(option)("must be { hosts: string[], headers: {...} }");
  }
  const { hosts, headers } = rule as SecretHeaderRule;
  for (const key of Object.keys(rule as object)) {
    if (key === "hosts" || key === "headers") continue;
    const hint = key.toLowerCase().startsWith("header") ? ' (did you mean "headers"?)' : "";
    refuser(`${option}.${key}`)(`must be one of the fields of a secret header rule: hosts, headers${hint}`);
  }
  if (headers === undefined) refuser(`${option}.headers`)("is required: the headers to send to these hosts");
  return {
    hosts: hosts.map((host, at) => {
      const pattern = typeof host === "string" ? HostPattern.tryParse(host) : undefined;
      return pattern ?? refuser(`${option}.hosts[${at}]`)('must be a host name or a "*.example.com" pattern');
    }),
    headers: readHeaders(headers, refuser(`${option}.headers`)),
  };
}

function redactor(values: readonly string[]): (text: string) => string {
  if (values.length === 0) return (text) => text;
  return (text) => values.reduce((result, value) => result.split(value).join("[redacted]"), text);
}

/**
 * The rule of the `secretHeaders` option: {@link compileSecrets} checks it, with messages that
 * name the option and never show a header's value (nor the option's, which may be a token given by
 * mistake).
 */
export const secretHeadersRule: Rule<HttpRequestOptions["secretHeaders"]> = {
  must: "be { name: value } headers or a list of { hosts, headers } rules",
  required: false,
  check(value) {
    compileSecrets(value);
    return value as HttpRequestOptions["secretHeaders"];
  },
};

/**
 * Checks and compiles the `secretHeaders` option; messages name the option, never a value.
 *
 * @param secretHeaders - `{ name: value }` for every host, or rules per host.
 */
export function compileSecrets(secretHeaders: unknown): CompiledSecrets {
  const rules = Array.isArray(secretHeaders)
    ? secretHeaders.map(readRule)
    : [{ hosts: undefined, headers: readHeaders(secretHeaders, refuser("secretHeaders")) }];
  const names = new Set<string>();
  const values = new Set<string>();
  for (const rule of rules) {
    for (const [name, value] of rule.headers) {
      if (reservedHeaders.has(name) && name !== "proxy-authorization") {
        refuser("secretHeaders")(`may not set "${name}": the HTTP client manages it`);
      }
      names.add(name);
      if (value.length > 0) values.add(value);
      // A bearer token also appears without its scheme; redact the token alone too.
      const token = /^\S+\s+(\S{6,})$/.exec(value)?.[1];
      if (token) values.add(token);
    }
  }
  // Longest first, so that a value containing another is redacted whole.
  return { rules, names, redact: redactor([...values].sort((a, b) => b.length - a.length)) };
}

/**
 * The secret headers sent to `url`'s host.
 *
 * @param secrets - the compiled option.
 * @param url - the URL of this hop.
 */
export function secretHeadersFor(secrets: CompiledSecrets, url: URL): Map<string, string> {
  const host = normalizeHost(url.hostname);
  const headers = new Map<string, string>();
  for (const rule of secrets.rules) {
    if (rule.hosts && !rule.hosts.some((pattern) => pattern.matches(host))) continue;
    for (const [name, value] of rule.headers) headers.set(name, value);
  }
  return headers;
}
