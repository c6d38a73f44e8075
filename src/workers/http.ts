// Edge helpers shared by the routes: problem+json errors, zod → validation_failed, bounded
// body reads, client identity and rate limits.
import type { Context } from "hono";
import type { z } from "zod";
import { ApiError, problemResponse, validationError } from "../lib/errors";
import type { Env } from "../env";
import { readStreamLimited } from "../lib/stream";
import { decodeCursor, isSeqCursor } from "../search/merge";

export type AppContext = Context<{ Bindings: Env }>;

/** A page cursor of the newest-first lists (a sequence number), or 400 for one this API did not issue. */
export function seqCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const v = decodeCursor(cursor, isSeqCursor);
  if (!v) throw validationError("invalid cursor", [{ path: "cursor", message: "not a cursor issued by this API" }]);
  return v.q;
}

export function parseOr400<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw validationError(
    `${what} failed validation`,
    r.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message })),
  );
}

/** Reads at most `max` bytes; a longer body is a 413 without buffering the rest. */
export async function readBodyLimited(req: Request, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  if (!req.body) return new Uint8Array();
  if (Number.isFinite(declared)) {
    // A declared length within the limit: one native read (the runtime holds the body to it).
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.byteLength > max) throw tooLarge(max);
    return bytes;
  }
  // Chunked (no length): read piecewise and stop as soon as the limit is passed.
  const bytes = await readStreamLimited(req.body, max);
  if (bytes === null) throw tooLarge(max);
  return bytes;
}

const tooLarge = (max: number) => new ApiError(413, "payload_too_large", `request body exceeds ${max} bytes`);

export function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch (err) {
    throw validationError("request body is not valid UTF-8 JSON", [{ path: "(root)", message: String((err as Error).message ?? err) }]);
  }
}

export const clientIp = (c: AppContext): string => c.req.header("cf-connecting-ip") ?? "local";

export function onError(err: Error, c: AppContext): Response {
  if (err instanceof ApiError) return problemResponse(err);
  // A Durable Object that was reset, evicted or overloaded mid-call is transient: the client
  // retries (every write is idempotent), so it gets 503 with Retry-After, not a 500.
  const transient = transientKind(err);
  if (transient) {
    console.warn("transient failure", c.req.method, c.req.path, String(err));
    return problemResponse(
      transient === "overloaded"
        ? new ApiError(503, "overloaded", "a backend object is overloaded; retry later", { retryAfter: 1 })
        : new ApiError(503, "unavailable", "a backend object was restarted mid-request; retry later", { retryAfter: 1 }),
    );
  }
  // Never a stack trace to the client; the log keeps it.
  console.error("unhandled error", c.req.method, c.req.path, err);
  return problemResponse(new ApiError(500, "internal_error", "the request could not be completed"));
}

/** Durable Object errors carry flags (`overloaded`, `retryable`, `durableObjectReset`). */
function transientKind(err: unknown): "overloaded" | "unavailable" | null {
  if (typeof err !== "object" || err === null) return null;
  const e = err as { overloaded?: unknown; retryable?: unknown; durableObjectReset?: unknown };
  if (e.overloaded === true) return "overloaded";
  if (e.durableObjectReset === true || e.retryable === true) return "unavailable";
  return null;
}
