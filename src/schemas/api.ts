// Response bodies and the other request bodies of the public API.
import { z } from "zod";
import { named } from "./registry";
import { ChunkCid, Did, Hex64, HttpUrl, IsoTime, Lang, Tag } from "./primitives";
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
    // Witnesses (by name, e.g. "witness-3") whose attestBatch calls fail, as if they were down.
    witnessDown: z.array(z.string().regex(/^witness-[0-9]{1,3}$/)).max(64).optional(),
    // Proof of Engagement (issue 8): share of poe-engagement / poe-batches messages delivered
    // a second time (re-sent to their queue after being processed).
    poeRedeliverRate: z.number().min(0).max(1).optional(),
    // Reliability (issue 9): every primary queue (not the dead-letter queues), or only `queues`.
    queueFailRate: z.number().min(0).max(1).optional(),
    queueDuplicateRate: z.number().min(0).max(1).optional(),
    queues: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,62}$/)).max(16).optional(),
    // One-shot: reset one named Durable Object, or every instance of its class (no `name`).
    resetDurableObject: z.strictObject({ class: z.string().regex(/^[A-Z][A-Za-z0-9]{0,63}$/), name: z.string().min(1).max(128).optional() }).optional(),
    // Storage (issue 5): one-shot actions on R2, not stored as settings.
    dropReplica: z.strictObject({ cid: ChunkCid, node: z.string().regex(/^node-[0-9]{1,4}$/) }).optional(),
    corruptReplica: z.strictObject({ cid: ChunkCid, node: z.string().regex(/^node-[0-9]{1,4}$/) }).optional(),
  }),
  "FaultSettings",
  "Fault injection (only when ECHONET_FAULTS=1): share of witness-inbox deliveries to fail (retried), drop (acked unprocessed: a lost message) or duplicate; witnessDown names witnesses whose calls fail as if they were down; queueFailRate / queueDuplicateRate fail (retry) or deliver twice a share of the messages of every primary queue (or only those named in `queues`; dead-letter queues never). resetDurableObject resets one named Durable Object (`class`, `name`) or every instance of a class with enumerable names, as a crash would. poeRedeliverRate re-sends a share of processed poe-engagement / poe-batches messages. dropReplica / corruptReplica act once on a replica's R2 object (delete it / flip one byte in every 4096-byte leaf). The one-shot actions are not kept as settings.",
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

const CacheCounters = z.object({ hits: z.number().int(), misses: z.number().int() });

export const IndexStats = named(
  z.object({
    shards: z.array(
      z.object({
        shard: z.string(),
        docs: z.number().int().describe("documents in the shard's index"),
        tombstones: z.number().int().describe("deleted content ids kept so a late upsert cannot resurrect them"),
        answerCache: CacheCounters,
        phraseCache: CacheCounters.extend({ bytes: z.number().int().describe("bytes held by per-phrase BM25 score lists") }),
        snippetCache: CacheCounters,
        docCache: CacheCounters.extend({ size: z.number().int() }),
        merge: z.object({ steps: z.number().int().describe("FTS5 segment-merge steps run by this instance"), pending: z.boolean() }),
      }),
    ),
  }),
  "IndexStats",
  "Per-IndexShard counters since each shard's instance started (cache counters reset with the instance)",
);
export type IndexStats = z.infer<typeof IndexStats>;
/** One shard's entry without its name: what `IndexShard.stats()` returns. */
export type IndexShardStats = Omit<IndexStats["shards"][number], "shard">;

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

// ---- Proof of Engagement (DESIGN §8) ----

const EpochNumber = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const EpochString = z.string().regex(/^(0|[1-9][0-9]{0,14})$/, "expected an epoch number (non-negative integer)").transform(Number);
export const EpochParam = z.strictObject({ n: EpochString });
export const EpochDidParam = z.strictObject({ n: EpochString, did: Did });

export const EpochView = named(
  z.object({
    epoch: z.number().int(),
    status: z.enum(["open", "closing", "distributed"]),
    startsAt: IsoTime,
    endsAt: IsoTime,
    pool: Units.describe("emission + adRevenue paid out (0 for an empty epoch); for an open epoch, what it would pay if it closed now"),
    emission: Units.describe("minted at payout; 0 for an epoch with no eligible engagement"),
    adRevenue: Units.describe("ad revenue claimed at close (for an open epoch: unclaimed so far)"),
    totalScore: z.number().int().describe("sum of eligible engagement weights; known once reduced (0 before)"),
    recipients: z.number().int().describe("accounts paid a positive amount"),
    closeHeight: z.number().int().optional().describe("height of the block that applied sys.poe.close"),
    rolledOver: Units.optional().describe("ad revenue returned to the pool because the epoch was empty"),
  }),
  "Epoch",
  "A Proof-of-Engagement epoch: [epoch × EPOCH_MS, (epoch+1) × EPOCH_MS) of block time since the Unix epoch",
);

