// Queue message types. Every message carries its idempotency key (the event id): a redelivery
// or a replayed batch finds the effect already recorded and changes nothing.
import { z } from "zod";
import { named } from "../schemas/registry";
import { Hex64 } from "../schemas/primitives";

export const WitnessInboxMessage = named(
  z.object({
    id: Hex64,
    /** The signed event exactly as accepted at intake (witnesses re-validate it). */
    event: z.record(z.string(), z.unknown()),
    /** Intake time in ms: witnesses judge freshness against it, never their own clock. */
    intakeAt: z.number().int(),
    attempt: z.number().int().min(0),
  }),
  "WitnessInboxMessage",
  "witness-inbox (and its dead-letter queue): one recorded event awaiting attestation",
);
export type WitnessInboxMessage = z.infer<typeof WitnessInboxMessage>;

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
