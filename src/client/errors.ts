// Errors of the client SDK. Every non-2xx answer of the API is an RFC 9457 problem+json with
// a stable `code`; the SDK turns it into an EchoNetError carrying the same fields. Failures
// that happen on the client side (a deadline passed, a receipt that does not verify, bytes
// that do not match their CID, a network error) use the same class with their own codes.

export interface ProblemIssue {
  path: string;
  message: string;
}

/** Client-side codes, next to the API's own (`validation_failed`, `insufficient_balance`, …). */
export type ClientErrorCode = "timeout" | "network_error" | "bad_response" | "cid_mismatch" | "event_final" | "no_identity";

export class EchoNetError extends Error {
  override readonly name = "EchoNetError";
  constructor(
    /** Stable snake_case code: the problem's `code`, or a ClientErrorCode. */
    readonly code: string,
    readonly detail: string,
    /** HTTP status; 0 when no HTTP answer is involved. */
    readonly status = 0,
    readonly extra: { title?: string; type?: string; errors?: ProblemIssue[]; retryAfter?: number; method?: string; path?: string } = {},
  ) {
    super(`${code}${status ? ` (${status})` : ""}: ${detail}`);
  }

  get errors(): ProblemIssue[] | undefined {
    return this.extra.errors;
  }

  get retryAfter(): number | undefined {
    return this.extra.retryAfter;
  }

  /** A human-readable multi-line description (used by the CLI). */
  describe(): string {
    const lines = [this.message];
    for (const e of this.extra.errors ?? []) lines.push(`  - ${e.path}: ${e.message}`);
    if (this.extra.retryAfter !== undefined) lines.push(`  retry after ${this.extra.retryAfter} s`);
    return lines.join("\n");
  }
}

/** Builds the error for a non-2xx response (problem+json or anything else). Never throws. */
export async function errorFromResponse(res: Response, method: string, path: string): Promise<EchoNetError> {
  const text = await res.text().catch(() => "");
  const retry = Number(res.headers.get("retry-after") ?? "NaN");
  const extra: EchoNetError["extra"] = { method, path };
  if (Number.isFinite(retry)) extra.retryAfter = retry;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body && typeof body === "object" && typeof (body as { code?: unknown }).code === "string") {
    const p = body as { code: string; detail?: unknown; title?: unknown; type?: unknown; errors?: unknown };
    if (typeof p.title === "string") extra.title = p.title;
    if (typeof p.type === "string") extra.type = p.type;
    if (Array.isArray(p.errors)) extra.errors = p.errors as ProblemIssue[];
    return new EchoNetError(p.code, typeof p.detail === "string" ? p.detail : String(p.title ?? p.code), res.status, extra);
  }
  const code = res.status === 404 ? "not_found" : res.status === 429 ? "rate_limited" : "http_error";
  return new EchoNetError(code, `${method} ${path} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`, res.status, extra);
}
