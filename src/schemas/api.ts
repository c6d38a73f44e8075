// Response bodies and the other request bodies of the public API.
import { z } from "zod";
import { named } from "./registry";
import { ChunkCid, Did, Hex64, IsoTime } from "./primitives";
import { Event } from "./events";

export const EventStatus = z.enum(["pending", "attested", "applied", "failed", "rejected"]);
export type EventStatus = z.infer<typeof EventStatus>;

export const Problem = named(
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe("stable snake_case error code"),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
  "Problem",
  "RFC 9457 problem details (application/problem+json)",
);

export const Attestation = named(
  z.strictObject({
    witness: Did,
    verdict: z.enum(["accept", "reject"]),
    reason: z.string().optional(),
    sig: z.string(),
  }),
  "Attestation",
  'sig = Ed25519 over JCS({type:"echonet.attestation.v1", eventId, witness, verdict, reason?})',
);
export type Attestation = z.infer<typeof Attestation>;

export const Receipt = named(
  z.strictObject({
    committee: z.array(Did),
    attestations: z.array(Attestation),
    quorum: z.number().int(),
    sequence: z.number().int().optional(),
    block: z.number().int().optional(),
  }),
  "Receipt",
);
export type Receipt = z.infer<typeof Receipt>;

export const EventAccepted = named(z.object({ id: Hex64, status: EventStatus }), "EventAccepted");

export const EventRecord = named(
  z.object({
    id: Hex64,
    event: Event,
    status: EventStatus,
    reason: z.string().optional(),
    receipt: Receipt.optional(),
  }),
  "EventRecord",
);
export type EventRecord = z.infer<typeof EventRecord>;

export const Witness = z.object({ did: Did, publicKey: z.string(), status: z.enum(["active", "inactive"]) });
export const WitnessList = named(
  z.object({ committeeSize: z.number().int(), quorum: z.number().int(), witnesses: z.array(Witness) }),
  "WitnessList",
);
export type WitnessInfo = z.infer<typeof Witness>;

export const Health = named(z.object({ ok: z.boolean(), time: IsoTime }), "Health");

export const NetworkStatus = named(
  z.object({
    time: IsoTime,
    settledHeight: z.number().int(),
    latestHeight: z.number().int(),
    events: z.record(EventStatus, z.number().int()),
    inbox: z.object({ pending: z.number().int(), max: z.number().int() }),
    executor: z
      .object({ blocks: z.number().int(), events: z.number().int(), ms: z.number() })
      .describe("block executor cost since the Sequencer started: blocks and events applied, wall time in ms (shard RPCs included)"),
    queues: z.record(z.string(), z.object({ lag: z.number().int() })),
    shards: z.record(z.string(), z.number().int()),
  }),
  "NetworkStatus",
);

export const FaultSettings = named(
  z.strictObject({
    witnessInboxFailRate: z.number().min(0).max(1).optional(),
    witnessInboxDropRate: z.number().min(0).max(1).optional(),
    witnessInboxDuplicateRate: z.number().min(0).max(1).optional(),
    // Storage (issue 5): one-shot actions on R2, not stored as settings.
    dropReplica: z.strictObject({ cid: ChunkCid, node: z.string().regex(/^node-[0-9]{1,4}$/) }).optional(),
    corruptReplica: z.strictObject({ cid: ChunkCid, node: z.string().regex(/^node-[0-9]{1,4}$/) }).optional(),
  }),
  "FaultSettings",
  "Fault injection (only when ECHONET_FAULTS=1): share of witness-inbox deliveries to fail (retried), drop (acked unprocessed: a lost message) or duplicate. dropReplica / corruptReplica act once on a replica's R2 object (delete it / flip one byte in every 4096-byte leaf) and are not kept as settings.",
);
export type FaultSettings = z.infer<typeof FaultSettings>;

export const EventIdParam = z.strictObject({ id: Hex64 });

// ---- Ledger ----

