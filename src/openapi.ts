// OpenAPI 3.1 and the JSON Schemas in schemas/ are both generated from the zod registry.
import { z } from "zod";
import { registry } from "./schemas/registry";
import "./schemas/api";
import "./schemas/events";
import "./schemas/dht";
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
const heightParam = { name: "height", in: "path", required: true, schema: { type: "integer", minimum: 0 } };
const limitQuery = { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 100 } };
const cursorQuery = { name: "cursor", in: "query", required: false, schema: { type: "string" }, description: "opaque, from nextCursor" };
const atQuery = { name: "at", in: "query", required: false, schema: { type: "integer", minimum: 0 } };
const idemHeader = { name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", pattern: "^[A-Za-z0-9:._-]{1,100}$" } };

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
      securitySchemes: {
        admin: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" },
        requestAuth: { type: "apiKey", in: "header", name: "Authorization", description: 'EchoNet did="<did>", ts="<ISO time>", sig="<base64url>" (DESIGN §3)' },
      },
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
      "/v1/blocks/latest": { get: { summary: "The latest block (may not be applied yet)", responses: { "200": json("Block", "Block") } } },
      "/v1/blocks/{height}": {
        get: {
          summary: "A block by height",
          parameters: [heightParam],
          responses: { "200": json("Block", "Block"), "400": problem("validation_failed"), "404": problem("not_found") },
        },
      },
      "/v1/accounts/{did}": {
        get: {
          summary: "An account at the settled height, or at ?at=<height> (a past height answers the same forever)",
          parameters: [{ name: "did", in: "path", required: true, schema: { type: "string" } }, atQuery],
          responses: { "200": json("Account", "Account"), "400": problem("validation_failed"), "404": problem("height not settled") },
        },
      },
      "/v1/ledger/supply": {
        get: {
          summary: "Supply at one height: minted − burned = circulating + escrowed + inFlight",
          parameters: [atQuery],
          responses: { "200": json("Supply", "Supply"), "400": problem("validation_failed"), "404": problem("height not settled") },
        },
      },
      "/v1/contracts": { get: { summary: "Native contract types, versions and methods", responses: { "200": json("ContractCatalog", "Catalog") } } },
      "/v1/contracts/{instance}": {
        get: {
          summary: "A contract instance's state at the settled height (or ?at=)",
          parameters: [{ name: "instance", in: "path", required: true, schema: { type: "string", pattern: "^[0-9a-f]{64}$" } }, atQuery],
          responses: { "200": json("ContractInstance", "Instance"), "400": problem("validation_failed"), "404": problem("not_found") },
        },
      },
      "/v1/admin/mint": {
        post: {
          summary: "Mint (a sys.mint event signed by the deployment); Idempotency-Key header makes retries safe",
          security: adminAuth,
          parameters: [idemHeader],
          requestBody: { required: true, content: { "application/json": { schema: ref("AdminMint") } } },
          responses: { "202": json("EventAccepted", "System event recorded"), "400": problem("validation_failed"), "401": problem("unauthorized") },
        },
      },
      "/v1/admin/reputation": {
        post: {
          summary: "Seed a reputation score 0–100 (a sys.reputation event)",
          security: adminAuth,
          parameters: [idemHeader],
          requestBody: { required: true, content: { "application/json": { schema: ref("AdminReputation") } } },
          responses: { "202": json("EventAccepted", "System event recorded"), "400": problem("validation_failed"), "401": problem("unauthorized") },
        },
      },
      "/v1/content/{id}": {
        get: {
          summary: "A post: content, status (live | deleted) and exact stats",
          parameters: [idParam],
          responses: { "200": json("Content", "Post"), "400": problem("validation_failed"), "404": problem("not_found") },
        },
      },
      "/v1/content/{id}/comments": {
        get: {
          summary: "Comments on a post, newest first",
          parameters: [idParam, limitQuery, cursorQuery],
          responses: { "200": json("CommentList", "Comments"), "400": problem("validation_failed"), "404": problem("not_found") },
        },
      },
      "/v1/accounts/{did}/content": {
        get: {
          summary: "An author's live posts, newest first",
          parameters: [{ name: "did", in: "path", required: true, schema: { type: "string" } }, limitQuery, cursorQuery],
          responses: { "200": json("ContentList", "Posts"), "400": problem("validation_failed") },
        },
      },
      "/v1/search": {
        get: {
          summary: "Full-text search: words (all must match), \"phrases\", prefix*; BM25 merged across shards",
          parameters: [
            { name: "q", in: "query", required: true, schema: { type: "string", maxLength: 256 } },
            { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 50 } },
            { name: "author", in: "query", required: false, schema: { type: "string" } },
            { name: "tag", in: "query", required: false, schema: { type: "string" } },
            cursorQuery,
          ],
          responses: { "200": json("SearchResults", "Results"), "400": problem("validation_failed") },
        },
      },
      "/v1/admin/index": {
        get: {
          summary: "Per-IndexShard statistics: documents, cache hits and misses, segment merging",
          security: adminAuth,
          responses: { "200": json("IndexStats", "One entry per shard"), "401": problem("unauthorized") },
        },
      },
      // ---- Storage (DESIGN §5) ----
      ...storagePaths(),
      ...poePaths(),
      // ---- Ads (DESIGN §7) ----
      ...adsPaths(),
      // ---- Discovery DHT (DESIGN §6) ----
      ...dhtPaths(),
      "/openapi.json": { get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } } },
    },
  };
}

