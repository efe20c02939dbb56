export type { AddressCategory } from "./address.js";
export { classifyAddress } from "./address.js";
export type { HttpErrorCode } from "./errors.js";
export { HttpToolError } from "./errors.js";
export type { OpenApiOperation, OpenApiOptions } from "./openapi.js";
export { createOpenApiTools, openApiOperations } from "./openapi.js";
export type { ResolvedAddress, Resolver } from "./policy.js";
export type {
  CallOptions,
  HttpMethod,
  HttpRequest,
  HttpRequestInput,
  HttpRequestOptions,
  HttpResponse,
  QueryValue,
  Requester,
  SecretHeaderRule,
} from "./request.js";
export { createRequester, httpMethods, httpRequest } from "./request.js";
export type { HttpToolOptions } from "./tool.js";
export { createHttpTool } from "./tool.js";