const Units = z.string().regex(/^\d+$/).describe("ECHO base units as a decimal string");
const HeightString = z.string().regex(/^(0|[1-9][0-9]{0,15})$/, "expected a block height (non-negative integer)").transform(Number);

export const HeightQuery = z.strictObject({ at: HeightString.optional() });
export const HeightParam = z.strictObject({ height: HeightString });
export const DidParam = z.strictObject({ did: Did });
export const InstanceParam = z.strictObject({ instance: Hex64 });

export const BlockView = named(
  z.object({ height: z.number().int(), hash: Hex64, prevHash: Hex64, createdAt: IsoTime, events: z.array(Hex64) }),
  "Block",
  "hash = hex sha256(JCS({height, prevHash, createdAt, events})); genesis is height 0 with prevHash = 64 zeros",
);

export const AccountView = named(
  z.object({ did: Did, balance: Units, escrowed: Units, reputation: z.number().int(), height: z.number().int() }),
  "Account",
  "An account as of a settled height (unknown accounts read as zero)",
);

export const SupplyView = named(
  z.object({ minted: Units, burned: Units, circulating: Units, escrowed: Units, inFlight: Units, height: z.number().int() }),
  "Supply",
  "minted − burned = circulating + escrowed + inFlight, at one height",
);

export const AdminMint = named(z.strictObject({ to: Did, amount: z.string().regex(/^[1-9][0-9]{0,29}$/) }), "AdminMint");
export const AdminReputation = named(z.strictObject({ did: Did, score: z.number().int().min(0).max(100) }), "AdminReputation");

export const ContractCatalog = named(
  z.object({
    contracts: z.array(
      z.object({
        name: z.string(),
        versions: z.array(z.object({ version: z.number().int(), methods: z.array(z.object({ method: z.string(), creates: z.boolean(), description: z.string() })) })),
      }),
    ),
  }),
  "ContractCatalog",
);

export const ContractInstanceView = named(
  z.object({
    instance: Hex64,
    contract: z.string(),
    version: z.number().int(),
    state: z.record(z.string(), z.unknown()),
    updatedAt: z.number().int().describe("height of the block that last changed the instance"),
    height: z.number().int().describe("settled height the state is read at"),
  }),
  "ContractInstance",
);

// ---- Content and search ----

const Limit = z
  .string()
  .regex(/^[1-9][0-9]{0,2}$/, "expected an integer 1-100")
  .transform(Number)
  .pipe(z.number().max(100, "at most 100"));

export const PageQuery = z.strictObject({ limit: Limit.optional(), cursor: z.string().max(512).optional() });
export const ContentIdParam = z.strictObject({ id: Hex64 });

export const SearchQuery = z.strictObject({
  q: z.string().max(1024),
  limit: Limit.pipe(z.number().max(50, "at most 50")).optional(),
  author: Did.optional(),
  tag: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "expected a lowercase tag").optional(),
  cursor: z.string().max(512).optional(),
});

const Stats = z.object({ views: z.number().int(), likes: z.number().int(), comments: z.number().int(), shares: z.number().int() });

export const ContentView = named(
  z.object({
    id: Hex64,
    author: Did,
    createdAt: IsoTime,
    title: z.string().nullable(),
    text: z.string(),
    tags: z.array(z.string()),
    lang: z.string().nullable(),
    chunks: z.array(z.string()),
    status: z.enum(["live", "deleted"]),
    stats: Stats,
    block: z.number().int(),
  }),
  "Content",
  "A post (content id = the id of its content.post event); a deleted post keeps its record without its content",
);

export const CommentList = named(
  z.object({
    comments: z.array(z.object({ id: Hex64, author: Did, text: z.string(), createdAt: IsoTime, block: z.number().int() })),
    nextCursor: z.string().optional(),
  }),
  "CommentList",
);

export const ContentList = named(z.object({ items: z.array(ContentView), nextCursor: z.string().optional() }), "ContentList");

export const SearchResults = named(
  z.object({
    results: z.array(
      z.object({ id: Hex64, author: Did, title: z.string(), snippet: z.string(), score: z.number(), createdAt: IsoTime, tags: z.array(z.string()) }),
    ),
    nextCursor: z.string().optional(),
  }),
  "SearchResults",
  "BM25 (score positive, higher is better), merged from every index shard",
);

