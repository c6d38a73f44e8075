// Discovery DHT (DESIGN §6): the RPC an external peer speaks, and the read views.
import { z } from "zod";
import { named } from "./registry";
import { Did, Hex64, HttpUrl, IsoTime, Signature } from "./primitives";

export const DhtKey = z.string().min(1).max(256).describe("a key string; its key ID is sha256(key) (a CID for chunk providers)");

export const DhtContact = named(
  z.strictObject({
    id: Hex64.describe("node ID = sha256 of the node's DID"),
    addr: HttpUrl.optional().describe("the node's RPC URL (POST it the RPC body); absent when the peer cannot be called back"),
  }),
  "DhtContact",
);

export const ProviderRecordSchema = named(
  z.strictObject({
    key: DhtKey,
    provider: Did,
    addr: HttpUrl.optional(),
    expiresAt: IsoTime,
    sig: Signature.describe("Ed25519 by the provider's did:key over RFC 8785 JCS of {key, provider, addr?, expiresAt} (the record without sig), base64url"),
  }),
  "DhtProviderRecord",
  "A signed provider record: `provider` can serve `key`. Verified on STORE; expires at expiresAt (at most DHT_RECORD_TTL_MS ahead) unless republished.",
);

const from = DhtContact.describe("the caller; with an addr it may be added to the callee's routing table");

export const DhtRpcRequest = named(
  z.discriminatedUnion("op", [
    z.strictObject({ op: z.literal("PING"), from }),
    z.strictObject({ op: z.literal("FIND_NODE"), from, target: Hex64 }),
    z.strictObject({ op: z.literal("FIND_VALUE"), from, key: DhtKey }),
    z.strictObject({ op: z.literal("STORE"), from, record: ProviderRecordSchema }),
  ]),
  "DhtRpcRequest",
  "POST /v1/dht/nodes/:id/rpc. PING → {id}; FIND_NODE → {id, nodes}; FIND_VALUE → {id, records, nodes}; STORE → {id, stored}",
);
export type DhtRpcRequest = z.infer<typeof DhtRpcRequest>;

export const DhtRpcResponse = named(
  z.object({
    id: Hex64.describe("the responder's node ID"),
    nodes: z.array(DhtContact).max(20).optional().describe("up to k contacts closest to the target (or key ID) that the responder knows"),
    records: z.array(ProviderRecordSchema).max(64).optional().describe("FIND_VALUE: unexpired provider records held for the key"),
    stored: z.boolean().optional(),
  }),
  "DhtRpcResponse",
);
export type DhtRpcResponse = z.infer<typeof DhtRpcResponse>;

export const DhtNodeIdParam = z.strictObject({ id: Hex64 });
export const DhtTargetParam = z.strictObject({ target: Hex64 });
export const DhtKeyParam = z.strictObject({ key: DhtKey });
export const DhtViaQuery = z.strictObject({ via: Hex64.optional().describe("the hosted node that runs the lookup (default: chosen by target)") });

export const DhtLookupView = named(
  z.object({
    target: Hex64,
    nodes: z.array(DhtContact).describe("the k closest responsive nodes, closest first"),
    hops: z.number().int().describe("rounds of (up to α = 3, or the k closest once no closer node turns up) parallel queries"),
    queried: z.number().int().describe("nodes queried"),
  }),
  "DhtLookup",
);

export const DhtProvidersView = named(
  z.object({ key: DhtKey, providers: z.array(ProviderRecordSchema), hops: z.number().int() }),
  "DhtProviders",
);

export const DhtNodeList = named(
  z.object({
    nodes: z.array(
      z.object({
        id: Hex64,
        did: Did,
        buckets: z.number().int().describe("non-empty k-buckets"),
        contacts: z.number().int().describe("contacts in all buckets"),
        records: z.number().int().describe("unexpired provider records held"),
      }),
    ),
  }),
  "DhtNodeList",
);

export const DhtNodeView = named(
  z.object({
    id: Hex64,
    did: Did,
    buckets: z.array(z.object({ index: z.number().int(), contacts: z.array(z.object({ id: Hex64, addr: HttpUrl.optional(), lastSeen: IsoTime, fails: z.number().int() })) })),
    records: z.number().int(),
  }),
  "DhtNode",
  "One hosted node's routing table (non-empty buckets; index = common prefix length with the node's ID)",
);
