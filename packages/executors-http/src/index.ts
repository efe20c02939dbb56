export type { AddressCategory } from "./address.js";
export { classifyAddress } from "./address.js";
export { httpDefaults } from "./defaults.js";
export type { HttpErrorCode } from "./errors.js";
export { HttpToolError } from "./errors.js";
export type {
  CallOptions,
  HttpMethod,
  HttpRequest,
  HttpRequestInput,
  HttpResponse,
  QueryValue,
  Requester,
} from "./http-types.js";
export { httpMethods } from "./http-types.js";
export type { OpenApiOptions } from "./openapi.js";
export { createOpenApiTools, openApiOperations } from "./openapi.js";
export type { OpenApiOperation } from "./openapi-operation.js";
export type { HttpRequestOptions, SecretHeaderRule } from "./options.js";
export type { ResolvedAddress, Resolver } from "./policy.js";
export { createRequester, httpRequest } from "./request.js";
export type { HttpToolOptions } from "./tool.js";
export { createHttpTool } from "./tool.js";