// ---- Storage (DESIGN §5) ----

const NodeId = z.string().regex(/^node-(0|[1-9][0-9]{0,3})$/, "expected a storage node id (node-<n>)");
const Replica = z.object({ node: NodeId, status: z.enum(["ok", "bad"]) });
const MerkleRoot = Hex64.describe("RFC 6962 Merkle tree hash of the chunk's 4096-byte leaves (hex)");

export const ChunkCidParam = z.strictObject({ cid: ChunkCid });
export const NodeIdParam = z.strictObject({ id: NodeId });

export const ChunkStored = named(
  z.object({ cid: ChunkCid, size: z.number().int(), merkleRoot: MerkleRoot, leafSize: z.number().int(), replicas: z.array(Replica) }),
  "ChunkStored",
  "PUT /v1/chunks: 201 when stored now, 200 with the same body when it already existed",
);

export const ChunkMetaView = named(
  z.object({
    cid: ChunkCid,
    size: z.number().int(),
    merkleRoot: MerkleRoot,
    leafSize: z.number().int(),
    owner: Did,
    storedAt: IsoTime,
    replicas: z.array(Replica),
  }),
  "ChunkMeta",
);

export const StorageNodeList = named(
  z.object({
    nodes: z.array(
      z.object({
        id: NodeId,
        capacityBytes: z.number().int(),
        usedBytes: z.number().int(),
        chunks: z.number().int(),
        status: z.enum(["active", "full", "degraded"]),
        auditPassRate: z.number().min(0).max(1).describe("passed / all audits of this node (1 before its first audit)"),
        did: Did.optional().describe("the node's did:key: it signs the DHT provider records of its replicas (absent before its first)"),
      }),
    ),
  }),
  "StorageNodeList",
);

export const StorageChallenge = named(
  z.strictObject({ cid: ChunkCid, leafIndex: z.number().int().min(0).max(1_000_000) }),
  "StorageChallenge",
);

export const StorageProof = named(
  z.object({
    cid: ChunkCid,
    leafIndex: z.number().int(),
    leaf: z.string().describe("the leaf bytes, standard base64"),
    proof: z.array(Hex64).describe("RFC 6962 audit path, bottom-up, hex"),
  }),
  "StorageProof",
  "Verify with verifyProof(merkleRoot, leafIndex, ceil(size / leafSize), leaf, proof) from src/lib/merkle.ts",
);

export const AuditRoundView = named(
  z.object({
    id: z.number().int(),
    startedAt: IsoTime,
    finishedAt: IsoTime,
    beacon: Hex64.describe("hash of the latest block when the round started"),
    height: z.number().int(),
    checked: z.number().int(),
    failed: z.number().int(),
    repaired: z.number().int(),
    results: z.array(z.object({ cid: ChunkCid, node: NodeId, leafIndex: z.number().int(), ok: z.boolean(), reason: z.string().optional() })),
    repairs: z.array(z.object({ cid: ChunkCid, from: NodeId, to: NodeId })),
  }),
  "AuditRound",
  "One audit round: leafIndex = uint32(sha256(beacon|node|cid)) mod leafCount",
);

export const AuditRoundList = named(z.object({ rounds: z.array(AuditRoundView) }), "AuditRoundList");

export const AdminStorageAudit = named(
  z.strictObject({ cids: z.array(ChunkCid).min(1).max(64).optional() }),
  "AdminStorageAudit",
  "Optional body of POST /v1/admin/storage/audit: restrict the round to these chunks",
);

export const StorageUsage = named(
  z.object({
    did: Did,
    usedBytes: z.number().int().describe("bytes charged: each distinct chunk this DID uploaded, once"),
    reservedBytes: z.number().int().describe("bytes reserved by uploads in progress"),
    quotaBytes: z.number().int(),
    chunks: z.number().int(),
  }),
  "StorageUsage",
);
