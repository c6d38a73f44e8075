// Admin routes: `Authorization: Bearer <ADMIN_TOKEN>`; refused when no token is configured.
import { Hono, type MiddlewareHandler } from "hono";
import type { Env } from "../../env";
import { faultsEnabled, getConfig } from "../../lib/config";
import { ApiError } from "../../lib/errors";
import { FaultSettings } from "../../schemas/api";
import { parseJson, parseOr400, readBodyLimited } from "../http";

export const admin = new Hono<{ Bindings: Env }>();

async function tokenMatches(given: string, expected: string): Promise<boolean> {
  const enc = new TextEncoder();
  // Compare digests so the comparison is constant-time and length-independent.
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", enc.encode(given)), crypto.subtle.digest("SHA-256", enc.encode(expected))]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export const requireAdmin: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const expected = typeof c.env.ADMIN_TOKEN === "string" ? c.env.ADMIN_TOKEN : "";
  if (!expected) throw new ApiError(401, "unauthorized", "admin calls are disabled: no ADMIN_TOKEN is configured");
  const m = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "");
  if (!m || !(await tokenMatches(m[1]!, expected))) throw new ApiError(401, "unauthorized", "a valid admin bearer token is required");
  await next();
};

// Fault injection exists only when ECHONET_FAULTS=1; otherwise it is a plain 404.
const faultsOn: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  if (!faultsEnabled(getConfig(c.env))) throw new ApiError(404, "not_found", `no route ${c.req.method} ${c.req.path}`);
  await next();
};

admin.get("/faults", faultsOn, requireAdmin, async (c) => c.json(await c.env.FAULTS.getByName("faults").get()));
admin.post("/faults", faultsOn, requireAdmin, async (c) => {
  const settings = parseOr400(FaultSettings, parseJson(await readBodyLimited(c.req.raw, 4096)), "fault settings");
  return c.json(await c.env.FAULTS.getByName("faults").set(settings));
});
