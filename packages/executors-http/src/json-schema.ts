/**
 * The JSON Schemas of an OpenAPI document (3.0 or 3.1 flavour) as zod schemas, local `$ref`s
 * (`#/components/...`) resolved; recursion stops at `unknown`.
 *
 * @module
 */

import { z } from "zod";
import { HttpToolError } from "./errors.js";

/** A JSON object of the document. */
export type Json = Record<string, unknown>;
/** Whether `value` is a JSON object (not an array, not null). */
export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Throws `invalid-openapi` with `message`. */
export function fail(message: string): never {
  throw new HttpToolError("invalid-openapi", message);
}

/** Resolves local `$ref`s (`#/components/...`) of one document. */
export class RefResolver {
  constructor(private readonly document: Json) {}

  /** Follows `$ref` chains; returns the target and the refs followed. */
  deref(
    value: unknown,
    seen: ReadonlySet<string> = new Set(),
  ): { value: unknown; seen: ReadonlySet<string> } {
    let current = value;
    const followed = new Set(seen);
    while (isObject(current) && typeof current.$ref === "string") {
      const ref = current.$ref;
      if (followed.has(ref)) return { value: undefined, seen: followed };
      followed.add(ref);
      current = this.pointer(ref);
    }
    return { value: current, seen: followed };
  }

  private pointer(ref: string): unknown {
    if (!ref.startsWith("#/")) fail(`Only local $refs ("#/...") are supported, got "${ref}"`);
    let current: unknown = this.document;
    for (const raw of ref.slice(2).split("/")) {
      const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
      if (!isObject(current) && !Array.isArray(current)) fail(`$ref "${ref}" does not resolve`);
      current = (current as Json)[key];
      if (current === undefined) fail(`$ref "${ref}" does not resolve`);
    }
    return current;
  }

  /** Converts a JSON Schema (OpenAPI 3.0 or 3.1 flavour) to zod; recursive refs become `unknown`. */
  toZod(schema: unknown, seen: ReadonlySet<string> = new Set()): z.ZodType {
    const resolved = this.deref(schema, seen);
    if (resolved.value === undefined && isObject(schema) && typeof schema.$ref === "string") {
      return z.unknown().describe(`(recursive ${schema.$ref})`);
    }
    const node = resolved.value;
    if (!isObject(node)) return z.unknown();
    let result = this.convert(node, resolved.seen);
    const types = Array.isArray(node.type) ? node.type : [node.type];
    if (node.nullable === true || types.includes("null")) result = result.nullable();
    if (typeof node.description === "string" && node.description !== "")
      result = result.describe(node.description);
    return result;
  }

  private convert(node: Json, seen: ReadonlySet<string>): z.ZodType {
    if (Array.isArray(node.allOf)) return this.allOf(node, seen);
    for (const key of ["oneOf", "anyOf"] as const) {
      const options = node[key];
      if (Array.isArray(options) && options.length > 0) {
        const members = options.map((option) => this.toZod(option, seen));
        return members.length === 1
          ? members[0]!
          : z.union(members as [z.ZodType, z.ZodType, ...z.ZodType[]]);
      }
    }
    if (Array.isArray(node.enum) && node.enum.length > 0) {
      const values = node.enum.filter((value) => value !== null);
      if (values.every((value) => typeof value === "string")) return z.enum(values as [string, ...string[]]);
      const literals = values.map((value) => z.literal(value as string | number | boolean));
      return literals.length === 1
        ? literals[0]!
        : z.union(literals as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
    }
    const type = Array.isArray(node.type) ? node.type.find((entry) => entry !== "null") : node.type;
    switch (type) {
      case "string": {
        let result = z.string();
        if (typeof node.minLength === "number") result = result.min(node.minLength);
        if (typeof node.maxLength === "number") result = result.max(node.maxLength);
        return result;
      }
      case "integer":
      case "number": {
        let result = type === "integer" ? z.number().int() : z.number();
        if (typeof node.minimum === "number") result = result.min(node.minimum);
        if (typeof node.maximum === "number") result = result.max(node.maximum);
        return result;
      }
      case "boolean":
        return z.boolean();
      case "array":
        return z.array(this.toZod(node.items, seen));
      default:
        if (type === "object" || isObject(node.properties)) return this.object(node, seen);
        return z.unknown();
    }
  }

  private object(node: Json, seen: ReadonlySet<string>): z.ZodType {
    const properties = isObject(node.properties) ? node.properties : {};
    const required = new Set(Array.isArray(node.required) ? node.required : []);
    if (Object.keys(properties).length === 0 && isObject(node.additionalProperties)) {
      return z.record(z.string(), this.toZod(node.additionalProperties, seen));
    }
    const shape: Record<string, z.ZodType> = {};
    for (const [key, property] of Object.entries(properties)) {
      const converted = this.toZod(property, seen);
      shape[key] = required.has(key) ? converted : converted.optional();
    }
    return node.additionalProperties === false || Object.keys(shape).length > 0
      ? z.object(shape)
      : z.looseObject({});
  }

  private allOf(node: Json, seen: ReadonlySet<string>): z.ZodType {
    // Merge object parts (the usual `allOf: [{ $ref: Base }, { properties }]`); intersect the rest.
    const merged: Json = { type: "object", properties: {}, required: [] };
    const others: z.ZodType[] = [];
    const visit = (part: unknown, partSeen: ReadonlySet<string>) => {
      const { value, seen: nextSeen } = this.deref(part, partSeen);
      if (!isObject(value)) return;
      if (Array.isArray(value.allOf)) for (const inner of value.allOf) visit(inner, nextSeen);
      if (isObject(value.properties) || value.type === "object") {
        Object.assign(merged.properties as Json, value.properties ?? {});
        (merged.required as unknown[]).push(...(Array.isArray(value.required) ? value.required : []));
      } else if (!Array.isArray(value.allOf)) others.push(this.toZod(value, nextSeen));
    };
    for (const part of node.allOf as unknown[]) visit(part, seen);
    if (isObject(node.properties)) Object.assign(merged.properties as Json, node.properties);
    const base = Object.keys(merged.properties as Json).length > 0 ? this.object(merged, seen) : undefined;
    const parts = base ? [base, ...others] : others;
    if (parts.length === 0) return z.unknown();
    return parts.reduce((left, right) => z.intersection(left, right));
  }
}