export const EpochRewards = named(
  z.object({ epoch: z.number().int(), did: Did, creator: Units, curator: Units, total: Units }),
  "EpochRewards",
  "What one account earned in an epoch, as creator and as curator",
);

export const AdminPoeClose = named(z.strictObject({ epoch: EpochNumber.optional() }), "AdminPoeClose", "Close an epoch (default: the current one); idempotent per epoch");
export const PoeCloseAccepted = named(z.object({ epoch: z.number().int(), id: Hex64, status: EventStatus }), "PoeCloseAccepted");

export const AdminPoeBulk = named(
  z.strictObject({
    source: z.string().regex(/^[A-Za-z0-9:._-]{1,100}$/).describe("idempotency key of this load"),
    engagements: z
      .array(
        z.strictObject({
          id: z.string().regex(/^[A-Za-z0-9:._-]{1,128}$/),
          kind: z.enum(["view", "like", "comment", "share"]),
          engager: Did,
          target: Hex64,
          creator: Did,
        }),
      )
      .min(1)
      .max(20_000),
  }),
  "AdminPoeBulk",
  "Benchmark bulk load into the current epoch's map shards (only with POE_BULK_LOAD=1 or ECHONET_FAULTS=1)",
);
// ---- Ads (DESIGN §7) ----

const UnitsOrZero = z.string().regex(/^(0|[1-9][0-9]{0,29})$/, "expected a non-negative integer number of base units as a decimal string");

export const AuctionRequest = named(
  z.strictObject({
    placement: z.string().min(1).max(128),
    publisher: Did,
    context: z
      .strictObject({
        keywords: z.array(z.string().min(1).max(64)).max(32).optional(),
        tags: z.array(Tag).max(32).optional(),
        lang: Lang.optional(),
      })
      .optional(),
    viewer: z.string().min(1).max(200).optional(),
    floor: UnitsOrZero.optional().describe("minimum clearing eCPM (units per 1,000 impressions)"),
  }),
  "AuctionRequest",
  "An ad auction for one placement; request auth by the publisher DID",
);

const Creative = z.object({ title: z.string(), text: z.string(), url: HttpUrl });

export const AuctionResponse = named(
  z.object({
    auctionId: z.string().regex(/^[0-9a-f]{32}$/),
    campaignId: Hex64,
    creative: Creative,
    model: z.enum(["cpm", "cpc"]),
    price: z.string().describe("charge per impression (cpm) or per click (cpc), in units"),
    token: z.string().describe("signed by the deployment; report interactions with it before expiresAt"),
    expiresAt: IsoTime,
  }),
  "AuctionResponse",
);

export const AdEventRequest = named(
  z.strictObject({ token: z.string().min(1).max(4096), type: z.enum(["impression", "click"]) }),
  "AdEventRequest",
  "An ad impression or click, carrying the auction's token",
);
export const AdEventAccepted = named(
  z.object({ auctionId: z.string(), type: z.enum(["impression", "click"]), status: z.literal("accepted") }),
  "AdEventAccepted",
);

export const CampaignIdParam = z.strictObject({ id: Hex64 });
export const CampaignListQuery = z.strictObject({ advertiser: Did, limit: Limit.optional(), cursor: z.string().max(512).optional() });

export const CampaignView = named(
  z.object({
    id: Hex64,
    advertiser: Did,
    name: z.string(),
    status: z.enum(["active", "paused", "exhausted", "ended"]),
    bid: z.object({ model: z.enum(["cpm", "cpc"]), amount: Units }),
    budget: Units,
    dailyBudget: Units.nullable(),
    spent: Units,
    reserved: Units.describe("held by live budget slices and not yet charged"),
    remaining: Units.describe("budget − spent − reserved"),
    impressions: z.number().int(),
    clicks: z.number().int(),
    ctr: z.number(),
    targeting: z.object({ keywords: z.array(z.string()).optional(), tags: z.array(z.string()).optional(), langs: z.array(z.string()).optional() }),
    creative: Creative,
    frequencyCap: z.number().int().nullable(),
    endsAt: IsoTime.nullable(),
    createdHeight: z.number().int(),
    closed: z.boolean().describe("ended and its unspent escrow returned to the advertiser"),
  }),
  "Campaign",
  "spent + reserved ≤ budget at every instant",
);
export const CampaignList = named(z.object({ campaigns: z.array(CampaignView), nextCursor: z.string().optional() }), "CampaignList");
