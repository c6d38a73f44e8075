// Queue message types. Every message carries its idempotency keys (event or content ids): a
// redelivery or a replayed batch finds the effect already recorded and changes nothing.
import { z } from "zod";
import { named } from "../schemas/registry";
import { Hex64 } from "../schemas/primitives";

/** Events packed into one witness-inbox message (and ≤ WITNESS_INBOX_MESSAGE_BYTES of JSON). */
export const WITNESS_INBOX_MESSAGE_EVENTS = 50;
export const WITNESS_INBOX_MESSAGE_BYTES = 100 * 1024;

export const WitnessInboxItem = named(
  z.object({
    id: Hex64,
    /** The signed event exactly as accepted at intake (witnesses re-validate it). */
    event: z.record(z.string(), z.unknown()),
    /** Intake time in ms: witnesses judge freshness against it, never their own clock. */
    intakeAt: z.number().int(),
    attempt: z.number().int().min(0),
  }),
  "WitnessInboxItem",
  "one recorded event awaiting attestation",
);
export type WitnessInboxItem = z.infer<typeof WitnessInboxItem>;

export const WitnessInboxMessage = named(
  z.union([z.object({ events: z.array(WitnessInboxItem).min(1).max(WITNESS_INBOX_MESSAGE_EVENTS) }), WitnessInboxItem]),
  "WitnessInboxMessage",
  "witness-inbox (and its dead-letter queue): recorded events awaiting attestation, packed up to 50 (and 100 KB) to a message so that one queue batch carries thousands; a body of one bare event is accepted too",
);
export type WitnessInboxMessage = z.infer<typeof WitnessInboxMessage>;

export const inboxItemsOf = (m: WitnessInboxMessage): WitnessInboxItem[] => ("events" in m ? m.events : [m]);

export const IndexUpdateMessage = named(
  z.discriminatedUnion("op", [
    z.object({
      op: z.literal("upsert"),
      id: Hex64,
      author: z.string(),
      title: z.string(),
      text: z.string(),
      tags: z.array(z.string()),
      lang: z.string().nullable(),
      createdAt: z.string(),
      seq: z.number().int(),
    }),
    z.object({ op: z.literal("delete"), id: Hex64 }),
  ]),
  "IndexUpdateMessage",
  "index-updates (and its dead-letter queue): an applied post to index, or a deleted one to remove; idempotent by content id",
);
export type IndexUpdateMessage = z.infer<typeof IndexUpdateMessage>;

export const PoeEngagementMessage = named(
  z.object({
    id: z.string().min(1).max(128).describe("idempotency key: the interaction event's id"),
    epoch: z.number().int().min(0),
    kind: z.enum(["view", "like", "comment", "share"]),
    engager: z.string().min(1).max(256),
    target: Hex64,
    creator: z.string().min(1).max(256).describe("the target content's author"),
    replay: z.boolean().optional().describe("an injected redelivery (fault injection): never replayed again"),
  }),
  "PoeEngagementMessage",
  "poe-engagement (and its dead-letter queue): one applied interaction for its epoch's map shard; idempotent by event id",
);
export type PoeEngagementMessage = z.infer<typeof PoeEngagementMessage>;

export const PoeBatchMessage = named(
  z.object({
    epoch: z.number().int().min(0),
    batch: z.number().int().min(0),
    body: z.record(z.string(), z.unknown()).describe("the sys.poe.payout body, key included"),
    replay: z.boolean().optional().describe("an injected redelivery (fault injection): never replayed again"),
  }),
  "PoeBatchMessage",
  "poe-batches (and its dead-letter queue): one payout batch to issue as a sys.poe.payout event; idempotent per (epoch, batch)",
);
export type PoeBatchMessage = z.infer<typeof PoeBatchMessage>;
export const AdInteractionMessage = named(
  z.object({
    auctionId: z.string().regex(/^[0-9a-f]{32}$/),
    type: z.enum(["impression", "click"]),
    campaign: Hex64,
    lease: z.string(),
    price: z.string().regex(/^[1-9][0-9]{0,29}$/),
    model: z.enum(["cpm", "cpc"]),
    publisher: z.string(),
    /** the token's expiresAt (ms); accepted before it */
    expiresAt: z.number().int(),
    acceptedAt: z.number().int(),
  }),
  "AdInteractionMessage",
  "ad-interactions (and its dead-letter queue): a verified impression or click; idempotent by (auctionId, type)",
);
export type AdInteractionMessage = z.infer<typeof AdInteractionMessage>;