// ---- Storage (DESIGN §5) ----

const cidParam = { name: "cid", in: "path", required: true, schema: { type: "string", pattern: "^b[a-z2-7]+$" }, description: "CIDv1 raw sha2-256 base32 (bafkrei…)" };
const nodeParam = { name: "id", in: "path", required: true, schema: { type: "string", pattern: "^node-[0-9]+$" } };
const requestAuth = [{ requestAuth: [] }];
const immutableHeaders = {
  ETag: { schema: { type: "string" }, description: '"<cid>"' },
  "Cache-Control": { schema: { type: "string" }, description: "public, max-age=31536000, immutable" },
};

function storagePaths(): Record<string, Json> {
  return {
    "/v1/chunks": {
      put: {
        summary: "Store an immutable chunk (request auth; per-DID quota)",
        description:
          'Raw body of 1..CHUNK_MAX_BYTES bytes. Header `Authorization: EchoNet did="<did>", ts="<ISO time>", sig="<base64url>"`, Ed25519 over "PUT <path+query>\n<ts>\n<hex sha256(body)>". Idempotent: 201 when stored now, 200 with the same body when it already existed. Replicas on REPLICATION_FACTOR storage nodes chosen by rendezvous hashing.',
        security: requestAuth,
        requestBody: { required: true, content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } },
        responses: {
          "200": json("ChunkStored", "Already stored"),
          "201": json("ChunkStored", "Stored"),
          "400": problem("validation_failed (empty body)"),
          "401": problem("unauthorized: missing or invalid request auth"),
          "403": problem("quota_exceeded: the DID's STORAGE_QUOTA_BYTES would be exceeded"),
          "413": problem("payload_too_large"),
          "503": problem("overloaded: a storage node is at its in-flight bound; see Retry-After"),
          "507": problem("insufficient_storage: no node has room"),
        },
      },
    },
    "/v1/chunks/{cid}": {
      get: {
        summary: "A chunk's bytes, verified against its CID before any byte is served",
        parameters: [
          cidParam,
          { name: "Range", in: "header", required: false, schema: { type: "string" }, description: "one range: bytes=a-b, bytes=a-, bytes=-n" },
          { name: "If-None-Match", in: "header", required: false, schema: { type: "string" } },
        ],
        responses: {
          "200": { description: "The chunk", headers: immutableHeaders, content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } },
          "206": { description: "Partial content (Content-Range)", headers: immutableHeaders, content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } },
          "304": { description: "Not modified (If-None-Match matched the ETag)" },
          "400": problem("validation_failed: malformed CID"),
          "404": problem("not_found"),
          "416": problem("range_not_satisfiable (Content-Range: bytes */size)"),
          "503": problem("overloaded, or chunk_unavailable when no replica matches its CID"),
        },
      },
      head: {
        summary: "A chunk's headers (ETag, Cache-Control, Content-Length)",
        parameters: [cidParam],
        responses: { "200": { description: "Headers only", headers: immutableHeaders }, "304": { description: "Not modified" }, "400": { description: "malformed CID" }, "404": { description: "unknown" } },
      },
    },
    "/v1/chunks/{cid}/meta": {
      get: {
        summary: "A chunk's metadata: size, Merkle root, owner, replicas and their status",
        parameters: [cidParam],
        responses: { "200": json("ChunkMeta", "Metadata"), "400": problem("validation_failed"), "404": problem("not_found") },
      },
    },
    "/v1/storage/nodes": {
      get: { summary: "Hosted storage nodes: capacity, usage, chunk count, status, audit pass rate", responses: { "200": json("StorageNodeList", "Nodes") } },
    },
    "/v1/storage/nodes/{id}/challenge": {
      post: {
        summary: "Storage challenge: the node proves leaf `leafIndex` of its own replica (public)",
        parameters: [nodeParam],
        requestBody: { required: true, content: { "application/json": { schema: ref("StorageChallenge") } } },
        responses: {
          "200": json("StorageProof", "Leaf and RFC 6962 audit path; check against the chunk's merkleRoot"),
          "400": problem("validation_failed (also leafIndex beyond the leaf count)"),
          "404": problem("not_found: no such node, or it holds no replica of the chunk"),
          "503": problem("overloaded; see Retry-After"),
        },
      },
    },
    "/v1/storage/audits": { get: { summary: "The 20 most recent audit rounds, newest first", responses: { "200": json("AuditRoundList", "Rounds") } } },
    "/v1/storage/usage/{did}": {
      get: {
        summary: "A DID's storage usage against STORAGE_QUOTA_BYTES",
        parameters: [{ name: "did", in: "path", required: true, schema: { type: "string" } }],
        responses: { "200": json("StorageUsage", "Usage"), "400": problem("validation_failed") },
      },
    },
    "/v1/admin/storage/audit": {
      post: {
        summary: "Run an audit round now (joins a running one) → {checked, failed, repaired, …}",
        security: adminAuth,
        requestBody: { required: false, content: { "application/json": { schema: ref("AdminStorageAudit") } } },
        responses: { "200": json("AuditRound", "The round"), "400": problem("validation_failed"), "401": problem("unauthorized") },
      },
    },
  };
}

