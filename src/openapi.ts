// OpenAPI 3.1 and the JSON Schemas in schemas/ are both generated from the zod registry.
import { z } from "zod";
import { registry } from "./schemas/registry";
import "./schemas/api";
import "./schemas/events";
import "./queues/messages";

type Json = Record<string, unknown>;

export function jsonSchemas(uri: (id: string) => string): Record<string, Json> {
  const out = z.toJSONSchema(registry, { target: "draft-2020-12", io: "input", unrepresentable: "any", uri });
  return out.schemas as Record<string, Json>;
}

/** The files of schemas/: one JSON Schema per named schema, $refs between files. */
export function schemaFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [id, schema] of Object.entries(jsonSchemas((id) => `./${id}.json`))) {
    files[`${id}.json`] = JSON.stringify({ ...schema, $id: `${id}.json` }, null, 2) + "\n";
  }
  return files;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({ description, content: { "application/json": { schema: ref(id) } } });
const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: ref("Problem") } } });
const idParam = { name: "id", in: "path", required: true, schema: { type: "string", pattern: "^[0-9a-f]{64}$" } };
const adminAuth = [{ admin: [] }];

export function openApiDocument(): Json {
  return {
    openapi: "3.1.0",
    info: {
      title: "EchoNet API",
      version: "1.0.0",
      description:
        "Signed events validated by witness committees. Errors are RFC 9457 problem+json with a stable `code`.",
    },
    servers: [{ url: "/" }],
    components: {
      schemas: jsonSchemas((id) => `#/components/schemas/${id}`),
      securitySchemes: { admin: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" } },
    },
    paths: {
      "/v1/events": {
        post: {
          summary: "Submit a signed event",
          description:
            "Checks in order: 413 payload_too_large, 400 validation_failed, 200 for a known id, 401 invalid_signature, 422 stale_event, 429 rate_limited, 503 overloaded; else 202.",
          requestBody: { required: true, content: { "application/json": { schema: ref("Event") } } },
          responses: {
            "200": json("EventAccepted", "Already known: its current status"),
            "202": json("EventAccepted", "Recorded and queued for the witnesses"),
            "400": problem("validation_failed"),
            "401": problem("invalid_signature"),
            "413": problem("payload_too_large"),
            "422": problem("stale_event"),
            "429": problem("rate_limited (per author or per client IP); see Retry-After"),
            "503": problem("overloaded: the inbox is full; see Retry-After"),
          },
        },
      },
      "/v1/events/{id}": {
        get: {
          summary: "An event, its status and its receipt",
          parameters: [idParam],
          responses: { "200": json("EventRecord", "The event"), "400": problem("validation_failed"), "404": problem("not_found") },
        },
      },
      "/v1/witnesses": {
        get: { summary: "The witness set, committee size and quorum", responses: { "200": json("WitnessList", "Witnesses") } },
      },
      "/v1/health": { get: { summary: "Liveness", responses: { "200": json("Health", "Alive") } } },
      "/v1/status": {
        get: { summary: "Heights, events by status, queue lag, shard counts", responses: { "200": json("NetworkStatus", "Status") } },
      },
      "/v1/admin/faults": {
        get: {
          summary: "Current fault settings (ECHONET_FAULTS=1 only)",
          security: adminAuth,
          responses: { "200": json("FaultSettings", "Settings"), "401": problem("unauthorized"), "404": problem("faults disabled") },
        },
        post: {
          summary: "Set fault injection (ECHONET_FAULTS=1 only)",
          security: adminAuth,
          requestBody: { required: true, content: { "application/json": { schema: ref("FaultSettings") } } },
          responses: {
            "200": json("FaultSettings", "Settings in force"),
            "400": problem("validation_failed"),
            "401": problem("unauthorized"),
            "404": problem("faults disabled"),
          },
        },
      },
      "/openapi.json": { get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } } },
    },
  };
}
