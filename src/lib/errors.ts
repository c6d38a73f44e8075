// One error type with a stable `code`, rendered as RFC 9457 problem+json in one place
// (src/workers/problem.ts). DO RPC methods return plain result objects instead of throwing:
// errors crossing RPC lose their class.

export const ERROR_TITLES = {
  validation_failed: "Request validation failed",
  invalid_signature: "Signature does not verify",
  stale_event: "Event createdAt is outside the accepted clock skew",
  payload_too_large: "Payload too large",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  rate_limited: "Too many requests",
  overloaded: "Service overloaded",
  unavailable: "Temporarily unavailable",
  unauthorized: "Unauthorized",
  faults_disabled: "Fault injection is disabled",
  insufficient_balance: "Insufficient balance",
  quota_exceeded: "Quota exceeded",
  invalid_token: "Invalid token",
  token_expired: "Token expired",
  range_not_satisfiable: "Range not satisfiable",
  chunk_unavailable: "No replica of the chunk could be read",
  insufficient_storage: "No storage node has room for the chunk",
  invalid_epoch: "Epoch has not started",
  internal_error: "Internal error",
} as const;

export type ErrorCode = keyof typeof ERROR_TITLES;

export interface ValidationIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { errors?: ValidationIssue[]; retryAfter?: number } = {},
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

export const validationError = (detail: string, errors: ValidationIssue[]) =>
  new ApiError(400, "validation_failed", detail, { errors });

export function problemBody(err: ApiError): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: `https://echonet.dev/problems/${err.code.replace(/_/g, "-")}`,
    title: ERROR_TITLES[err.code],
    status: err.status,
    detail: err.detail,
    code: err.code,
  };
  if (err.extra.errors) body.errors = err.extra.errors;
  return body;
}

export function problemResponse(err: ApiError): Response {
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (err.extra.retryAfter !== undefined) headers["retry-after"] = String(err.extra.retryAfter);
  return new Response(JSON.stringify(problemBody(err)), { status: err.status, headers });
}