// Proof of Engagement (DESIGN §8).
function poePaths(): Record<string, Json> {
  const epochParam = { name: "n", in: "path", required: true, schema: { type: "integer", minimum: 0 } };
  const didParam = { name: "did", in: "path", required: true, schema: { type: "string" } };
  return {
    "/v1/poe/epochs/current": {
      get: { summary: "The open epoch engagements join now", responses: { "200": json("Epoch", "Epoch") } },
    },
    "/v1/poe/epochs/{n}": {
      get: {
        summary: "An epoch: status (open | closing | distributed), pool, emission, ad revenue, total score, recipients",
        parameters: [epochParam],
        responses: { "200": json("Epoch", "Epoch"), "400": problem("validation_failed"), "404": problem("not_found: the epoch has not started") },
      },
    },
    "/v1/poe/epochs/{n}/rewards/{did}": {
      get: {
        summary: "What an account earned in an epoch (creator + curator)",
        parameters: [epochParam, didParam],
        responses: { "200": json("EpochRewards", "Rewards"), "400": problem("validation_failed"), "404": problem("not_found: nothing earned") },
      },
    },
    "/v1/admin/poe/close": {
      post: {
        summary: "Close an epoch (default: the current one) by a sys.poe.close event; idempotent per epoch",
        security: adminAuth,
        requestBody: { required: false, content: { "application/json": { schema: ref("AdminPoeClose") } } },
        responses: {
          "202": json("PoeCloseAccepted", "The epoch's close event"),
          "400": problem("validation_failed, invalid_epoch (not started)"),
          "401": problem("unauthorized"),
        },
      },
    },
    "/v1/admin/poe/bulk": {
      post: {
        summary: "Benchmarks only (POE_BULK_LOAD=1 or ECHONET_FAULTS=1, else 404): engagements straight into the current epoch's map shards",
        security: adminAuth,
        requestBody: { required: true, content: { "application/json": { schema: ref("AdminPoeBulk") } } },
        responses: { "200": { description: "{epoch, count}" }, "400": problem("validation_failed"), "401": problem("unauthorized"), "404": problem("not_found: disabled") },
      },
    },
  };
}

// ---- Ads (DESIGN §7) ----

function adsPaths() {
  return {
    "/v1/ads/auction": {
      post: {
        summary: "Run an ad auction for a placement (second price, eCPM ranking); request auth by the publisher DID",
        security: requestAuth,
        requestBody: { required: true, content: { "application/json": { schema: ref("AuctionRequest") } } },
        responses: {
          "200": json("AuctionResponse", "The winning ad, its price and a signed token"),
          "204": { description: "No eligible campaign" },
          "400": problem("validation_failed"),
          "401": problem("unauthorized: missing or bad request auth, or not signed by the publisher"),
          "413": problem("payload_too_large"),
        },
      },
    },
    "/v1/ads/events": {
      post: {
        summary: "Report an impression or click with the auction's token (public, per-IP rate-limited)",
        requestBody: { required: true, content: { "application/json": { schema: ref("AdEventRequest") } } },
        responses: {
          "202": json("AdEventAccepted", "Queued; charged at most once per (auctionId, type)"),
          "400": problem("invalid_token or validation_failed"),
          "410": problem("token_expired"),
          "429": problem("rate_limited"),
        },
      },
    },
    "/v1/campaigns": {
      get: {
        summary: "An advertiser's campaigns, newest first (limit 1–100, default 100; nextCursor while more remain)",
        parameters: [{ name: "advertiser", in: "query", required: true, schema: { type: "string" } }, limitQuery, cursorQuery],
        responses: { "200": json("CampaignList", "Campaigns"), "400": problem("validation_failed") },
      },
    },
    "/v1/campaigns/{id}": {
      get: {
        summary: "A campaign: status, budget, spent, reserved, remaining, impressions, clicks, ctr",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", pattern: "^[0-9a-f]{64}$" } }],
        responses: { "200": json("Campaign", "Campaign"), "400": problem("validation_failed"), "404": problem("not_found") },
      },
    },
  };
}

// ---- Discovery DHT (DESIGN §6) ----

const dhtIdParam = { name: "id", in: "path", required: true, schema: { type: "string", pattern: "^[0-9a-f]{64}$" }, description: "a hosted node's ID (sha256 of its DID)" };
const viaQuery = { name: "via", in: "query", required: false, schema: { type: "string", pattern: "^[0-9a-f]{64}$" }, description: "the hosted node that runs the lookup" };

function dhtPaths(): Record<string, Json> {
  return {
    "/v1/dht/nodes/{id}/rpc": {
      post: {
        summary: "Kademlia RPC to a hosted node (public; rate-limited per peer)",
        description:
          "Body `{op, from:{id, addr?}, target?, key?, record?}`: PING → `{id}`; FIND_NODE (target) → `{id, nodes}` (the k = 20 closest contacts the node knows); FIND_VALUE (key) → `{id, records, nodes}`; STORE (record) → `{id, stored:true}`. A caller with an `addr` (its own RPC URL, absolute http(s)) may enter the node's routing table and be called back there; hosted contacts come with their RPC URL on this origin. Records: `sig` = Ed25519 by `provider` (did:key) over RFC 8785 JCS of `{key, provider, addr?, expiresAt}`; `expiresAt` in the future and at most DHT_RECORD_TTL_MS (+ CLOCK_SKEW_MS) ahead; a later expiresAt from the same provider replaces the earlier record.",
        parameters: [dhtIdParam],
        requestBody: { required: true, content: { "application/json": { schema: ref("DhtRpcRequest") } } },
        responses: {
          "200": json("DhtRpcResponse", "The answer"),
          "400": problem("validation_failed (malformed body or path, expired record)"),
          "401": problem("invalid_signature: the record's sig does not verify under its provider"),
          "404": problem("not_found: no hosted node with this ID"),
          "429": problem("rate_limited: per-peer rate or in-flight limit; see Retry-After"),
          "507": problem("insufficient_storage: the node's record store is full"),
        },
      },
    },
    "/v1/dht/lookup/{target}": {
      get: {
        summary: "Iterative lookup (α = 3) of the k closest nodes to a 256-bit target",
        parameters: [{ name: "target", in: "path", required: true, schema: { type: "string", pattern: "^[0-9a-f]{64}$" } }, viaQuery],
        responses: { "200": json("DhtLookup", "The k closest responsive nodes"), "400": problem("validation_failed"), "404": problem("not_found: unknown via") },
      },
    },
    "/v1/dht/providers/{key}": {
      get: {
        summary: "Providers of a key (a chunk's CID): an iterative FIND_VALUE lookup of sha256(key), signatures verified",
        parameters: [{ name: "key", in: "path", required: true, schema: { type: "string", minLength: 1, maxLength: 256 } }, viaQuery],
        responses: { "200": json("DhtProviders", "Unexpired, verified provider records"), "400": problem("validation_failed"), "404": problem("not_found: unknown via") },
      },
    },
    "/v1/dht/nodes": { get: { summary: "The hosted DHT nodes (provisioned on first use)", responses: { "200": json("DhtNodeList", "Nodes") } } },
    "/v1/dht/nodes/{id}": {
      get: {
        summary: "One hosted node's routing table",
        parameters: [dhtIdParam],
        responses: { "200": json("DhtNode", "The node"), "400": problem("validation_failed"), "404": problem("not_found") },
      },
    },
  };
}
